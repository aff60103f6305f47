// Sub-workflow steps (SPEC §9.1): a step whose `uses` is a workflow file
// runs that workflow as a run of its own, in this engine and this database.
// Its attempt is a CallAttempt of the call executor: it starts a child run
// at the loop's next iteration (never from inside the scheduler, which
// walks the runs being added to) and ends when that run's end is committed.
// Stopping it (cancel, timeout, a stop signal) cancels the child run.
#include "weft/engine/engine_impl.hpp"
#include "weft/engine/resume.hpp"
#include "weft/expr/expr.hpp"

namespace weft::engine {

namespace {

using Json = nlohmann::json;
using model::RunState;
using model::StepState;

struct CallAttempt final : Attempt {
    Json with = Json::object();  // the step's `with`, rendered: the child's params
    model::RowId child = 0;      // its run, once started
};

class CallExecutor final : public Executor {
  public:
    explicit CallExecutor(Engine::Impl& engine) : m_engine(engine) {}
    std::unique_ptr<Attempt> new_attempt() override { return std::make_unique<CallAttempt>(); }
    Result<void> prepare(Attempt&) override { return {}; }
    Result<void> start(Attempt&) override { return {}; }
    void follow(Attempt&) override {}
    void reattach(Attempt&, const store::SlurmJobRef&, long long, long long) override {}
    // The child run is cancelled; its end ends the attempt. One not yet
    // started ends when it would have started.
    bool terminate(Attempt& a) override {
        const auto child = static_cast<CallAttempt&>(a).child;
        if (child == 0) return false;
        for (auto& r : m_engine.runs->runs())
            if (r->id == child && !r->cancelled)
                m_engine.runs->cancel(*r, a.timed_out ? "its step timed out" : "its caller stopped",
                                      false);
        return false;
    }

