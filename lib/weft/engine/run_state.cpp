#include "weft/engine/run_state.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <functional>
#include <thread>

#include "weft/engine/fan_out.hpp"
#include "weft/engine/kill_point.hpp"
#include "weft/engine/resolve.hpp"
#include "weft/engine/spare.hpp"
#include "weft/expr/expr.hpp"

namespace weft::engine {

namespace {

using Json = nlohmann::json;
using model::RunState;
using model::StepState;

// A step's outcome as its dependents see it: `continue-on-error` turns a
// failure into a pass for them (SPEC §2).
bool passed(StepState s, bool continue_on_error) {
    return s == StepState::success || s == StepState::up_to_date ||
           (s == StepState::failure && continue_on_error);
}

StepRefs collect_step_refs(const model::Step& step) {
    StepRefs out;
    auto add = [&](const expr::Expr& e) {
        for (const auto& r : expr::references(e)) {
            if (r.path.empty() || r.path[0] != "steps") continue;
            if (r.path.size() < 2)
                out.all = true;
            else if (std::find(out.ids.begin(), out.ids.end(), r.path[1]) == out.ids.end())
                out.ids.push_back(r.path[1]);
        }
    };
    auto add_template = [&](const std::optional<std::string>& text) {
        if (!text || text->find("${{") == std::string::npos) return;
        if (auto t = expr::parse_template(*text))
            for (const auto& part : t->parts)
                if (part.expr) add(*part.expr);
    };
    if (step.if_cond)
        if (auto c = expr::parse_condition(*step.if_cond)) add(*c);
    for (const auto& [k, v] : step.env) add_template(v);
    add_template(step.run);
    std::function<void(const Json&)> add_with = [&](const Json& v) {
        if (v.is_string())
            add_template(v.get<std::string>());
        else if (v.is_structured())
            for (const auto& x : v) add_with(x);
    };
    add_with(step.with);
    add_template(step.working_directory);
    add_template(step.timeout);
    for (const auto* list : {&step.sources, &step.generates})
        for (const auto& pattern : *list) add_template(pattern);
    if (step.matrix) {
        add_template(step.matrix->expr);
        for (const auto& [axis, text] : step.matrix->axis_exprs) add_template(text);
    }
    return out;
}

// `weft resume`: a succeeded instance with `sources` is checked again (its
// fingerprint decides), and so is every succeeded one after it.
void recheck_sources(ActiveRun& run) {
    const auto& g = *run.graph;
    for (std::size_t i = 0; i < g.instances.size(); ++i) {
        if (!run.done[i]) continue;
        bool after = false;
        for (int n : g.instances[i].needs) after = after || run.inst[n].keep.has_value();
        if (run.wf->steps[g.instances[i].step].sources.empty() && !after) continue;
        run.done[i] = 0;
        run.inst[i].keep = run.req.resume->done.at(g.instances[i].id);
    }
}

}  // namespace

StepEnd step_end(StepState status, int attempt, std::string message) {
    StepEnd end;
    end.status = status;
    end.attempt = attempt;
    end.message = std::move(message);
    return end;
}

void record_attempt_end(WriteBatch& batch, const ActiveRun& run, model::RowId attempt,
                        store::AttemptEnd end) {
    end.message = run.mask.apply(end.message);
    batch.write(batch.store().finish_attempt(attempt, end));
}

namespace {

bool ended(StepState s) {
    return s != StepState::pending && s != StepState::running;
}

// Fold one instance's end into a step's context: its outputs over those
// so far, and the worst status.
void fold_instance(Json& sc, const Instance& in) {
    if (!sc.is_object()) sc = Json{{"outputs", Json::object()}, {"status", to_string(in.status)}};
    for (auto it = in.outputs.begin(); it != in.outputs.end(); ++it)
        sc["outputs"][it.key()] = it.value();
    if (in.status == StepState::failure || sc["status"] == "success" ||
        sc["status"] == "up-to-date")
        sc["status"] = to_string(in.status);
}

}  // namespace

void note_step_context(ActiveRun& run, int i) {
    const auto& g = *run.graph;
    const int s = g.instances[i].step;
    auto& sc = run.steps_ctx[run.wf->steps[s].id];
    const auto& mine = g.step_instances[s];
    // A dynamic matrix that ended before it was decided is one instance.
    if (!run.wf->steps[s].matrix || (mine.size() == 1 && g.instances[mine[0]].decide)) {
        sc = nullptr;
        return fold_instance(sc, run.inst[i]);
    }
    // A matrix step: folded as its instances end, then, once the last one
    // has, rebuilt in matrix order, so what its dependents read does not
    // depend on the order the instances finished in.
    for (int k : mine)
        if (!ended(run.inst[k].status)) return fold_instance(sc, run.inst[i]);
    sc = nullptr;
    Json list = Json::array();
    for (int k : mine) {
        const auto& in = run.inst[k];
        fold_instance(sc, in);
        list.push_back(Json{{"matrix", g.instances[k].matrix},
                            {"status", to_string(in.status)},
                            {"outputs", in.outputs}});
    }
    sc["instances"] = std::move(list);
}

Result<std::unique_ptr<ActiveRun>> plan_run(RunRequest req, TimePoint now) {
    auto run = std::make_unique<ActiveRun>();
    run->req = std::move(req);
    run->wf = &*run->req.workflow->loaded.workflow;
    run->graph = &*run->req.workflow->graph;
    const auto& wf = *run->wf;
    const auto& g = *run->graph;
    const auto& resume = run->req.resume;
    run->done.assign(g.instances.size(), 0);
    if (resume) {
        // The run's own steps (and any they now need), as the file says today.
        std::vector<std::string> ids;
        for (std::size_t i = 0; i < g.instances.size(); ++i) {
            if (resume->attempts.count(g.instances[i].id))
                ids.push_back(wf.steps[g.instances[i].step].id);
            // A dynamic matrix decides again (decide() keeps what succeeded);
            // `finally` runs again at the end of the resumed run.
            run->done[i] = resume->done.count(g.instances[i].id) && !g.instances[i].decide &&
                           !wf.steps[g.instances[i].step].finally;
        }
        std::sort(ids.begin(), ids.end());
        ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
        run->req.only = ids;
    }
    auto selected = select_instances(wf, g, run->req.only);
    if (!selected) return selected.error();
    run->selected = std::move(*selected);
    run->inst.resize(g.instances.size());
    run->dependents.resize(g.instances.size());
    run->refs.resize(wf.steps.size());
    if (resume) recheck_sources(*run);
    for (std::size_t i = 0; i < g.instances.size(); ++i) {
        auto& in = run->inst[i];
        if (!run->selected[i]) {
            in.status = StepState::skipped;
            continue;
        }
        if (run->done[i]) {  // succeeded in an earlier attempt of the run: kept
            in.status = StepState::success;
            in.outputs = resume->done.at(g.instances[i].id);
            note_step_context(*run, static_cast<int>(i));
            continue;
        }
        if (resume)
            if (auto it = resume->attempts.find(g.instances[i].id); it != resume->attempts.end())
                in.attempt_base = it->second;
        ++run->unfinished;
        // A `finally` instance also waits for the end of `steps` (one more
        // count, released by enter_finally()).
        if (wf.steps[g.instances[i].step].finally)
            ++in.waiting;
        else
            ++run->main_unfinished;
        for (int n : g.instances[i].needs) {
            if (run->done[static_cast<std::size_t>(n)]) continue;
            ++in.waiting;
            run->dependents[n].push_back(static_cast<int>(i));
        }
        if (in.waiting == 0) run->ready.insert(static_cast<int>(i));
    }

    // Read once: it reads /sys/devices/system/cpu/online, three system
    // calls at every run of `weft up`.
    static const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    run->max_parallel = run->req.jobs.value_or(wf.max_parallel.value_or(static_cast<int>(cpus)));
    run->fail_fast = run->req.fail_fast || wf.fail_fast;
    run->started = now;
    run->attempt = resume ? resume->attempt : 1;
    run->mask = secret_masker(wf, run->req.params, Json(run->req.secrets));
    run->stored_params = masked_params(wf, run->req.params);
    return run;
}

void RunStates::admit(std::unique_ptr<ActiveRun> run) {
    const auto& wf = *run->wf;
    if (wf.timeout && wf.timeout->count() > 0) {
        ActiveRun* r = run.get();
        r->timeout_timer = m_clock.after(*wf.timeout, [this, r] {
            r->timeout_timer = 0;
            cancel(*r, "the run timed out after " + format_duration(*r->wf->timeout), true);
        });
    }
    m_observer.run_started(run->id, wf.name, run->attempt, run->started);
    m_runs.push_back(std::move(run));
    m_dirty = true;
}

void RunStates::schedule() {
    // Until nothing changes: a step skipped here can make another ready, and
    // the loop may have no handle left to wake it for a later pass.
    while (m_dirty) {
        m_dirty = false;
        for (auto& r : m_runs) schedule_run(*r);
    }
    // Drop runs that ended, once nothing of theirs is alive.
    m_runs.remove_if(
        [](const std::unique_ptr<ActiveRun>& r) { return r->status != RunState::running; });
}

Json RunStates::step_contexts(const ActiveRun& run, int i) const {
    const auto& inst = run.graph->instances[i];
    auto& refs = run.refs[inst.step];
    if (!refs) refs = collect_step_refs(run.wf->steps[inst.step]);
    Json ctx = run.contexts;
    if (refs->all) {
        ctx["steps"] = run.steps_ctx;
    } else {
        for (const auto& id : refs->ids)
            if (auto it = run.steps_ctx.find(id); it != run.steps_ctx.end()) ctx["steps"][id] = *it;
    }
    ctx["matrix"] = inst.matrix.is_null() ? Json::object() : inst.matrix;
    return ctx;
}

void RunStates::enter_finally(ActiveRun& run) {
    run.in_finally = true;
    run.finally_failed = run.any_failed || run.timed_out;
    run.finally_cancelled = run.cancelled && !run.timed_out;
    // The run's timeout bounds `steps`, not `finally`.
    m_clock.cancel(run.timeout_timer);
    run.timeout_timer = 0;
    const auto& g = *run.graph;
    for (std::size_t i = 0; i < g.instances.size(); ++i) {
        auto& in = run.inst[i];
        if (!run.wf->steps[g.instances[i].step].finally || in.status != StepState::pending ||
            !run.selected[i] || run.done[i])
            continue;
        if (--in.waiting == 0) run.ready.insert(static_cast<int>(i));
    }
    m_dirty = true;
}

void RunStates::schedule_run(ActiveRun& run) {
    if (run.status != RunState::running) return;
    // An interrupted run decides nothing more: what has not started stays
    // pending for `weft resume`, and `finally` does not run then.
    if (run.interrupted) return maybe_finish_run(run);
    if (!run.setup_error.empty() && !run.any_failed) fail_setup(run);
    if (!run.in_finally && run.main_unfinished == 0) enter_finally(run);
    const auto& wf = *run.wf;
    // Only instances whose needs have all ended are looked at: instances are
    // in topological order, so what an instance unblocks sorts after it and
    // is reached by this same pass.
    for (auto it = run.ready.begin(); it != run.ready.end();) {
        const int i = *it;
        if (run.inst[i].decided) {
            it = run.ready.erase(it);
            decided(run, i);
            continue;
        }
        // Not held across decide(), which may replace the graph.
        const auto& g = *run.graph;
        const auto& inst = g.instances[i];
        const auto& step = wf.steps[inst.step];
        bool needs_ok = true, any_failed = run.fail_fast && run.any_failed && !step.finally;
        for (int n : inst.needs) {
            if (!passed(run.inst[n].status, wf.steps[g.instances[n].step].continue_on_error))
                needs_ok = false;
            // failure() sees every step this one needs, directly or not.
            if (run.inst[n].failed_upstream) any_failed = true;
        }
        run.inst[i].failed_upstream = any_failed;
        // A `finally` step sees the run's outcome; by default it always runs.
        const bool stopped = stopping(run, i);
        const expr::Status outcome = step.finally
                                         ? expr::Status{run.finally_failed, run.finally_cancelled}
                                         : expr::Status{any_failed, run.cancelled};
        bool go = needs_ok && !stopped && (step.finally || !any_failed);
        std::string message;
        if (step.finally && run.finally_skipped) message = "skipped: 'finally' was stopped";
        // A dynamic matrix's `if` is its instances': they may read `matrix`.
        if (step.if_cond && !(step.finally && stopped)) {
            auto cond = expr::parse_condition(*step.if_cond);
            if (inst.decide) {
                if (cond && expr::uses_status_function(*cond)) go = !stopped;
            } else if (!cond) {
                go = false;
                message = "if: " + cond.error().message;
            } else if (expr::uses_status_function(*cond) || go) {
                auto v = expr::evaluate(*cond, step_contexts(run, i), outcome);
                if (!v) {
                    it = run.ready.erase(it);
                    m_batch.begin();
                    finish(run, i, step_end(StepState::failure, 1, "if: " + v.error().message));
                    continue;
                }
                go = expr::truthy(*v);
            }
        }
        if (!go) {
            it = run.ready.erase(it);
            m_batch.begin();
            const bool cancelled = run.cancelled && !step.finally;
            finish(run, i,
                   step_end(cancelled ? StepState::cancelled : StepState::skipped, 0, message));
            continue;
        }
        if (run.inst[i].keep && keep_unchanged(run, i)) {
            it = run.ready.erase(it);
            continue;
        }
        if (inst.decide) {  // no process: not bound by -j
            it = run.ready.erase(it);
            decide(run, i);
            continue;
        }
        // -j bounds the steps of a run and of every run it calls; a call
        // step runs no process, its child's steps take the slots.
        ActiveRun& bound = run.top ? *run.top : run;
        const bool slot = !step.calls();
        if (slot && bound.busy >= bound.max_parallel) break;
        it = run.ready.erase(it);
        run.inst[i].slot = slot;
        if (slot) ++bound.busy;
        start_instance(run, i);
    }
    maybe_finish_run(run);
}

void RunStates::start_instance(ActiveRun& run, int i) {
    auto& in = run.inst[i];
    in.status = StepState::running;
    in.started = m_clock.now();
    ++run.running;
    m_batch.begin();
    store::StepUpdate u;
    u.started = in.started;
    m_batch.write(
        m_batch.store().set_step(run.id, run.graph->instances[i].id, StepState::running, u));
    next_attempt(run, i);
}

void RunStates::next_attempt(ActiveRun& run, int i) {
    ++run.inst[i].attempts;
    m_host.start_attempt(run, i);
}

void RunStates::up_to_date(ActiveRun& run, int i, Json outputs) {
    auto& in = run.inst[i];
    in.outputs = std::move(outputs);
    in.attempts = 0;
    finish(run, i, step_end(StepState::up_to_date, 0));
}

Attempt& RunStates::attach(ActiveRun& run, int i, std::unique_ptr<Attempt> a) {
    auto& in = run.inst[i];
    in.active = std::move(a);
    return *in.active;
}

void RunStates::settle(ActiveRun& run, int i, StepEnd end, std::optional<Json> outputs) {
    auto& in = run.inst[i];
    const auto& inst = run.graph->instances[i];
    const auto& retry = run.wf->steps[inst.step].retry;
    if (outputs) in.outputs = std::move(*outputs);
    in.active.reset();
    if (end.status == StepState::failure && in.attempts < retry.attempts && !stopping(run, i)) {
        double delay =
            static_cast<double>(retry.delay.count()) * std::pow(retry.backoff, in.attempts - 1);
        if (retry.max_delay) delay = std::min(delay, static_cast<double>(retry.max_delay->count()));
        end.will_retry = true;
        end.retry_in = Duration{static_cast<long long>(delay)};
        const TimePoint t = m_clock.now();
        m_batch.when_committed([this, id = run.id, step_id = inst.id, end,
                                t] { m_observer.step_finished(id, step_id, end, t); },
                               false);
        in.retry_timer = m_clock.after(end.retry_in, [this, r = &run, i] { retry_now(*r, i); });
        m_dirty = true;
        return;
    }
    finish(run, i, end);
}

// A retry delay ended (or the run was cancelled while it waited).
void RunStates::retry_now(ActiveRun& run, int i) {
    auto& in = run.inst[i];
    in.retry_timer = 0;
    m_batch.begin();
    if (run.interrupted)
        finish(run, i, step_end(StepState::interrupted, in.attempts, "interrupted"));
    else if (stopping(run, i))
        finish(run, i, step_end(StepState::cancelled, in.attempts, "cancelled"));
    else
        next_attempt(run, i);
    m_dirty = true;
}

void RunStates::finish(ActiveRun& run, int i, const StepEnd& end_info) {
    auto& in = run.inst[i];
    const auto& inst = run.graph->instances[i];
    const auto& step = run.wf->steps[inst.step];
    const StepState status = end_info.status;
    const bool was_running = in.status == StepState::running;
    in.status = status;
    if (was_running) --run.running;
    if (in.slot) {
        in.slot = false;
        --(run.top ? *run.top : run).busy;
    }
    if (status == StepState::failure && !step.continue_on_error) {
        run.any_failed = true;
        in.failed_upstream = true;
    }
    --run.unfinished;
    if (!step.finally) --run.main_unfinished;
    for (int d : run.dependents[i])
        if (--run.inst[d].waiting == 0) run.ready.insert(d);
    const TimePoint t = m_clock.now();
    store::StepUpdate u;
    u.ended = t;
    u.exit_code = end_info.exit_code;
    u.signal = end_info.signal;
    const std::string message = run.mask.apply(end_info.message);
    if (!message.empty()) u.message = message;
    auto& store = m_batch.store();
    m_batch.write(store.set_step(run.id, inst.id, status, u));
    kill_point("step-ended");
    // Outputs are stored masked; the `steps` context of later steps keeps
    // the values.
    Json stored = in.outputs;
    if (!run.mask.empty())
        for (auto it = stored.begin(); it != stored.end(); ++it)
            if (it.value().is_string()) it.value() = run.mask.apply(it.value().get<std::string>());
    if (!stored.empty()) m_batch.write(store.set_step_outputs(run.id, inst.id, stored));
    if (status == StepState::success && !in.fingerprint.empty())
        m_batch.write(store.set_fingerprint(run.wf->name, inst.id, in.fingerprint, stored, run.id));

    note_step_context(run, i);

    StepEnd end = end_info;
    end.message = message;
    if (was_running || in.decided)
        end.duration = std::chrono::duration_cast<Duration>(t - in.started);
    m_batch.when_committed([this, id = run.id, step_id = inst.id, end,
                            t] { m_observer.step_finished(id, step_id, end, t); },
                           false);
    m_dirty = true;
}

void RunStates::maybe_finish_run(ActiveRun& run) {
    if (run.status != RunState::running) return;
    if (run.interrupted ? run.running > 0 : run.unfinished > 0) return;
    run.status = run.interrupted                   ? RunState::interrupted
                 : run.cancelled && !run.timed_out ? RunState::cancelled
                 : run.any_failed || run.timed_out ? RunState::failure
                                                   : RunState::success;
    const TimePoint t = m_clock.now();
    m_batch.begin();
    store::RunUpdate u;
    u.ended = t;
    if (!run.message.empty()) u.message = run.message;
    m_batch.write(m_batch.store().set_run_status(run.id, run.status, u));
    m_clock.cancel(run.timeout_timer);
    run.timeout_timer = 0;
    // Its files and directory become spares for the next run (spare.hpp).
    if (!run.tmp_dir.empty()) spare::give_run_dir(m_config.state_dir + "/tmp", run.tmp_dir);
    m_host.run_ended(run);
    // For status() after the loop (weft run asks once); bounded, since weft
    // up ends runs for months and never asks.
    m_finished[run.id] = run.status;
    if (m_finished.size() > k_finished_kept) m_finished.erase(m_finished.begin());
    m_batch.when_committed([this, id = run.id, name = run.wf->name, status = run.status,
                            d = std::chrono::duration_cast<Duration>(t - run.started),
                            message = run.message, t, called = run.req.parent_run != 0] {
        m_observer.run_finished(id, name, status, d, message, t);
        if (m_config.on_run_end && !called) m_config.on_run_end(id, name, status);
    });
}

void RunStates::fail_setup(ActiveRun& run) {
    run.any_failed = true;
    run.message = run.mask.apply(run.setup_error);
    m_batch.begin();
    for (std::size_t i = 0; i < run.inst.size(); ++i)
        if (run.selected[i] && !run.done[i] && run.inst[i].status == StepState::pending)
            finish(run, static_cast<int>(i),
                   step_end(StepState::skipped, 0, "not run: " + run.setup_error));
    run.ready.clear();
}

void RunStates::decide(ActiveRun& run, int i) {
    const int s = run.graph->instances[i].step;
    const auto& step = run.wf->steps[s];
    m_batch.begin();
    auto d = decide_matrix(*step.matrix, step_contexts(run, i));
    if (!d) return finish(run, i, step_end(StepState::failure, 0, d.error().message));
    if (d->instances.empty())
        return finish(run, i, step_end(StepState::skipped, 0, "the matrix is empty"));
    if (!run.own_graph) {
        run.own_graph = std::make_unique<dag::Graph>(*run.graph);
        run.graph = run.own_graph.get();
    }
    auto& g = *run.own_graph;
    const auto& resume = run.req.resume;
    std::vector<std::string> added, rerun;
    g.step_instances[s].clear();
    for (auto& combo : d->instances) {
        const int k = static_cast<int>(g.instances.size());
        dag::Instance inst{dag::instance_id(step.id, d->matrix, combo), s, std::move(combo),
                           g.instances[i].needs};
        run.selected.push_back(1);
        run.inst.emplace_back();
        run.dependents.push_back({i});
        auto& in = run.inst.back();
        const bool had = resume && resume->attempts.count(inst.id);
        const bool done = had && resume->done.count(inst.id);
        run.done.push_back(done ? 1 : 0);
        g.step_instances[s].push_back(k);
        g.instances.push_back(std::move(inst));
        if (done) {  // `weft resume`: it succeeded in an earlier attempt of the run
            in.status = StepState::success;
            in.outputs = resume->done.at(g.instances[k].id);
            continue;
        }
        (had ? rerun : added).push_back(g.instances[k].id);
        if (had) in.attempt_base = resume->attempts.at(g.instances[k].id);
        ++run.unfinished;
        ++run.main_unfinished;
        ++run.inst[i].waiting;
        run.ready.insert(k);
    }
    if (!rerun.empty()) m_batch.write(m_batch.store().reset_steps(run.id, rerun));
    if (!added.empty()) m_batch.write(m_batch.store().add_steps(run.id, added));
    auto& in = run.inst[i];
    in.decided = true;
    in.started = m_clock.now();
    store::StepUpdate u;
    u.started = in.started;
    m_batch.write(m_batch.store().set_step(run.id, g.instances[i].id, StepState::running, u));
    if (in.waiting == 0) run.ready.insert(i);  // every instance was done already
    m_dirty = true;
}

void RunStates::decided(ActiveRun& run, int i) {
    const auto& g = *run.graph;
    const auto& mine = g.step_instances[g.instances[i].step];
    auto rank = [](StepState s) {
        switch (s) {
            case StepState::failure:
                return 4;
            case StepState::interrupted:
                return 3;
            case StepState::cancelled:
                return 2;
            case StepState::skipped:
                return 0;
            default:
                return 1;  // success, up-to-date
        }
    };
    StepState worst = StepState::skipped;
    for (int k : mine)
        if (rank(run.inst[k].status) > rank(worst))
            worst = run.inst[k].status == StepState::up_to_date ? StepState::success
                                                                : run.inst[k].status;
    m_batch.begin();
    finish(run, i,
           step_end(worst, 0,
                    std::to_string(mine.size()) + " instance" + (mine.size() == 1 ? "" : "s")));
}

bool RunStates::keep_unchanged(ActiveRun& run, int i) {
    const auto& inst = run.graph->instances[i];
    if (!run.wf->steps[inst.step].sources.empty()) return false;  // its fingerprint decides
    for (int n : inst.needs) {
        const auto& need = run.inst[n];
        if (need.keep && need.status != StepState::up_to_date && !need.kept) return false;
    }
    auto& in = run.inst[i];
    in.outputs = *in.keep;
    in.kept = true;
    m_batch.begin();
    finish(run, i,
           step_end(StepState::success, 0,
                    "kept from the run's earlier attempt: nothing it "
                    "needs changed"));
    return true;
}

bool RunStates::stopping(const ActiveRun& run, int i) const {
    return run.wf->steps[run.graph->instances[i].step].finally ? run.finally_skipped
                                                               : run.cancelled;
}

void RunStates::cancel(ActiveRun& run, const std::string& reason, bool timed_out) {
    if (run.status != RunState::running) return;
    if (run.in_finally) {
        // A cancel while `finally` runs stops it; a failed run stays failed.
        if (!run.cancelled && !run.finally_failed) {
            run.cancelled = true;
            run.message = run.mask.apply(reason);
        }
        return skip_finally(run);
    }
    if (run.cancelled) return;
    run.cancelled = true;
    run.timed_out = timed_out;
    run.message = run.mask.apply(reason);
    stop_running(run);
}

void RunStates::skip_finally(ActiveRun& run) {
    if (run.status != RunState::running || run.finally_skipped) return;
    run.finally_skipped = true;
    stop_running(run);
}

void RunStates::skip_finally_all() {
    for (auto& r : m_runs) skip_finally(*r);
}

void RunStates::stop_running(ActiveRun& run) {
    for (auto& in : run.inst)
        if (in.active) m_host.stop_attempt(*in.active);
    m_dirty = true;
    // Waiting retries end now rather than after their delay.
    for (std::size_t i = 0; i < run.inst.size(); ++i) {
        auto& in = run.inst[i];
        if (!in.retry_timer) continue;
        m_clock.cancel(in.retry_timer);
        in.retry_timer = m_clock.after(
            Duration{0}, [this, r = &run, n = static_cast<int>(i)] { retry_now(*r, n); });
    }
}

void RunStates::cancel_all(const std::string& reason) {
    for (auto& r : m_runs) cancel(*r, reason, false);
}

void RunStates::interrupt_all(const std::string& reason) {
    for (auto& r : m_runs) {
        if (r->status != RunState::running) continue;
        // A run already cancelled is interrupted too: its stop is the engine's.
        r->interrupted = true;
        if (r->cancelled)
            m_dirty = true;
        else
            cancel(*r, reason, false);
    }
}

bool RunStates::cancel_running(model::RowId id, const std::string& reason) {
    for (auto& r : m_runs)
        if (r->id == id && r->status == RunState::running) {
            cancel(*r, reason, false);
            return true;
        }
    return false;
}

RunState RunStates::status(model::RowId run) const {
    if (auto it = m_finished.find(run); it != m_finished.end()) return it->second;
    return RunState::running;
}

}  // namespace weft::engine
