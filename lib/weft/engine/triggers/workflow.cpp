#include "weft/engine/triggers/workflow.hpp"

#include <algorithm>

#include "weft/util/time.hpp"

namespace weft::engine {

void WorkflowTrigger::run_ended(model::RowId run, const std::string& workflow,
                                model::RunState status) {
    // Only the states a trigger may name (the loader's) can match: an
    // interrupted run fires nothing.
    if (m_dispatch.stopping()) return;
    std::vector<std::string> targets;
    for (const auto& [n, a] : m_dispatch.workflows()) {
        if (a.removed || !a.w().on.workflow) continue;
        const auto& wt = *a.w().on.workflow;
        if (parse::follows(a.w(), workflow) &&
            std::find(wt.statuses.begin(), wt.statuses.end(), status) != wt.statuses.end())
            targets.push_back(n);
    }
    if (targets.empty()) return;
    m_dispatch.fire(model::Event::workflow_end(workflow, run, model::to_string(status), now()),
                    targets);
}

}  // namespace weft::engine
