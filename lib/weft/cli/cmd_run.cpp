// weft run: one workflow, once, in this process, with the same engine
// `weft up` uses.
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/state.hpp"
#include "weft/engine/engine.hpp"
#include "weft/engine/owner.hpp"
#include "weft/report/github.hpp"
#include "weft/report/live.hpp"
#include "weft/report/reporters.hpp"
#include "weft/report/terminal.hpp"
#include "weft/util/strings.hpp"

namespace weft::cli {

namespace {

// `-p KEY=VALUE` over the workflow's params: unknown names and missing
// required ones are usage errors (exit 2) that name the param.
std::optional<nlohmann::json> resolve_params(const model::Workflow& wf, const std::vector<std::string>& given) {
    nlohmann::json values = nlohmann::json::object();
    std::vector<std::string> names;
    for (const auto& p : wf.params) names.push_back(p.name);
    bool ok = true;
    for (const auto& kv : given) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::fprintf(stderr, "weft: error: -p %s: expected KEY=VALUE\n", kv.c_str());
            ok = false;
            continue;
        }
        const std::string key = kv.substr(0, eq);
        if (!wf.find_param(key)) {
            std::fprintf(stderr, "weft: error: %s\n",
                         with_suggestion("unknown param '" + key + "' for workflow '" + wf.name + "'", key, names).c_str());
            ok = false;
            continue;
        }
        values[key] = kv.substr(eq + 1);
    }
    for (const auto& p : wf.params) {
        if (values.contains(p.name)) continue;
        if (p.default_value) values[p.name] = *p.default_value;
        else if (p.required) {
            std::fprintf(stderr, "weft: error: missing required param '%s' (give it with -p %s=VALUE)\n",
                         p.name.c_str(), p.name.c_str());
            ok = false;
        } else {
            values[p.name] = "";
        }
    }
    if (!ok) return std::nullopt;
    return values;
}

// The reporter for this run (SPEC §6): JSON lines with --json; under GitHub
// Actions plain lines with folded logs; on a terminal the live view; else
// plain lines.
std::unique_ptr<engine::Observer> make_reporter(const Options& o, const Globals& g, const parse::Workflow& wf) {
    if (o.json) return std::make_unique<report::JsonReporter>(stdout);
    const auto v = g.quiet ? report::Verbosity::quiet : g.verbose ? report::Verbosity::verbose : report::Verbosity::normal;
    const bool color = use_color(parse_color(g.color), stdout);
    const char* gha = std::getenv("GITHUB_ACTIONS");
    if (gha && std::string_view(gha) == "true") return std::make_unique<report::GithubReporter>(stdout, v, color);
    if (!report::live_view_possible(stdout)) return std::make_unique<report::PlainReporter>(stdout, v, color);
    std::map<std::string, int> matrix_sizes;
    for (const auto& inst : wf.graph->instances)
        if (!inst.matrix.is_null()) ++matrix_sizes[wf.loaded.workflow->steps[inst.step].id];
    const auto size = report::terminal_size(fileno(stdout)).value_or(report::TermSize{80, 24});
    return std::make_unique<report::LiveReporter>(stdout, v, report::Style{color, report::locale_is_utf8()},
                                                  std::move(matrix_sizes), size);
}

} // namespace

int cmd_run(const Options& o, const Globals& g) {
    auto wf = std::make_shared<parse::Workflow>(parse::load_workflow(o.files.at(0)));
    print_diagnostics(wf->loaded, g.out);
    if (!wf->ok()) return k_exit_usage;
    const auto& workflow = *wf->loaded.workflow;
    auto params = resolve_params(workflow, o.params);
    if (!params) return k_exit_usage;
    // Accepted by the command line already, built with the next issue
    // (secrets, incremental steps): refuse rather than ignore.
    for (auto [on, flag] : {std::pair{o.dry_run, "--dry-run"}, std::pair{o.force, "--force"},
                            std::pair{!o.secrets_file.empty(), "--secrets"}})
        if (on) {
            std::fprintf(stderr, "weft: error: %s is not supported yet\n", flag);
            return k_exit_usage;
        }
    if (o.jobs < 0) {
        std::fprintf(stderr, "weft: error: -j must be at least 1\n");
        return k_exit_usage;
    }
    for (const auto& id : o.only)
        if (!workflow.find_step(id)) {
            std::vector<std::string> ids;
            for (const auto& s : workflow.steps) ids.push_back(s.id);
            std::fprintf(stderr, "weft: error: %s\n",
                         with_suggestion("--only: unknown step '" + id + "'", id, ids).c_str());
            return k_exit_usage;
        }

    nlohmann::json event = {{"kind", "manual"}, {"params", *params}};
    if (!o.event_file.empty()) {
        std::ifstream f(o.event_file);
        std::stringstream ss;
        ss << f.rdbuf();
        auto parsed = nlohmann::json::parse(ss.str(), nullptr, false);
        if (!f || parsed.is_discarded() || !parsed.is_object()) {
            std::fprintf(stderr, "weft: error: --event %s: expected a JSON object\n", o.event_file.c_str());
            return k_exit_usage;
        }
        event = parsed;
        if (!event.contains("kind")) event["kind"] = "manual";
    }
    const TimePoint t = std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    if (!event.contains("time")) event["time"] = format_rfc3339(t);

    auto state = open_state(g);
    if (!state) return k_exit_state;
    auto lock = engine::OwnerLock::acquire(state->dir);
    if (!lock) {
        std::fprintf(stderr, "weft: error: %s\n", lock.error().message.c_str());
        return k_exit_state;
    }
    auto event_id = state->store.add_event(event.value("kind", "manual"), event, t);
    if (!event_id) {
        std::fprintf(stderr, "weft: error: %s\n", event_id.error().message.c_str());
        return k_exit_state;
    }

    auto reporter = make_reporter(o, g, *wf);
    auto eng = engine::Engine::create(state->store, *reporter, engine::Config{state->dir, lock->token(), true});
    if (!eng) {
        std::fprintf(stderr, "weft: error: %s\n", eng.error().message.c_str());
        return k_exit_state;
    }
    engine::RunRequest req;
    req.workflow = wf;
    req.params = *params;
    req.event_id = *event_id;
    req.event = event;
    req.event["id"] = *event_id;
    req.only = o.only;
    if (o.jobs > 0) req.jobs = o.jobs;
    req.fail_fast = o.fail_fast;
    auto run_id = (*eng)->start(std::move(req));
    if (!run_id) {
        std::fprintf(stderr, "weft: error: %s\n", run_id.error().message.c_str());
        return run_id.error().code == Errc::invalid ? k_exit_usage : k_exit_state;
    }
    const bool stored = (*eng)->run();
    const int sig = (*eng)->interrupted_by();
    if (sig == SIGINT) return k_exit_sigint;
    if (sig == SIGTERM) return k_exit_sigterm;
    if (!stored) return k_exit_state;
    return (*eng)->status(*run_id) == store::RunState::success ? k_exit_ok : k_exit_failed;
}

} // namespace weft::cli
