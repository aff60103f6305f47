// weft run: one workflow, once, in this process, with the same engine
// `weft up` uses.
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
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
#include "weft/util/strings.hpp"

namespace weft::cli {

namespace {

// `-p KEY=VALUE` over the workflow's params: unknown names and missing
// required ones are usage errors (exit 2) that name the param.
std::optional<nlohmann::json> resolve_params(const model::Workflow& wf,
                                             const std::vector<std::string>& given) {
    std::vector<std::pair<std::string, std::string>> pairs;
    bool ok = true;
    for (const auto& kv : given) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
            std::fprintf(stderr, "weft: error: -p %s: expected KEY=VALUE\n", kv.c_str());
            ok = false;
            continue;
        }
        pairs.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    auto values = engine::resolve_params(wf, pairs);
    if (!values) {
        std::istringstream lines(values.error().message);
        for (std::string line; std::getline(lines, line);)
            std::fprintf(stderr, "weft: error: %s\n", line.c_str());
        return std::nullopt;
    }
    if (!ok) return std::nullopt;
    return std::move(*values);
}

// The content of `path`, a regular file; else an error naming `flag`, the
// file and why (a missing file, a directory, ...) and nullopt.
std::optional<std::string> read_regular_file(const std::string& path, const char* flag) {
    struct stat st {};
    const char* why = nullptr;
    if (::stat(path.c_str(), &st) != 0)
        why = std::strerror(errno);
    else if (S_ISDIR(st.st_mode))
        why = std::strerror(EISDIR);
    else if (!S_ISREG(st.st_mode))
        why = "not a regular file";
    else if (st.st_size > (64 << 20))
        why = "larger than 64 MiB";
    std::ifstream f(path, std::ios::binary);
    if (!why && !f) why = std::strerror(errno);
    if (why) {
        std::fprintf(stderr, "weft: error: %s %s: %s\n", flag, path.c_str(), why);
        return std::nullopt;
    }
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

bool is_env_name(const std::string& s) {
    if (s.empty() || std::isdigit(static_cast<unsigned char>(s[0]))) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}

// `--secrets FILE`: `KEY=VALUE` lines, taken literally (no quotes, no
// expansion, as `docker --env-file`); blank lines and `#` comments skipped.
std::optional<std::map<std::string, std::string>> read_secrets(const std::string& path) {
    auto text = read_regular_file(path, "--secrets");
    if (!text) return std::nullopt;
    std::istringstream f(*text);
    std::map<std::string, std::string> out;
    bool ok = true;
    int n = 0;
    for (std::string line; std::getline(f, line);) {
        ++n;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        const auto first = line.find_first_not_of(" \t");
        if (first == std::string::npos || line[first] == '#') continue;
        const auto eq = line.find('=');
        const std::string key = eq == std::string::npos ? line : line.substr(0, eq);
        if (eq == std::string::npos || !is_env_name(key)) {
            std::fprintf(stderr, "%s:%d:1: error: expected KEY=VALUE with KEY a variable name\n",
                         path.c_str(), n);
            ok = false;
            continue;
        }
        out[key] = line.substr(eq + 1);
    }
    if (!ok) return std::nullopt;
    return out;
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
    if (!selected) {
        std::fprintf(stderr, "weft: error: %s\n", selected.error().message.c_str());
        return k_exit_usage;
    }
    auto ctx = engine::run_contexts(wf, params, event, secrets, 0);
    if (!ctx) {
        std::fprintf(stderr, "weft: error: %s\n", ctx.error().message.c_str());
        return k_exit_usage;
    }
    std::optional<State> state;
    if (::access(state_path(g).c_str(), F_OK) == 0) {
        state = open_state(g);
        if (!state) return k_exit_state;
    }
    std::size_t width = 0, count = 0;
    for (std::size_t i = 0; i < graph.instances.size(); ++i)
        if ((*selected)[i]) {
            width = std::max(width, graph.instances[i].id.size());
            ++count;
        }
    if (!o.json)
        std::printf("dry run of %s (%zu step%s): nothing is run\n", wf.name.c_str(), count,
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
        if (!step.sources.empty() && upstream) {
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
            } else if (!engine::generates_exist(step)) {
                why = "a file it generates is missing";
            } else {
                auto old = state ? state->store.get_fingerprint(wf.name, inst.id)
                                 : Result<std::optional<store::Fingerprint>>(
                                       std::optional<store::Fingerprint>());
                if (!old) {
                    std::fprintf(stderr, "weft: error: %s\n", old.error().message.c_str());
                    return k_exit_state;
                }
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
        if (step.if_cond) why += std::string(why.empty() ? "" : "; ") + "if: " + *step.if_cond;
        will_run[i] = action != "up-to-date";
        if (o.json) {
            nlohmann::json j{
                {"type", "plan"}, {"step", inst.id}, {"position", ++n}, {"action", action}};
            if (!why.empty()) j["reason"] = why;
            std::printf("%s\n", model::dump_json(j).c_str());
        } else {
            std::printf("%4d  %-*s  %s%s\n", ++n, static_cast<int>(width), inst.id.c_str(),
                        action.c_str(), why.empty() ? "" : (" (" + why + ")").c_str());
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
    const char* gha = std::getenv("GITHUB_ACTIONS");
    if (gha && std::string_view(gha) == "true")
        return std::make_unique<report::GithubReporter>(stdout, v, color);
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
    if (!eng) {
        std::fprintf(stderr, "weft: error: %s\n", eng.error().message.c_str());
        return k_exit_state;
    }
    if (o.jobs != k_jobs_unset) req.jobs = o.jobs;
    req.fail_fast = o.fail_fast;
    req.force = o.force;
    auto run_id = (*eng)->start(std::move(req));
    if (!run_id) {
        std::fprintf(stderr, "weft: error: %s\n", run_id.error().message.c_str());
        return run_id.error().code == Errc::invalid ? k_exit_usage : k_exit_state;
    }
    const bool stored = (*eng)->run();
    if (stored) prune_after_run(state.store, workflow, g);
    const int sig = (*eng)->interrupted_by();
    if (sig == SIGINT) return k_exit_sigint;
    if (sig == SIGTERM) return k_exit_sigterm;
    if (sig == SIGHUP) return k_exit_sighup;
    if (!stored) {
        std::fprintf(stderr,
                     "weft: run %lld stopped: what followed the failure could not be recorded; "
                     "once the state database works again (space freed, or the file restored), "
                     "'weft resume %lld' continues it\n",
                     static_cast<long long>(*run_id), static_cast<long long>(*run_id));
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
    auto params = resolve_params(workflow, o.params);
    if (!params) return k_exit_usage;
    if (o.jobs != k_jobs_unset && o.jobs < 1) {
        std::fprintf(stderr, "weft: error: -j must be at least 1\n");
        return k_exit_usage;
    }
    if (auto selected = engine::select_instances(workflow, *wf->graph, o.only); !selected) {
        std::fprintf(stderr, "weft: error: %s\n", selected.error().message.c_str());
        return k_exit_usage;
    }

    std::map<std::string, std::string> secrets;
    if (!o.secrets_file.empty()) {
        auto s = read_secrets(o.secrets_file);
        if (!s) return k_exit_usage;
        secrets = std::move(*s);
    }
    // The event is stored and shown: secret params appear masked in it.
    nlohmann::json shown_params = *params;
    for (const auto& p : workflow.params)
        if (p.secret && shown_params.contains(p.name) &&
            !shown_params[p.name].get<std::string>().empty())
            shown_params[p.name] = "***";
    nlohmann::json event = {{"kind", "manual"}, {"params", shown_params}};
    if (!o.event_file.empty()) {
        auto text = read_regular_file(o.event_file, "--event");
        if (!text) return k_exit_usage;
        auto fail = [&](const std::string& why) {
            std::fprintf(stderr, "weft: error: --event %s: %s\n", o.event_file.c_str(),
                         why.c_str());
            return k_exit_usage;
        };
        if (json_nesting(*text) > k_max_json_nesting)
            return fail("JSON nested deeper than " + std::to_string(k_max_json_nesting) +
                        " levels");
        auto parsed = nlohmann::json::parse(*text, nullptr, false);
        if (parsed.is_discarded() || !parsed.is_object()) return fail("expected a JSON object");
        if (parsed.contains("kind") && !parsed["kind"].is_string())
            return fail("\"kind\" must be a string");
        if (parsed.contains("time") && !parsed["time"].is_string())
            return fail("\"time\" must be an RFC 3339 string");
        event = parsed;
        if (!event.contains("kind")) event["kind"] = "manual";
    }
    const TimePoint t =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    if (!event.contains("time")) event["time"] = format_rfc3339(t);

    const auto log_cap = log_cap_from_env();
    if (!log_cap) return k_exit_usage;

    if (o.dry_run) return dry_run(*wf, o, g, *params, event, secrets);

    auto state = open_state(g);
    if (!state) return k_exit_state;
    state->store.set_log_cap(*log_cap);
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
    if (o.run_id <= 0) {
        std::fprintf(stderr, "weft: error: run ids are positive integers\n");
        return k_exit_usage;
    }
    if (o.jobs != k_jobs_unset && o.jobs < 1) {
        std::fprintf(stderr, "weft: error: -j must be at least 1\n");
        return k_exit_usage;
    }
    const auto log_cap = log_cap_from_env();
    if (!log_cap) return k_exit_usage;
    auto state = open_state(g);
    if (!state) return k_exit_state;
    state->store.set_log_cap(*log_cap);
    auto lock = engine::OwnerLock::acquire(state->dir);
    if (!lock) {
        std::fprintf(stderr, "weft: error: %s\n", lock.error().message.c_str());
        return k_exit_state;
    }
    auto detail = state->store.get_run(o.run_id);
    if (!detail) {
        std::fprintf(stderr, "weft: error: %s\n", detail.error().message.c_str());
        return k_exit_state;
    }
    if (!*detail) {
        std::fprintf(stderr, "weft: error: no run %lld\n", o.run_id);
        return k_exit_usage;
    }
    const auto& run = (*detail)->run;
    auto resume = engine::plan_resume(**detail);
    if (!resume) {
        std::fprintf(stderr, "weft: error: %s\n", resume.error().message.c_str());
        return k_exit_usage;
    }
    // The workflow as its file says today, as the run recorded it.
    auto wf = std::make_shared<parse::Workflow>(parse::load_workflow(run.file));
    print_diagnostics(wf->loaded, g.out);
    if (!wf->ok()) {
        std::fprintf(stderr, "weft: error: run %lld: cannot load its workflow file %s\n", o.run_id,
                     run.file.c_str());
        return k_exit_usage;
    }
    const auto& workflow = *wf->loaded.workflow;
    if (workflow.name != run.workflow) {
        std::fprintf(stderr, "weft: error: run %lld: %s now holds workflow '%s', not '%s'\n",
                     o.run_id, run.file.c_str(), workflow.name.c_str(), run.workflow.c_str());
        return k_exit_usage;
    }
    // Params: those the run had, then -p. Secret values were never stored
    // (SPEC §4): each secret param the run had must be given again.
    std::vector<std::string> given = o.params;
    std::set<std::string> named;
    for (const auto& kv : o.params) named.insert(kv.substr(0, kv.find('=')));
    for (auto it = run.params.begin(); it != run.params.end(); ++it) {
        const auto* p = workflow.find_param(it.key());
        if (!p || named.count(it.key()) || !it.value().is_string()) continue;
        if (p->secret && it.value() == "***") {
            std::fprintf(stderr,
                         "weft: error: run %lld had secret param '%s', which is never stored; give "
                         "it again with -p %s=VALUE\n",
                         o.run_id, it.key().c_str(), it.key().c_str());
            return k_exit_usage;
        }
        given.push_back(it.key() + "=" + it.value().get<std::string>());
    }
    auto params = resolve_params(workflow, given);
    if (!params) return k_exit_usage;
    std::map<std::string, std::string> secrets;
    if (!o.secrets_file.empty()) {
        auto s = read_secrets(o.secrets_file);
        if (!s) return k_exit_usage;
        secrets = std::move(*s);
    } else {
        // Secrets were never stored: a workflow that reads the `secrets`
        // context needs its --secrets file again.
        for (const auto& ref : wf->loaded.refs)
            if (!ref.path.empty() && ref.path[0] == "secrets") {
                std::fprintf(stderr,
                             "weft: error: run %lld: its workflow reads secrets (%s:%d:%d), which "
                             "are never stored; give "
                             "--secrets FILE again\n",
                             o.run_id, run.file.c_str(), ref.loc.line, ref.loc.column);
                return k_exit_usage;
            }
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
