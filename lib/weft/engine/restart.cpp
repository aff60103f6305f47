#include "weft/engine/restart.hpp"

#include <algorithm>
#include <set>

#include <fmt/core.h>

#include "weft/engine/dispatch.hpp"
#include "weft/engine/resolve.hpp"
#include "weft/engine/resume.hpp"
#include "weft/util/fs.hpp"
#include "weft/util/mask.hpp"
#include "weft/util/read_file.hpp"
#include "weft/util/strings.hpp"

namespace weft::engine {

namespace {

std::string owners_path(const std::string& state_dir) {
    return state_dir + "/up.owners";
}

// Why `run` of `wf` cannot be resumed without the person, or empty.
std::string needs_person(const store::RunRow& run, const parse::Workflow& wf) {
    const auto& w = *wf.loaded.workflow;
    std::vector<std::string> secret;
    for (auto it = run.params.begin(); it != run.params.end(); ++it) {
        const auto* p = w.find_param(it.key());
        if (p && p->secret && it.value().is_string() &&
            it.value().get_ref<const std::string&>() == Masker::k_mask)
            secret.push_back(it.key());
    }
    if (!secret.empty()) {
        std::string args;
        for (const auto& k : secret) args += " -p " + k + "=VALUE";
        return fmt::format("it had secret params, never stored: finish it with 'weft resume {}{}'",
                           run.id, args);
    }
    for (const auto& ref : wf.loaded.refs)
        if (!ref.path.empty() && ref.path[0] == "secrets")
            return fmt::format(
                "its workflow reads secrets, never stored: finish it with 'weft resume {} "
                "--secrets FILE'",
                run.id);
    return {};
}

Restart plan_one(store::Store& store, const store::RunRow& run,
                 const std::function<parse::WorkflowPtr(const std::string&)>& armed) {
    Restart r{run.id, run.workflow, std::nullopt, {}};
    auto left = [&](const std::string& why) {
        r.message = fmt::format("run {} ({}) stays interrupted: {}", run.id, run.workflow, why);
        return r;
    };
    const parse::WorkflowPtr wf = armed(run.workflow);
    if (!wf) return left("its workflow is not armed");
    if (wf->loaded.workflow->on_restart == model::OnRestart::leave)
        return left("on-restart: leave; 'weft resume " + std::to_string(run.id) + "' continues it");
    if (auto why = needs_person(run, *wf); !why.empty()) return left(why);
    auto detail = store.get_run(run.id);
    if (!detail || !*detail) return left("it cannot be read");
    auto resume = plan_resume(**detail);
    if (!resume) return left(resume.error().message);
    // The params the run had that its workflow still declares, as `weft
    // resume` takes them.
    nlohmann::json had = nlohmann::json::object();
    for (auto it = run.params.begin(); it != run.params.end(); ++it)
        if (wf->loaded.workflow->find_param(it.key())) had[it.key()] = it.value();
    auto params = resolve_params(*wf->loaded.workflow, param_pairs(had));
    if (!params) return left(params.error().message);
    RunRequest req;
    req.workflow = wf;
    req.params = *params;
    req.event_id = run.event_id;
    req.event = store::event_json((*detail)->event);
    req.resume = std::move(*resume);
    r.request = std::move(req);
    r.message = fmt::format("resuming run {} ({}), interrupted when the engine before stopped",
                            run.id, run.workflow);
    return r;
}

}  // namespace

std::vector<std::string> previous_engines(const std::string& state_dir) {
    auto text = read_file(owners_path(state_dir), 1 << 20);
    if (!text) return {};
    std::vector<std::string> tokens;
    for (auto& t : split(*text, '\n'))
        if (!t.empty()) tokens.push_back(t);
    return tokens;
}

Result<void> record_engine(const std::string& state_dir, const std::string& token) {
    return write_private_file(owners_path(state_dir), token + "\n");
}

Result<std::vector<Restart>> plan_restarts(
    store::Store& store, const std::vector<std::string>& owners,
    const std::function<parse::WorkflowPtr(const std::string&)>& armed) {
    std::vector<Restart> out;
    if (owners.empty()) return out;
    store::RunFilter filter;
    filter.status = model::RunState::interrupted;
    auto runs = store.list_runs(filter);
    if (!runs) return runs.error();
    const std::set<std::string> mine(owners.begin(), owners.end());
    std::reverse(runs->begin(), runs->end());  // oldest first
    for (const auto& run : *runs)
        if (mine.count(run.owner)) out.push_back(plan_one(store, run, armed));
    return out;
}

}  // namespace weft::engine