  private:
    Engine::Impl& m_engine;
};

// A `with` value as a param's text.
std::string param_text(const Json& v) {
    return v.is_string() ? v.get<std::string>() : expr::to_text(v);
}

// `weft resume` of the parent, the call's first attempt of this run
// attempt: the child run it called before, when that one can be resumed
// (it did not succeed), with its event. Nothing otherwise: a new child run.
Result<std::optional<std::pair<Resume, store::EventRow>>> resume_child(store::Store& store,
                                                                       const ActiveRun& run,
                                                                       const Attempt& a) {
    using Found = std::optional<std::pair<Resume, store::EventRow>>;
    const auto& in = run.inst[a.index];
    if (!run.req.resume || in.attempts != 1) return Found();
    auto last = store.last_child_run(run.id, a.step);
    if (!last) return last.error();
    if (!*last) return Found();
    auto detail = store.get_run(**last);
    if (!detail) return detail.error();
    if (!*detail) return Found();
    auto resume = plan_resume(**detail);
    if (!resume) return Found();
    return Found(std::pair{std::move(*resume), (*detail)->event});
}

}  // namespace

std::unique_ptr<Executor> make_call_executor(Engine::Impl& engine) {
    return std::make_unique<CallExecutor>(engine);
}

void Engine::Impl::start_call(ActiveRun& run, int i, ResolvedStep& r, TimePoint t0) {
    auto& in = run.inst[i];
    const auto& inst = run.graph->instances[i];
    const auto& step = run.wf->steps[inst.step];
    const auto& calls = run.req.workflow->calls;
    if (inst.step >= static_cast<int>(calls.size()) || !calls[inst.step] || !calls[inst.step]->ok())
        return fail_attempt(run, i, "cannot call '" + *step.uses + "': it was not loaded", t0);
    auto owned = std::make_unique<CallAttempt>();
    CallAttempt& a = *owned;
    a.executor = own_call.get();
    a.run = &run;
    a.index = i;
    a.run_id = run.id;
    a.step = inst.id;
    a.number = in.attempt_base + in.attempts;
    a.started = t0;
    a.timeout = r.timeout;
    a.kill_grace = step.kill_grace.value_or(run.wf->defaults.kill_grace);
    a.with = std::move(r.with);
    auto attempt_id = batch.write(store.start_attempt(run.id, inst.id, a.number, t0));
    if (!attempt_id) return fail_attempt(run, i, "cannot record the attempt", t0);
    a.id = *attempt_id;
    batch.when_committed([this, id = run.id, step_id = inst.id, n = a.number,
                          t0] { observer.step_started(id, step_id, n, t0); },
                         false);
    Attempt& ap = runs->attach(run, i, std::move(owned));
    if (ap.timeout.count() > 0) arm_timeout(ap, ap.timeout);
    pending_calls.push_back(&ap);
}

// The child runs of the call attempts started since the last iteration.
void Engine::Impl::start_calls() {
    auto pending = std::move(pending_calls);
    pending_calls.clear();
    for (Attempt* a : pending) {
        if (a->cancelled || a->timed_out) {
            call_ended(*a, RunState::cancelled, std::nullopt, "");
            continue;
        }
        auto child = start_child(*a);
        if (!child) {
            call_ended(*a, RunState::failure, std::nullopt,
                       "could not call '" +
                           *a->run->wf->steps[a->run->graph->instances[a->index].step].uses +
                           "': " + child.error().message);
            continue;
        }
        static_cast<CallAttempt&>(*a).child = *child;
        call_of[*child] = a;
    }
}

// The child run of call attempt `a`: its params from the rendered `with`,
// the parent's secrets (not its env), trigger `call`.
Result<model::RowId> Engine::Impl::start_child(Attempt& a) {
    auto& ca = static_cast<CallAttempt&>(a);
    ActiveRun& run = *a.run;
    const auto& inst = run.graph->instances[a.index];
    const auto& child = run.req.workflow->calls[inst.step];
    std::vector<std::pair<std::string, std::string>> given;
    for (auto it = ca.with.begin(); it != ca.with.end(); ++it)
        given.emplace_back(it.key(), param_text(it.value()));
    auto params = resolve_params(*child->loaded.workflow, given);
    if (!params) return params.error();
    RunRequest req;
    req.workflow = child;
    req.params = std::move(*params);
    req.event = {{"kind", "call"}, {"run", run.id}, {"step", inst.id}, {"workflow", run.wf->name}};
    req.secrets = run.req.secrets;
    req.jobs = run.req.jobs;
    req.force = run.req.force;
    req.parent_run = run.id;
    req.parent_step = inst.id;
    batch.begin();
    if (auto resumed = resume_child(store, run, a); !resumed) {
        return resumed.error();
    } else if (*resumed) {  // `weft resume` of the parent: the same child run goes on
        req.resume = std::move((*resumed)->first);
        req.event_id = (*resumed)->second.id;
        req.event = store::event_json((*resumed)->second);
    } else {
        auto event = batch.write(store.add_event("call", req.event, clock->now()));
        if (!event) return make_error(Errc::state, "cannot record its event");
        req.event_id = *event;
        req.event["id"] = *event;
    }
    auto planned = plan_run(std::move(req), clock->now());
    if (!planned) return planned.error();
    ActiveRun& kid = **planned;
    kid.top = run.top ? run.top : &run;
    // A secret param of a caller, passed on in `with`, stays masked in the
    // child's logs and its stored params (SPEC §4), however deep.
    kid.inherited_secrets = run.inherited_secrets;
    for (const auto& p : run.wf->params)
        if (p.secret && run.req.params.contains(p.name) && run.req.params[p.name].is_string())
            kid.inherited_secrets.push_back(run.req.params[p.name].get<std::string>());
    for (const auto& v : kid.inherited_secrets) kid.mask.add(v);
    for (auto& v : kid.stored_params)
        if (v.is_string()) v = kid.mask.apply(v.get<std::string>());
    if (auto r = record_run(**planned); !r) return r.error();
    const model::RowId id = (*planned)->id;
    nested.nest(id, run.id, inst.id);
    runs->admit(std::move(*planned));
    return id;
}

// The child run ended (its end written, not yet committed): its outputs
// are evaluated now, while its contexts exist; the calling attempt ends
// once the end is committed.
void Engine::Impl::child_ended(ActiveRun& child) {
    auto it = call_of.find(child.id);
    if (it == call_of.end()) return;
    Attempt* a = it->second;
    call_of.erase(it);
    std::optional<Json> outputs;
    std::string why = "run " + std::to_string(child.id) + " of workflow '" + child.wf->name +
                      "' ended " + model::to_string(child.status) +
                      (child.message.empty() ? "" : ": " + child.message);
    if (child.status == RunState::success) {
        Json ctx = child.contexts;
        ctx["steps"] = child.steps_ctx;
        outputs = Json::object();
        for (const auto& o : child.wf->outputs) {
            auto t = expr::parse_template(o.expr);
            auto text = t ? expr::render(*t, ctx) : Result<std::string>(t.error());
            if (!text) {
                outputs.reset();
                why = "output '" + o.name + "' of workflow '" + child.wf->name +
                      "': " + text.error().message;
                break;
            }
            (*outputs)[o.name] = child.mask.apply(*text);
        }
    }
    const RunState status = outputs ? child.status : RunState::failure;
    batch.when_committed(
        [this, a, status, outputs = std::move(outputs), why = child.mask.apply(why)]() mutable {
            call_ended(*a, status, std::move(outputs), why);
        });
}

// How call attempt `a` ended: as its child run did, unless it was stopped.
void Engine::Impl::call_ended(Attempt& a, RunState child, std::optional<Json> outputs,
                              const std::string& why) {
    clock->cancel(a.timeout_timer);
    clock->cancel(a.kill_timer);
    ActiveRun& run = *a.run;
    const TimePoint t = clock->now();
    const StepState status = a.cancelled && run.interrupted               ? StepState::interrupted
                             : a.cancelled                                ? StepState::cancelled
                             : !a.timed_out && child == RunState::success ? StepState::success
                                                                          : StepState::failure;
    std::string message = a.timed_out   ? "timed out after " + format_duration(a.timeout)
                          : a.cancelled ? (run.interrupted ? "interrupted" : "cancelled")
                          : status == StepState::failure ? why
                                                         : "";
    StepEnd end = step_end(status, a.number, run.mask.apply(message));
    end.duration = std::chrono::duration_cast<Duration>(t - a.started);
    if (status == StepState::failure && !message.empty())
        note_log(run, a.id, a.step, "weft: " + end.message, t);
    batch.begin();
    store::AttemptEnd ae;
    ae.status = end.status;
    ae.ended = t;
    ae.message = end.message;
    record_attempt_end(batch, run, a.id, ae);
    if (status != StepState::success) outputs.reset();
    runs->settle(run, a.index, end, std::move(outputs));
    runs->touch();
}

}  // namespace weft::engine
