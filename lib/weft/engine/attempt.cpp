// An attempt, from its resolution to its end: the engine's side of the
// executors (Engine::Impl as ExecHost and RunHost).
#include <unistd.h>

#include "weft/engine/attempt_env.hpp"
#include "weft/engine/engine_impl.hpp"
#include "weft/engine/kill_point.hpp"
#include "weft/engine/outputs.hpp"
#include "weft/exec/process.hpp"
#include "weft/util/fs.hpp"

namespace weft::engine {

namespace {

using Json = nlohmann::json;
using model::StepState;

// The step's `slurm:` keys over those of `defaults`.
model::SlurmOptions slurm_options(const model::Workflow& wf, const model::Step& step) {
    auto opts = wf.defaults.slurm.value_or(model::SlurmOptions{});
    if (step.slurm) {
        const auto& o = *step.slurm;
        if (!o.partition.empty()) opts.partition = o.partition;
        if (o.cpus) opts.cpus = o.cpus;
        if (!o.mem.empty()) opts.mem = o.mem;
        if (o.time) opts.time = o.time;
        if (!o.gres.empty()) opts.gres = o.gres;
        if (!o.account.empty()) opts.account = o.account;
        if (!o.extra_args.empty()) opts.extra_args = o.extra_args;
    }
    return opts;
}

// The end of an attempt that ran: its status and message from how it
// exited, or why it was stopped. `failure`: what the executor says ended
// it, when it knows better than the exit code.
StepEnd attempt_end(const Attempt& a, std::optional<int> exit_code, std::optional<int> signal,
                    const std::string& failure, Duration took) {
    std::string message;
    if (a.timed_out)
        message = "timed out after " + format_duration(a.timeout);
    else if (a.cancelled)
        message = a.run->interrupted ? "interrupted" : "cancelled";
    else if (!failure.empty())
        message = failure;
    else if (signal)
        message = std::string("killed by ") + exec::signal_name(*signal);
    else if (exit_code && *exit_code != 0)
        message = "exit code " + std::to_string(*exit_code);
    const StepState status = a.cancelled && a.run->interrupted ? StepState::interrupted
                             : a.cancelled                     ? StepState::cancelled
                             : exit_code == 0 && !a.timed_out  ? StepState::success
                                                               : StepState::failure;
    StepEnd end = step_end(status, a.number, std::move(message));
    end.exit_code = exit_code;
    if (signal) end.signal = exec::signal_name(*signal);
    end.duration = took;
    return end;
}

// One line, as every log line is: a newline in weft's own note (from a param
// in a path, a plugin's message) would start a line that looks like the
// step's own, or like a GitHub Actions workflow command (`::error::`), so it
// is written `\n`.
std::string one_line(const std::string& note) {
    std::string text;
    text.reserve(note.size());
    for (char c : note) {
        if (c == '\n')
            text += "\\n";
        else if (c == '\r')
            text += "\\r";
        else
            text += c;
    }
    return text;
}

}  // namespace

// The attempt could not start: why goes to the step's log, and the step fails.
void Engine::Impl::fail_attempt(ActiveRun& run, int i, const std::string& text, TimePoint t0) {
    const auto& id = run.graph->instances[i].id;
    const std::string why = run.mask.apply(text);
    report_log(run.id, id, 2, one_line("weft: " + why), t0);
    store::LogLine line{0, run.id, id, t0, 2, one_line("weft: " + why)};
    batch.write(store.append_logs(std::span<const store::LogLine>(&line, 1)));
    runs->finish(run, i, step_end(StepState::failure, run.inst[i].attempts, why));
}

void Engine::Impl::start_attempt(ActiveRun& run, int i) {
    auto& in = run.inst[i];
    const auto& inst = run.graph->instances[i];
    const auto& wf = *run.wf;
    const auto& step = wf.steps[inst.step];
    const TimePoint t0 = clock->now();
    batch.begin();
    auto resolved = resolve_step(wf, step, runs->step_contexts(run, i));
    if (!resolved) return fail_attempt(run, i, resolved.error().message, t0);
    if (step.calls()) return start_call(run, i, *resolved, t0);
    std::optional<plugin::Found> plug;
    if (step.uses) {
        auto found = plugin::find(*step.uses);
        if (!found) return fail_attempt(run, i, "could not run: " + found.error().message, t0);
        plug = std::move(*found);
    }
    const bool on_slurm = step.runs_on.value_or(wf.defaults.runs_on) == model::RunsOn::slurm;
    if (on_slurm && plug)
        return fail_attempt(run, i,
                            "plugin steps ('uses: " + *step.uses +
                                "') cannot run on Slurm yet; this step was not run",
                            t0);
    // `weft resume` after a crash: the job left running is followed again,
    // never submitted a second time.
    if (on_slurm && in.attempts == 1 && run.req.resume) {
        auto it = run.req.resume->reattach.find(inst.id);
        if (it != run.req.resume->reattach.end() && it->second.slurm)
            return reattach(run, i, it->second, resolved->timeout);
    }
    if (in.attempts == 1 && !step.sources.empty() && up_to_date(run, i, *resolved, t0)) return;
    launch(run, i, *resolved, plug, on_slurm, t0);
}

// Incremental steps (SPEC §1): up-to-date when the fingerprint matches the
// one of its last success and what it generates exists. Otherwise the old
// fingerprint goes in the same transaction as the attempt's start, so a
// step that fails, is cancelled or dies with weft is never up-to-date.
// True when the instance ended here.
bool Engine::Impl::up_to_date(ActiveRun& run, int i, const ResolvedStep& r, TimePoint t0) {
    auto& in = run.inst[i];
    const auto& inst = run.graph->instances[i];
    const auto& wf = *run.wf;
    const auto& step = wf.steps[inst.step];
    auto fp = fingerprint(step, r, run.req.secrets);
    if (!fp) {
        fail_attempt(run, i, fp.error().message, t0);
        return true;
    }
    in.fingerprint = *fp;
    if (!run.req.force && generates_exist(r)) {
        auto old = batch.write(store.get_fingerprint(wf.name, inst.id));
        if (old && *old && (*old)->fingerprint == *fp) {
            runs->up_to_date(run, i, (*old)->outputs);
            return true;
        }
    }
    batch.write(store.clear_fingerprint(wf.name, inst.id));
    return false;
}

void Engine::Impl::launch(ActiveRun& run, int i, ResolvedStep& r,
                          const std::optional<plugin::Found>& plug, bool on_slurm, TimePoint t0) {
    auto& in = run.inst[i];
    const auto& inst = run.graph->instances[i];
    const auto& wf = *run.wf;
    const auto& step = wf.steps[inst.step];
    Executor& ex = on_slurm ? *slurm : *local;
    auto a = ex.new_attempt();
    a->executor = &ex;
    a->run = &run;
    a->index = i;
    a->run_id = run.id;
    a->step = inst.id;
    a->number = in.attempt_base + in.attempts;
    a->file_base = run.tmp_dir + "/" + file_safe(inst.id) + "." + std::to_string(in.attempts);
    a->started = t0;
    a->timeout = r.timeout;
    a->kill_grace = step.kill_grace.value_or(wf.defaults.kill_grace);
    a->cwd = r.cwd;
    if (plug) {  // a plugin step's input is its request (SPEC §7), read on its stdin
        const int run_attempt = run.contexts["run"].value("attempt", 1);
        auto req = plugin::make_request(r.with, r.env, run.req.event,
                                        {run.id, wf.name, inst.id, a->number, run_attempt});
        if (!req)
            return fail_attempt(
                run, i, "could not run plugin '" + plug->name + "': " + req.error().message, t0);
        a->script = std::move(*req);
        a->plugin = plug->name;
    } else {
        a->script = std::move(r.script);
    }
    if (auto p = ex.prepare(*a); !p) return fail_attempt(run, i, p.error().message, t0);
    a->argv = plug ? plugin::command(*plug) : shell_argv(r.shell, a->script_path);
    const std::string event_file = run.tmp_dir + "/event.json";
    if (!run.event_file_written && ::access(event_file.c_str(), F_OK) != 0)
        if (auto w = write_private_file(event_file, model::dump_json(run.req.event)); !w)
            return fail_attempt(run, i, w.error().message, t0);
    run.event_file_written = true;
    auto attempt_id = batch.write(store.start_attempt(run.id, inst.id, a->number, t0));
    if (!attempt_id) return fail_attempt(run, i, "cannot record the attempt", t0);
    kill_point("attempt-recorded");
    a->id = *attempt_id;
    a->marker = "WEFT_ATTEMPT_KEY=" + config.owner + ":" + std::to_string(a->id);
    ex.recorded(*a);
    a->env = attempt_env({&r.env, &run.req.secrets, run.id, wf.name, inst.id, a->number,
                          a->output_file, &run.req.event, event_file});
    if (on_slurm) {
        a->event_json = model::dump_json(run.req.event);
        a->slurm_options = slurm_options(wf, step);
    }
    if (auto s = ex.start(*a); !s) {
        const std::string why =
            (plug ? "could not run plugin '" + plug->name + "': " : "") + s.error().message;
        store::AttemptEnd end;
        end.status = StepState::failure;
        end.ended = clock->now();
        end.message = why;
        record_attempt_end(batch, run, a->id, end);
        return fail_attempt(run, i, why, t0);
    }
    if (a->process) batch.write(store.set_attempt_process(a->id, *a->process));
    // Reported in order with the ends (which wait for their commit).
    batch.when_committed([this, id = run.id, step_id = inst.id, n = a->number,
                          t0] { observer.step_started(id, step_id, n, t0); },
                         false);
    Attempt& ap = runs->attach(run, i, std::move(a));
    ex.follow(ap);
    if (ap.timeout.count() > 0) arm_timeout(ap, ap.timeout);
}

// Follow again the job `row` of a run being resumed (its weft died while the
// job ran). Its log lines stored before the crash are not read twice.
void Engine::Impl::reattach(ActiveRun& run, int i, const store::AttemptRow& row, Duration timeout) {
    auto& in = run.inst[i];
    const auto& inst = run.graph->instances[i];
    const auto& step = run.wf->steps[inst.step];
    in.attempt_base = row.number - in.attempts;
    auto a = slurm->new_attempt();
    a->executor = slurm;
    a->run = &run;
    a->index = i;
    a->run_id = run.id;
    a->step = inst.id;
    a->number = row.number;
    a->id = row.id;
    a->started = row.started;
    a->timeout = timeout;
    a->kill_grace = step.kill_grace.value_or(run.wf->defaults.kill_grace);
    long long out_offset = 0, err_offset = 0;
    if (auto logs = batch.write(store.get_logs(run.id, inst.id)))
        for (const auto& l : *logs)
            if (l.attempt_id == row.id)
                (l.stream == 1 ? out_offset : err_offset) +=
                    static_cast<long long>(l.text.size()) + 1;
    const auto& job = *row.slurm;
    note(*a, "following Slurm job " + (job.job.empty() ? job.name : job.job) +
                 " again after a restart");
    batch.when_committed([this, id = run.id, step_id = inst.id, n = a->number,
                          t0 = row.started] { observer.step_started(id, step_id, n, t0); },
                         false);
    Attempt& ap = runs->attach(run, i, std::move(a));
    slurm->reattach(ap, job, out_offset, err_offset);
    if (timeout.count() > 0)
        arm_timeout(ap, timeout - std::chrono::duration_cast<Duration>(clock->now() - row.started));
}

void Engine::Impl::arm_timeout(Attempt& a, Duration after) {
    a.timeout_timer = clock->after(Duration{std::max<long long>(1, after.count())}, [this, &a] {
        a.timeout_timer = 0;
        kill_attempt(a, true);
    });
}

void Engine::Impl::stop_attempt(Attempt& a) {
    kill_attempt(a, false);
}

// SIGTERM (or scancel), then SIGKILL once the kill-grace has passed.
void Engine::Impl::kill_attempt(Attempt& a, bool timeout) {
    if (timeout)
        a.timed_out = true;
    else
        a.cancelled = true;
    if (!a.executor->terminate(a) || a.kill_timer) return;
    a.kill_timer = clock->after(a.kill_grace, [&a] {
        a.kill_timer = 0;
        a.executor->kill(a);
    });
}

void Engine::Impl::run_ended(ActiveRun& run) {
    child_ended(run);
    batch.when_committed(
        [this, id = run.id] {
            for (Executor* ex : {local, slurm}) ex->run_ended(id);
        },
        false);
}

void Engine::Impl::when_committed(std::function<void()> f) {
    batch.when_committed(std::move(f));
}

void Engine::Impl::warning(const std::string& text) {
    observer.problem(Severity::warning, text);
}

void Engine::Impl::job_known(Attempt& a, const store::SlurmJobRef& job) {
    batch.begin();
    batch.write(store.set_attempt_slurm(a.id, job));
    runs->touch();
}

void Engine::Impl::output(Attempt& a, int stream, std::string& buf, bool final) {
    ActiveRun& run = *a.run;
    std::vector<store::LogLine> lines;
    std::size_t start = 0;
    const TimePoint t = clock->now();
    for (std::size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1)
        lines.push_back({a.id, run.id, a.step, t, stream, buf.substr(start, nl - start)});
    if (final && start < buf.size()) {
        lines.push_back({a.id, run.id, a.step, t, stream, buf.substr(start)});
        start = buf.size();
    }
    buf.erase(0, start);
    if (lines.empty()) return;
    if (!run.mask.empty())
        for (auto& l : lines) l.text = run.mask.apply(l.text);
    for (const auto& l : lines) report_log(l.run_id, l.step, l.stream, l.text, l.time);
    batch.begin();
    if (test_hooks() && lines.size() >= 2) {
        const std::size_t half = lines.size() / 2;
        batch.write(store.append_logs(std::span<const store::LogLine>(lines.data(), half)));
        kill_point("log-batch");
        batch.write(store.append_logs(
            std::span<const store::LogLine>(lines.data() + half, lines.size() - half)));
        return;
    }
    batch.write(store.append_logs(lines));
}

// A log line to the observer, after the reports still waiting for their
// commit (the step's start comes before its first line).
void Engine::Impl::report_log(model::RowId run, const std::string& step, int stream,
                              const std::string& text, TimePoint t) {
    if (!batch.has_waiters()) return observer.log(run, step, stream, text, t);
    batch.when_committed(
        [this, run, step, stream, text, t] { observer.log(run, step, stream, text, t); }, false);
}

// A line of weft's own in a step's log, shown and stored like the step's.
void Engine::Impl::note_log(ActiveRun& run, model::RowId attempt, const std::string& step,
                            const std::string& note, TimePoint t) {
    const std::string text = one_line(note);
    report_log(run.id, step, 2, text, t);
    store::LogLine line{attempt, run.id, step, t, 2, text};
    batch.begin();
    batch.write(store.append_logs(std::span<const store::LogLine>(&line, 1)));
}

// A note of weft's own in the step's log (no attempt: never counted as output).
void Engine::Impl::note(Attempt& a, const std::string& text) {
    note_log(*a.run, 0, a.step, "weft: " + a.run->mask.apply(text), clock->now());
}

// What an ended plugin attempt (not timed out, not cancelled) reported, or
// why it could not run: its exit status first, then its result.
Result<plugin::Outcome> Engine::Impl::plugin_outcome(const Attempt& a, std::optional<int> exit_code,
                                                     std::optional<int> signal) const {
    if (a.result_too_large)
        return make_error(Errc::invalid, "its result on stdout is larger than " +
                                             std::to_string(plugin::k_max_result >> 20) +
                                             " MiB; it was killed");
    if (signal)
        return make_error(Errc::exec,
                          std::string("it was killed by ") + exec::signal_name(*signal));
    if (exit_code && *exit_code != 0) {
        auto told = plugin::parse_result(a.result);
        const std::string said = told && !told->message.empty() ? " (" + told->message + ")" : "";
        return make_error(Errc::exec, "it exited with code " + std::to_string(*exit_code) + said);
    }
    return plugin::parse_result(a.result);
}

// Record how attempt `a` ended, then let the state machine retry it or
// finish its instance (which deletes `a`).
void Engine::Impl::ended(Attempt& a, const ExecEnd& e) {
    clock->cancel(a.timeout_timer);
    clock->cancel(a.kill_timer);
    ActiveRun& run = *a.run;
    const TimePoint t = clock->now();
    StepEnd end = attempt_end(a, e.exit_code, e.signal, e.failure,
                              std::chrono::duration_cast<Duration>(t - a.started));
    // A plugin's failure says whether the plugin reported it or could not
    // run properly (crashed, exited non-zero, gave no valid result).
    Json plugin_outputs = Json::object();
    if (a.plugin && !a.timed_out && !a.cancelled) {
        auto outcome = plugin_outcome(a, e.exit_code, e.signal);
        if (!outcome) {
            end.status = StepState::failure;
            end.message = "could not run plugin '" + *a.plugin + "': " + outcome.error().message;
        } else if (!outcome->success) {
            end.status = StepState::failure;
            end.message = "plugin '" + *a.plugin + "' failed" +
                          (outcome->message.empty() ? "" : ": " + outcome->message);
        } else {
            plugin_outputs = std::move(outcome->outputs);
        }
        if (end.status == StepState::failure) {
            if (end.exit_code == 0) end.exit_code.reset();  // SPEC §9.3
            note_log(run, a.id, a.step, "weft: " + run.mask.apply(end.message), t);
        }
    }
    std::optional<Json> outputs;
    if (end.status == StepState::success) {
        auto parsed = parse_outputs(e.outputs);
        if (!parsed) {
            end.status = StepState::failure;
            end.message = run.mask.apply(parsed.error().message);
            report_log(run.id, a.step, 2, one_line("weft: " + end.message), t);
        } else {
            outputs = std::move(*parsed);
            for (auto it = plugin_outputs.begin(); it != plugin_outputs.end(); ++it)
                (*outputs)[it.key()] = it.value();
        }
    }
    batch.begin();
    store::AttemptEnd ae;
    ae.status = end.status;
    ae.ended = t;
    ae.exit_code = end.exit_code;
    ae.signal = end.signal;
    ae.message = end.message;
    record_attempt_end(batch, run, a.id, ae);
    runs->settle(run, a.index, end, std::move(outputs));
    runs->touch();
}

}  // namespace weft::engine
