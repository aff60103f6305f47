// The commands that talk to the engine or about its workflows: weft
// trigger, weft status, weft list.
#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/params.hpp"
#include "weft/cli/state.hpp"
#include "weft/engine/triggers/schedule.hpp"
#include "weft/engine/up.hpp"
#include "weft/parse/workflow_set.hpp"
#include "weft/util/out.hpp"
#include "weft/util/time.hpp"

namespace weft::cli {

int cmd_trigger(const Options& o, const Globals& g) {
    auto args = read_param_args(o.params);
    if (!args) return fail(args.error());
    nlohmann::json params = nlohmann::json::object();
    for (auto& [key, value] : *args) params[key] = std::move(value);
    auto reply = ask_engine(g, {{"op", "trigger"}, {"workflow", o.workflow}, {"params", params}});
    if (!reply) return fail(reply.error());
    if (!reply->value("ok", false))
        return fail(reply->value("usage", false) ? Errc::usage : Errc::state,
                    reply->value("error", "refused"));
    // The engine replies once it decided (SPEC §9.2): a run or a place in
    // the queue is a success; an event on-busy or max-queued threw away is not.
    const std::string outcome = reply->value("outcome", "queued");
    const long long run = reply->value("run", 0LL);
    out::print("event {} for {}: {}\n", reply->value("event", 0LL), o.workflow,
               outcome == "run" ? "run " + std::to_string(run) : outcome);
    return outcome == "run" || outcome == "queued" ? k_exit_ok : k_exit_failed;
}

namespace {

// An RFC 3339 UTC time from the engine, in the local zone for people.
std::string local_time(const std::string& utc) {
    auto t = parse_rfc3339(utc);
    return t ? format_local(*t) : utc;
}

}  // namespace

int cmd_status(const Options& o, const Globals& g) {
    auto reply = ask_engine(g, {{"op", "status"}});
    if (!reply) return fail(reply.error());
    if (!reply->value("ok", false)) return fail(Errc::state, reply->value("error", "refused"));
    if (o.json) {
        reply->erase("ok");
        out::print("{}\n", reply->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        return k_exit_ok;
    }
    out::print("engine pid {}, up since {}, {} event(s) queued, stdin: {}\n",
               reply->value("pid", 0LL), local_time(reply->value("started", "")),
               reply->value("queued", 0LL), reply->value("stdin", ""));
    for (const auto& w : (*reply)["workflows"]) {
        out::print("{} ({}): {} running, {} queued\n", w.value("name", ""), w.value("file", ""),
                   w.value("running", 0), w.value("queued", 0LL));
        for (const auto& t : w["triggers"]) out::print("  {}\n", t.get<std::string>());
        // The engine sends its fires soonest first (next_schedule_fires, as weft list).
        if (w.contains("next") && !w["next"].empty())
            out::print("  next fire: {}\n", local_time(w["next"][0].get<std::string>()));
    }
    return k_exit_ok;
}

int cmd_list(const Options& o, const Globals& g) {
    auto files = parse::workflow_files(paths_or_default(o));
    if (!files) return fail(files.error());
    std::vector<parse::WorkflowPtr> all;
    bool ok = true;
    for (const auto& f : *files) {
        auto wf = std::make_shared<parse::Workflow>(parse::load_workflow(f));
        if (!wf->ok()) {
            print_diagnostics(wf->loaded, g.out);
            ok = false;
            continue;
        }
        all.push_back(wf);
    }
    for (const auto& p : parse::check_workflow_set(all)) {
        out::error(p);
        ok = false;
    }
    const TimePoint t = now();
    for (const auto& w : all) {
        const auto& wf = *w->loaded.workflow;
        const auto next = engine::next_schedule_fires(wf, t, 3);
        if (o.json) {
            std::vector<std::string> fires;
            for (auto f : next) fires.push_back(format_rfc3339(f));
            nlohmann::json params = nlohmann::json::array();
            for (const auto& p : wf.params)
                params.push_back({{"name", p.name},
                                  {"description", p.description},
                                  {"required", p.required},
                                  {"default", p.default_value ? nlohmann::json(*p.default_value)
                                                              : nlohmann::json(nullptr)}});
            out::print("{}\n", nlohmann::json{{"name", wf.name},
                                              {"file", wf.file},
                                              {"description", wf.description},
                                              {"params", params},
                                              {"triggers", engine::describe_triggers(wf)},
                                              {"next", fires}}
                                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            continue;
        }
        out::print("{} ({})\n", wf.name, wf.file);
        if (!wf.description.empty()) out::print("  {}\n", wf.description);
        for (const auto& p : wf.params)
            out::print("  param {}{}{}\n", p.name, p.required ? " (required)" : "",
                       p.description.empty() ? "" : ": " + p.description);
        for (const auto& d : engine::describe_triggers(wf)) out::print("  {}\n", d);
        for (auto f : next) out::print("  next: {}\n", format_local(f));
    }
    return ok ? k_exit_ok : k_exit_usage;
}

}  // namespace weft::cli
