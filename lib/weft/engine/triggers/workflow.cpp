#include "weft/engine/triggers/workflow.hpp"

#include <algorithm>
#include <optional>

#include "weft/util/time.hpp"

namespace weft::engine {

namespace {

std::optional<model::RunStatus> run_status(model::RunState s) {
    switch (s) {
        case model::RunState::success:
            return model::RunStatus::success;
        case model::RunState::failure:
            return model::RunStatus::failure;
        case model::RunState::cancelled:
            return model::RunStatus::cancelled;
        default:
            return std::nullopt;
    }
}

}  // namespace

void WorkflowTrigger::run_ended(model::RowId run, const std::string& workflow,
                                model::RunState status) {
    const auto st = run_status(status);
    if (!st || m_dispatch.stopping()) return;
    std::vector<std::string> targets;
    for (const auto& [n, a] : m_dispatch.workflows()) {
        if (a.removed || !a.w().on.workflow) continue;
        const auto& wt = *a.w().on.workflow;
        if (std::find(wt.names.begin(), wt.names.end(), workflow) != wt.names.end() &&
            std::find(wt.statuses.begin(), wt.statuses.end(), *st) != wt.statuses.end())
            targets.push_back(n);
    }
    if (targets.empty()) return;
    m_dispatch.fire(
        model::Event::workflow_end(workflow, run, std::string(model::to_string(*st)), now()),
        targets);
}

}  // namespace weft::engine
