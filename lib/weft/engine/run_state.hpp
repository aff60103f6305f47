#pragma once
// The run-state machine: every active run, its instances and ready set, and
// every transition of a step or a run: schedule, start, settle, retry
// delay, finish, cancel, run end. It is the one place where a step's state
// changes. No libuv and no process here: attempts start and stop through
// RunHost, time and timers come from the Clock, writes go through the
// WriteBatch, and the Observer hears each change once it is committed.
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "weft/engine/clock.hpp"
#include "weft/engine/engine.hpp"
#include "weft/engine/executor.hpp"
#include "weft/engine/write_batch.hpp"
#include "weft/util/mask.hpp"

namespace weft::engine {

struct Instance {
    model::StepState status = model::StepState::pending;
    int attempts = 0;      // of this run attempt
    int attempt_base = 0;  // attempts of earlier run attempts (weft resume)
    nlohmann::json outputs = nlohmann::json::object();
    TimePoint started{};
    std::unique_ptr<Attempt> active;
    TimerId retry_timer = 0;
    int waiting = 0;               // needs not yet ended
    bool failed_upstream = false;  // this or a step it needs failed
    std::string fingerprint;       // incremental steps: of the inputs it runs with
    bool decided = false;          // a dynamic matrix's instance: its instances were added
    bool slot = false;             // it holds one of the -j slots (ActiveRun::busy)
    // `weft resume`: a success of an earlier attempt of the run, checked
    // again because it or a step it needs has `sources`: its outputs, kept
    // when nothing it needs ran again (SPEC §9.1).
    std::optional<nlohmann::json> keep;
    bool kept = false;  // it ended so
};

// The steps whose `steps.<id>` context a step's expressions read: only
// those are copied into its contexts, so starting a step costs what it
// reads, not what the run has done so far.
struct StepRefs {
    bool all = false;  // a computed index (`steps[matrix.x]`) may read any
    std::vector<std::string> ids;
};

struct ActiveRun {
    model::RowId id = 0;
    RunRequest req;
    const model::Workflow* wf = nullptr;
    const dag::Graph* graph = nullptr;  // the workflow's, or own_graph
    // The run's own copy of the graph once a dynamic matrix added instances.
    std::unique_ptr<dag::Graph> own_graph;
    std::vector<char> selected;  // per instance
    std::vector<char> done;      // per instance: succeeded in an earlier run attempt
    std::vector<Instance> inst;
    std::vector<std::vector<int>> dependents;  // per instance
    std::set<int> ready;                       // pending, every need ended
    std::size_t unfinished = 0;                // instances not yet ended
    nlohmann::json contexts;                   // params, env, event, run, workflow, secrets
    nlohmann::json steps_ctx = nlohmann::json::object();
    mutable std::vector<std::optional<StepRefs>> refs;  // per step, filled when first needed
    Masker mask;                                        // secret values
    nlohmann::json stored_params;                       // params, secret ones masked
    int attempt = 1;                                    // `run.attempt`
    int running = 0;
    int max_parallel = 1;
    // A sub-workflow's run: the top run whose -j bounds its steps too.
    ActiveRun* top = nullptr;
    int busy = 0;  // steps holding a -j slot, of this run and of those it called
    // A sub-workflow's run: the values of its callers' secret params.
    std::vector<std::string> inherited_secrets;
    bool fail_fast = false;
    bool any_failed = false;
    bool cancelled = false;
    bool timed_out = false;
    // Stopped by a signal under Config::signal_interrupts: running steps end
    // `interrupted`, pending ones stay pending, for `weft resume`.
    bool interrupted = false;
    // `finally` (SPEC §9.1): its instances wait for every selected one of
    // `steps`, then see the run's outcome as it was then.
    std::size_t main_unfinished = 0;  // selected instances of `steps` not yet ended
    bool in_finally = false;          // every one of them ended
    bool finally_failed = false;      // failure() for `finally` steps
    bool finally_cancelled = false;   // cancelled() for them
    bool finally_skipped = false;     // a second stop: they are skipped or stopped
    std::string message;
    // Why the run fails before its first step (an `env-file` that cannot be
    // read): every step is skipped.
    std::string setup_error;
    model::RunState status = model::RunState::running;
    TimePoint started{};
    std::string tmp_dir;
    bool event_file_written = false;  // tmp_dir/event.json, at the first attempt
    TimerId timeout_timer = 0;
};

// The one factory of a step's end: `status` of `attempt` (0: none ran),
// with `message` saying why when the status does not.
StepEnd step_end(model::StepState status, int attempt, std::string message = {});

// The one write of an attempt's end (its `attempts` row): the message
// masked with `run`'s secrets first, as everything weft stores (SPEC §4).
// A failed write goes to `batch`.
void record_attempt_end(WriteBatch& batch, const ActiveRun& run, model::RowId attempt,
                        store::AttemptEnd end);

// What the state machine asks of the engine.
class RunHost {
  public:
    // Start attempt number `run.inst[i].attempts` of instance `i` (it may
    // end the instance at once).
    virtual void start_attempt(ActiveRun& run, int i) = 0;
    // Stop a running attempt: its run is cancelled.
    virtual void stop_attempt(Attempt& a) = 0;
    // `run` ended (its end is written, not yet committed).
    virtual void run_ended(ActiveRun& run) = 0;

