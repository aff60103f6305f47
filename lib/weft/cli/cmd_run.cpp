// weft run: one workflow, once, in this process, with the same engine
// `weft up` uses.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <set>
#include <sstream>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/params.hpp"
#include "weft/cli/prune.hpp"
#include "weft/cli/state.hpp"
#include "weft/engine/engine.hpp"
#include "weft/engine/owner.hpp"
#include "weft/engine/resolve.hpp"
#include "weft/engine/resume.hpp"
#include "weft/report/github.hpp"
#include "weft/report/live.hpp"
#include "weft/report/reporters.hpp"
#include "weft/report/terminal.hpp"
#include "weft/util/dotenv.hpp"
#include "weft/util/mask.hpp"
#include "weft/util/read_file.hpp"
#include "weft/util/strings.hpp"
#include "weft/util/time.hpp"

namespace weft::cli {

namespace {

// The content of `path`, a regular file of at most 64 MiB given with
// `flag`; else a usage error naming the flag, the file and why (a missing
// file, a directory, ...).
Result<std::string> read_flag_file(const std::string& path, const char* flag) {
    auto text = read_file(path, 64 << 20);
    if (!text)
        return make_error(Errc::usage,
                          std::string(flag) + " " + path + ": " + text.error().message);
    return text;
}

// `--secrets FILE`: a dotenv file (SPEC §9.1). nullopt when the file cannot
// be read or a line is bad (both printed). A value of one or two characters
// is still masked, but masking it hides every occurrence of those letters in
// all output: the user hears of it.
std::optional<std::map<std::string, std::string>> read_secrets(const std::string& path) {
    auto text = read_flag_file(path, "--secrets");
    if (!text) {
        fail(text.error());
        return std::nullopt;
    }
    auto pairs = parse_dotenv(*text, path);
    if (!pairs) {
        out::message("{}\n", pairs.error().message);
        return std::nullopt;
    }
    std::map<std::string, std::string> secrets;
    for (auto& [key, value] : *pairs) {
        const auto chars =
            std::count_if(value.begin(), value.end(), [](char c) { return !utf8_continuation(c); });
        if (chars > 0 && chars < 3)
            out::warning(
                fmt::format("--secrets {}: the value of {} is shorter than 3 characters; "
                            "every occurrence of it in the output is masked",
                            path, key));
        secrets[key] = std::move(value);
    }
    return secrets;
}

// `--dry-run`: the plan, in the order steps can start, with what is
// up-to-date; nothing runs and nothing is recorded (the database is only read,
// and only if it exists).
int dry_run(const parse::Workflow& loaded, const Options& o, const Globals& g,
            const nlohmann::json& params, const nlohmann::json& event,
            const std::map<std::string, std::string>& secrets) {
    const auto& wf = *loaded.loaded.workflow;
    const auto& graph = *loaded.graph;
    auto selected = engine::select_instances(wf, graph, o.only);
    if (!selected) return fail(selected.error());
    auto ctx = engine::run_contexts(wf, params, event, secrets, 0);
    if (!ctx) return fail(ctx.error());
    std::optional<State> state;
    if (::access(state_path(g).c_str(), F_OK) == 0) {
        auto opened = open_state(g);
        if (!opened) return fail(opened.error());
        state = std::move(*opened);
    }
    std::size_t width = 0, count = 0;
    for (std::size_t i = 0; i < graph.instances.size(); ++i)
        if ((*selected)[i]) {
            width = std::max(width, graph.instances[i].id.size());
            ++count;
        }
    if (!o.json)
        out::print("dry run of {} ({} step{}): nothing is run\n", wf.name, count,
                   count == 1 ? "" : "s");
    std::vector<char> will_run(graph.instances.size(), 0);
    nlohmann::json steps_ctx = nlohmann::json::object();
    int n = 0;
    for (std::size_t i = 0; i < graph.instances.size(); ++i) {
        if (!(*selected)[i]) continue;
        const auto& inst = graph.instances[i];
        const auto& step = wf.steps[static_cast<std::size_t>(inst.step)];
        std::string action = "run", why;
        bool upstream = false;  // a step it needs (so, maybe its outputs) runs first
        for (int need : inst.needs) upstream = upstream || will_run[static_cast<std::size_t>(need)];
        if (inst.decide) {
            action = "decide";
            why = "its matrix is decided when it is ready";
        } else if (!step.sources.empty() && upstream) {
            action = "decide";
            why = "known when its needs have run";
        } else if (!step.sources.empty()) {
            nlohmann::json c = *ctx;
            c["steps"] = steps_ctx;
            c["matrix"] = inst.matrix.is_null() ? nlohmann::json::object() : inst.matrix;
            auto resolved = engine::resolve_step(wf, step, c);
            auto fp = resolved ? engine::fingerprint(step, *resolved, secrets)
                               : Result<std::string>(resolved.error());
            if (!fp) {
                action = "decide";
                why = "known when it starts: " + fp.error().message;
            } else if (o.force) {
                why = "--force";
            } else if (!engine::generates_exist(*resolved)) {
                why = "a file it generates is missing";
            } else {
                auto old = state ? state->store.get_fingerprint(wf.name, inst.id)
                                 : Result<std::optional<store::Fingerprint>>(
                                       std::optional<store::Fingerprint>());
                if (!old) return fail(old.error());
                if (!*old) {
                    why = "it never succeeded with sources";
                } else if ((*old)->fingerprint != *fp) {
                    why = "its sources or definition changed";
                } else {
                    action = "up-to-date";
                    // Its last outputs are what the steps after it will see.
                    auto& sc = steps_ctx[step.id];
                    if (!sc.is_object())
                        sc = {{"outputs", nlohmann::json::object()}, {"status", "up-to-date"}};
                    for (auto it = (*old)->outputs.begin(); it != (*old)->outputs.end(); ++it)
                        sc["outputs"][it.key()] = it.value();
                }
            }
        } else if (upstream) {
            why = "after its needs";
        }
        if (step.calls()) why = "calls " + *step.uses + (why.empty() ? "" : "; " + why);
        if (step.if_cond) why += std::string(why.empty() ? "" : "; ") + "if: " + *step.if_cond;
        will_run[i] = action != "up-to-date";
        if (o.json) {
            nlohmann::json j{
                {"type", "plan"}, {"step", inst.id}, {"position", ++n}, {"action", action}};
            if (!why.empty()) j["reason"] = why;
            out::print("{}\n", model::dump_json(j));
        } else {
            out::print("{:4}  {:<{}}  {}{}\n", ++n, inst.id, width, action,
                       why.empty() ? "" : " (" + why + ")");
        }
    }
    return k_exit_ok;
}

// The reporter for this run (SPEC §6): JSON lines with --json; under GitHub
// Actions plain lines with folded logs; on a terminal the live view; else
// plain lines.
std::unique_ptr<engine::Observer> make_reporter(const Options& o, const Globals& g,
                                                const parse::Workflow& wf) {
    if (o.json) return std::make_unique<report::JsonReporter>(stdout);
    const auto v = g.quiet     ? report::Verbosity::quiet
                   : g.verbose ? report::Verbosity::verbose
                               : report::Verbosity::normal;
    const bool color = use_color(parse_color(g.color), stdout);
    if (report::under_github_actions()) {
        std::set<std::string> continue_on_error;
        for (const auto& inst : wf.graph->instances)
            if (wf.loaded.workflow->steps[inst.step].continue_on_error)
                continue_on_error.insert(inst.id);
        const char* summary = std::getenv("GITHUB_STEP_SUMMARY");
        return std::make_unique<report::GithubReporter>(
            stdout, v, color, std::move(continue_on_error), summary ? summary : "");
    }
    if (!report::live_view_possible(stdout))
        return std::make_unique<report::PlainReporter>(stdout, v, color);
    std::map<std::string, int> matrix_sizes;
    for (const auto& inst : wf.graph->instances)
        if (!inst.matrix.is_null()) ++matrix_sizes[wf.loaded.workflow->steps[inst.step].id];
    const auto size = report::terminal_size(fileno(stdout)).value_or(report::TermSize{80, 24});
    return std::make_unique<report::LiveReporter>(
        stdout, v, report::Style{color, report::locale_is_utf8()}, std::move(matrix_sizes), size);
}

// Run `req` (a new run, or a resumed one) in this process and return the
// exit code (SPEC §6).
int execute(State& state, const std::string& owner, engine::RunRequest req, const Options& o,
            const Globals& g) {
    const auto workflow_file = req.workflow;  // kept alive for the prune after the run
    const auto& workflow = *workflow_file->loaded.workflow;
    if (auto files = engine::read_env_files(workflow); !files) {  // SPEC §9.1: exit 2
        out::message("{}\n", files.error().message);
        return k_exit_usage;
    }
    auto reporter = make_reporter(o, g, *workflow_file);
    engine::Config config;
    config.state_dir = state.dir;
    config.owner = owner;
    config.handle_signals = true;
    config.handle_hangup = true;  // a closed terminal cancels like SIGTERM (SPEC §9.4)
    config.control_socket = true;
    // The shared directory of Slurm jobs (SPEC §8); default STATE_DIR/slurm.
    config.slurm_dir = slurm_dir_from_env();
    auto eng = engine::Engine::create(state.store, *reporter, std::move(config));
    if (!eng) return fail(eng.error());
    if (o.jobs != k_jobs_unset) req.jobs = o.jobs;
    req.fail_fast = o.fail_fast;
    req.force = o.force;
    auto run_id = (*eng)->start(std::move(req));
    if (!run_id) return fail(run_id.error());
    const bool stored = (*eng)->run();
    if (stored) prune_after_run(state.store, workflow, g);
    const int sig = (*eng)->interrupted_by();
    if (sig == SIGINT) return k_exit_sigint;
    if (sig == SIGTERM) return k_exit_sigterm;
    if (sig == SIGHUP) return k_exit_sighup;
    if (!stored) {
        out::message(
            "weft: run {0} stopped: what followed the failure could not be recorded; once the "
            "state database works again (space freed, or the file restored), 'weft resume {0}' "
            "continues it\n",
            *run_id);
        return k_exit_state;
    }
    return (*eng)->status(*run_id) == model::RunState::success ? k_exit_ok : k_exit_failed;
}

}  // namespace

int cmd_run(const Options& o, const Globals& g) {
    auto wf = std::make_shared<parse::Workflow>(parse::load_workflow(o.files.at(0)));
    print_diagnostics(wf->loaded, g.out);
    if (!wf->ok()) return k_exit_usage;
    const auto& workflow = *wf->loaded.workflow;
    auto args = read_param_args(o.params);
    if (!args) return fail(args.error());
    auto params = engine::resolve_params(workflow, *args);
    if (!params) return fail(params.error());
    if (o.jobs != k_jobs_unset && o.jobs < 1) return fail(Errc::usage, "-j must be at least 1");
    if (auto selected = engine::select_instances(workflow, *wf->graph, o.only); !selected)
        return fail(selected.error());

    std::map<std::string, std::string> secrets;
    if (!o.secrets_file.empty()) {
        auto s = read_secrets(o.secrets_file);
        if (!s) return k_exit_usage;
        secrets = std::move(*s);
    }
    // The event is stored and shown: secret params appear masked in it.
    nlohmann::json shown_params = *params;
    for (const auto& p : workflow.params)
        if (p.secret && shown_params.contains(p.name)) mask_secret_param(shown_params[p.name]);
    nlohmann::json event = {{"kind", "manual"}, {"params", shown_params}};
    if (!o.event_file.empty()) {
        auto text = read_flag_file(o.event_file, "--event");
        if (!text) return fail(text.error());
        auto bad = [&](const std::string& why) {
            return fail(Errc::usage, "--event " + o.event_file + ": " + why);
        };
        if (json_nesting(*text) > k_max_json_nesting)
            return bad("JSON nested deeper than " + std::to_string(k_max_json_nesting) + " levels");
        auto parsed = nlohmann::json::parse(*text, nullptr, false);
        if (parsed.is_discarded() || !parsed.is_object()) return bad("expected a JSON object");
        if (parsed.contains("kind") && !parsed["kind"].is_string())
            return bad("\"kind\" must be a string");
        if (parsed.contains("time") && !parsed["time"].is_string())
            return bad("\"time\" must be an RFC 3339 string");
        event = parsed;
        if (!event.contains("kind")) event["kind"] = "manual";
    }
    const TimePoint t = now();
    if (!event.contains("time")) event["time"] = format_rfc3339(t);

    const auto log_cap = log_cap_from_env();
    if (!log_cap) return fail(log_cap.error());

    if (o.dry_run) return dry_run(*wf, o, g, *params, event, secrets);

    auto state = open_state(g);
    if (!state) return fail(state.error());
    state->store.set_log_cap(*log_cap);
    auto lock = engine::OwnerLock::acquire(state->dir);
    if (!lock) return fail(lock.error());
    auto event_id = state->store.add_event(event.value("kind", "manual"), event, t);
    if (!event_id) return fail(event_id.error());

    engine::RunRequest req;
    req.workflow = wf;
    req.params = *params;
    req.event_id = *event_id;
    req.event = event;
    req.event["id"] = *event_id;
    req.only = o.only;
    req.secrets = std::move(secrets);
    return execute(*state, lock->token(), std::move(req), o, g);
}

int cmd_resume(const Options& o, const Globals& g) {
    if (o.run_id <= 0) return fail(Errc::usage, "run ids are positive integers");
    if (o.jobs != k_jobs_unset && o.jobs < 1) return fail(Errc::usage, "-j must be at least 1");
    const auto log_cap = log_cap_from_env();
    if (!log_cap) return fail(log_cap.error());
    auto state = open_state(g);
    if (!state) return fail(state.error());
    state->store.set_log_cap(*log_cap);
    auto lock = engine::OwnerLock::acquire(state->dir);
    if (!lock) return fail(lock.error());
    auto detail = state->store.get_run(o.run_id);
    if (!detail) return fail(detail.error());
    if (!*detail) return fail(Errc::usage, "no run " + std::to_string(o.run_id));
    const auto& run = (*detail)->run;
    auto resume = engine::plan_resume(**detail);
    if (!resume) return fail(resume.error());
    // The workflow as its file says today, as the run recorded it.
    auto wf = std::make_shared<parse::Workflow>(parse::load_workflow(run.file));
    print_diagnostics(wf->loaded, g.out);
    if (!wf->ok())
        return fail(Errc::usage,
                    fmt::format("run {}: cannot load its workflow file {}", o.run_id, run.file));
    const auto& workflow = *wf->loaded.workflow;
    if (workflow.name != run.workflow)
        return fail(Errc::usage, fmt::format("run {}: {} now holds workflow '{}', not '{}'",
                                             o.run_id, run.file, workflow.name, run.workflow));
    // Params: those the run had, then -p. Secret values were never stored
    // (SPEC §4): each secret param the run had must be given again. The
    // run's values are taken as they are: a stored `@x` names no file.
    auto given = read_param_args(o.params);
    if (!given) return fail(given.error());
    std::set<std::string> named;
    for (const auto& kv : *given) named.insert(kv.first);
    for (auto it = run.params.begin(); it != run.params.end(); ++it) {
        const auto* p = workflow.find_param(it.key());
        if (!p || named.count(it.key()) || !it.value().is_string()) continue;
        if (p->secret && it.value().get_ref<const std::string&>() == Masker::k_mask)
            return fail(Errc::usage, fmt::format("run {0} had secret param '{1}', which is never "
                                                 "stored; give it again with -p {1}=VALUE",
                                                 o.run_id, it.key()));
        given->emplace_back(it.key(), it.value().get<std::string>());
    }
    auto params = engine::resolve_params(workflow, *given);
    if (!params) return fail(params.error());
    std::map<std::string, std::string> secrets;
    if (!o.secrets_file.empty()) {
        auto s = read_secrets(o.secrets_file);
        if (!s) return k_exit_usage;
        secrets = std::move(*s);
    } else {
        // Secrets were never stored: a workflow that reads the `secrets`
        // context needs its --secrets file again.
        for (const auto& ref : wf->loaded.refs)
            if (!ref.path.empty() && ref.path[0] == "secrets")
                return fail(Errc::usage,
                            fmt::format("run {}: its workflow reads secrets ({}:{}:{}), which are "
                                        "never stored; give --secrets FILE again",
                                        o.run_id, run.file, ref.loc.line, ref.loc.column));
    }

    engine::RunRequest req;
    req.workflow = wf;
    req.params = *params;
    req.event_id = run.event_id;
    req.event = store::event_json((*detail)->event);
    req.secrets = std::move(secrets);
    req.resume = std::move(*resume);
    return execute(*state, lock->token(), std::move(req), o, g);
}

}  // namespace weft::cli
