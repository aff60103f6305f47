// The commands that talk to the engine or about its workflows: weft
// trigger, weft status, weft list.
#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/params.hpp"
#include "weft/cli/state.hpp"
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
    out::print("event {} queued for {}\n", reply->value("event", 0LL), o.workflow);
    return k_exit_ok;
}

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
               reply->value("pid", 0LL), reply->value("started", ""), reply->value("queued", 0LL),
               reply->value("stdin", ""));
    for (const auto& w : (*reply)["workflows"]) {
        out::print("{} ({}): {} running, {} queued\n", w.value("name", ""), w.value("file", ""),
                   w.value("running", 0), w.value("queued", 0LL));
        for (const auto& t : w["triggers"]) out::print("  {}\n", t.get<std::string>());
        if (!w["next"].empty()) out::print("  next fire: {}\n", w["next"][0].get<std::string>());
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
        const auto next = engine::next_cron_fires(wf, t, 3);
        if (o.json) {
            std::vector<std::string> fires;
            for (auto f : next) fires.push_back(format_rfc3339(f));
            out::print("{}\n", nlohmann::json{{"name", wf.name},
                                              {"file", wf.file},
                                              {"triggers", engine::describe_triggers(wf)},
                                              {"next", fires}}
                                   .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
            continue;
        }
        out::print("{} ({})\n", wf.name, wf.file);
        for (const auto& d : engine::describe_triggers(wf)) out::print("  {}\n", d);
        for (auto f : next) out::print("  next: {}\n", format_rfc3339(f));
    }
    return ok ? k_exit_ok : k_exit_usage;
}

}  // namespace weft::cli