  protected:
    ~RunHost() = default;
};

// A run for `req`, not yet recorded: the instances selected, those `resume`
// keeps (their outputs in the `steps` context), the ready set, the masks.
// Errc::invalid for an unknown --only step.
Result<std::unique_ptr<ActiveRun>> plan_run(RunRequest req, TimePoint now);

class RunStates {
  public:
    RunStates(WriteBatch& batch, Observer& observer, Clock& clock, RunHost& host,
              const Config& config)
        : m_batch(batch), m_observer(observer), m_clock(clock), m_host(host), m_config(config) {}

    // `run` is recorded: it starts (its timeout armed, the observer told).
    void admit(std::unique_ptr<ActiveRun> run);
    // Start, skip or end what can be, until nothing changes; drop ended runs.
    void schedule();
    // Instance `i` ends with `end` (the one place a step's end is written).
    void finish(ActiveRun& run, int i, const StepEnd& end);
    // Instance `i` is up-to-date (SPEC §1): no attempt ran; `outputs` are its
    // last success's.
    void up_to_date(ActiveRun& run, int i, nlohmann::json outputs);
    // The attempt `a` of instance `i` started (or is followed again): the
    // instance owns it until it settles.
    Attempt& attach(ActiveRun& run, int i, std::unique_ptr<Attempt> a);
    // Its attempt ended with `end` (recorded): retry after the step's delay,
    // or finish. `outputs`: what a success left.
    void settle(ActiveRun& run, int i, StepEnd end, std::optional<nlohmann::json> outputs);
    // No new step of `run` starts, running ones are stopped, waiting retries
    // end now; the run ends cancelled (failure when `timed_out`).
    void cancel(ActiveRun& run, const std::string& reason, bool timed_out);
    void cancel_all(const std::string& reason);
    // As cancel_all, but every run and its running steps end `interrupted`
    // and nothing more of them starts or is skipped (weft up's stop).
    void interrupt_all(const std::string& reason);
    // A second stop signal: `finally` steps are skipped, running ones stopped.
    void skip_finally_all();
    // Cancel run `id` if it runs here; false if not.
    bool cancel_running(model::RowId id, const std::string& reason);
    // Something changed: schedule() looks again.
    void touch() { m_dirty = true; }
    // Something changed since schedule() last looked.
    bool dirty() const { return m_dirty; }
    // The contexts a step of instance `i` renders against.
    nlohmann::json step_contexts(const ActiveRun& run, int i) const;
    model::RunState status(model::RowId run) const;
    std::list<std::unique_ptr<ActiveRun>>& runs() { return m_runs; }

  private:
    void schedule_run(ActiveRun& run);
    void start_instance(ActiveRun& run, int i);
    void next_attempt(ActiveRun& run, int i);
    void retry_now(ActiveRun& run, int i);
    void maybe_finish_run(ActiveRun& run);
    void enter_finally(ActiveRun& run);
    // The run has a setup_error: every step not yet ended is skipped, and
    // the run fails with it.
    void fail_setup(ActiveRun& run);
    // Instance `i` of a dynamic matrix is ready: decide its matrix and add
    // its instances, or end it (failed, or skipped when the matrix is empty).
    void decide(ActiveRun& run, int i);
    // Every instance `i` added has ended: it ends as the worst of theirs.
    void decided(ActiveRun& run, int i);
    // Instance `i` (with `keep`, no `sources`) ended as kept, when every
    // step it needs that was checked again is unchanged. False otherwise.
    bool keep_unchanged(ActiveRun& run, int i);
    void skip_finally(ActiveRun& run);
    // Stop `run`'s running attempts; its waiting retries end now.
    void stop_running(ActiveRun& run);
    // Instance `i` is being stopped: its run is cancelled, or, for a
    // `finally` step, `finally` is skipped.
    bool stopping(const ActiveRun& run, int i) const;

    WriteBatch& m_batch;
    Observer& m_observer;
    Clock& m_clock;
    RunHost& m_host;
    const Config& m_config;
    std::list<std::unique_ptr<ActiveRun>> m_runs;
    static constexpr std::size_t k_finished_kept = 1024;  // the newest ended runs
    std::map<model::RowId, model::RunState> m_finished;
    bool m_dirty = true;
};

// The `steps` context of instance `i`'s step after it ended: a matrix
// step's outputs merge its instances', and its status is the worst of theirs.
void note_step_context(ActiveRun& run, int i);

}  // namespace weft::engine
