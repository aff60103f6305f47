#pragma once
// The engine: one libuv loop and one owner of all run state. It runs a
// workflow's DAG (scheduling, processes, timeouts, retries, outputs) and
// records every change in the store, grouping one loop iteration's writes
// into one transaction. `weft run` and `weft up` use the same engine: one
// code path for a run, whatever started it. Inside: the run-state machine
// (run_state.hpp), the executors (executor.hpp), the write batch
// (write_batch.hpp) and the clock (clock.hpp).
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "weft/engine/observer.hpp"
#include "weft/parse/check.hpp"
#include "weft/store/store.hpp"

struct uv_loop_s;

namespace weft::engine {

// `weft resume`: continue an existing run instead of creating one.
struct Resume {
    model::RowId run = 0;
    int attempt = 2;                             // the run's new `run.attempt`
    std::map<std::string, nlohmann::json> done;  // instance id -> outputs: succeeded, not rerun
    std::map<std::string, int> attempts;         // instance id -> attempts it already had
    // instance id -> its last attempt, a Slurm job that was left running when
    // the weft process that ran it died: followed again, not resubmitted.
    std::map<std::string, store::AttemptRow> reattach;
};

struct RunRequest {
    std::shared_ptr<const parse::Workflow> workflow;   // valid: graph set
    nlohmann::json params = nlohmann::json::object();  // name -> value, every param resolved
    model::RowId event_id = 0;
    nlohmann::json event = nlohmann::json::object();  // the `event` context
    std::vector<std::string> only;                    // step ids; empty = all
    std::optional<int> jobs;                          // -j, over the workflow's max-parallel
    bool fail_fast = false;                           // --fail-fast, or the workflow's
    bool force = false;                               // --force: ignore fingerprints
    // --secrets: given to steps as environment variables (after `env`) and
    // to expressions as `secrets.KEY`. Their values, and those of params
    // marked secret, are masked as `***` in everything printed or stored.
    std::map<std::string, std::string> secrets;
    // Set by `weft resume`: the run's existing steps (with their ids in
    // `attempts`) are what runs; those in `done` keep their outputs.
    std::optional<Resume> resume;
    // `weft up`: the queue entry this run takes, deleted in the transaction
    // that creates the run (an event is never both queued and run, or lost).
    model::RowId dequeue = 0;
    // A sub-workflow's run (SPEC §9.1, trigger `call`): the run and the
    // instance of the step that called it (runs.parent_run/parent_step).
    model::RowId parent_run = 0;
    std::string parent_step{};
};

struct Config {
    std::string state_dir;  // scratch files live in STATE_DIR/tmp
    std::string owner;      // this process's lock token, stored on its runs
    // SIGINT/SIGTERM cancel every run (a second one kills at once); the
    // signal is then reported by interrupted_by().
    bool handle_signals = true;
    // SIGHUP too, like SIGTERM (`weft run`/`weft resume`: a closed terminal
    // or ssh session; SPEC §9.4). `weft up` reloads on SIGHUP instead.
    bool handle_hangup = false;
    // `weft up` (SPEC §9.2 "Stop and restart"): a stop signal leaves running
    // runs and steps `interrupted`, not `cancelled`, and runs no `finally`.
    bool signal_interrupts = false;
    // Answer on the control socket STATE_DIR/locks/OWNER.sock (`weft cancel`).
    bool control_socket = false;
    // `weft up` hooks, all called on the loop's thread:
    // the first SIGINT/SIGTERM, after every run was cancelled;
    std::function<void(int)> on_signal;
    // a control request the engine does not answer itself ({"op": ...});
    std::function<std::optional<nlohmann::json>(const nlohmann::json&)> on_request;
    // a run's end, once it is committed; never for a sub-workflow's run (a
    // run a step called emits no `workflow` event, SPEC §9.1).
    std::function<void(model::RowId, const std::string& workflow, model::RunState)> on_run_end;
    // the first failed write of the state database, after every run was
    // cancelled (nothing more can be recorded).
    std::function<void()> on_store_failed;
    // The shared job directory of `runs-on: slurm` steps (SPEC §8): every
    // node must see it at this same path. Empty: STATE_DIR/slurm.
    std::string slurm_dir{};
};

class Clock;
class ExecHost;
class Executor;

// What an engine runs on, for tests: a clock and executors that need no
// process. Each one left empty is the real one (the system's time with
// timers on the loop; processes on this machine; Slurm jobs).
struct Seams {
    Clock* clock = nullptr;  // outlives the engine
    std::function<std::unique_ptr<Executor>(ExecHost&, Clock&)> local;
    std::function<std::unique_ptr<Executor>(ExecHost&, Clock&)> slurm;
};

class Engine {
  public:
    // Errc::exec when the loop cannot be set up.
    static Result<std::unique_ptr<Engine>> create(store::Store& store, Observer& observer,
                                                  Config config);
    static Result<std::unique_ptr<Engine>> create(store::Store& store, Observer& observer,
                                                  Config config, Seams seams);
    ~Engine();

    // Record a new run for `req` and queue its steps. Errc::invalid for an
    // unknown --only step; Errc::state when the store fails.
    Result<model::RowId> start(RunRequest req);

    // Cancel `run`: no new step starts, running ones get SIGTERM, then
    // SIGKILL after their kill-grace; the run ends `cancelled`.
    void cancel(model::RowId run, const std::string& reason);

    // A write of the caller's (weft up's events) failed with `error`: as
    // for the engine's own writes, the open transaction is rolled back at the
    // loop's next commit, nothing more is written, every run is cancelled and
    // on_store_failed is called; run() then returns false.
    void fail_store(const Error& error);
    // Commit the engine's open transaction now rather than at the end of its
    // window (what waits for it runs): for a caller about to use the store on
    // its own between loop iterations (weft up's prune).
    void commit();

    // Run the loop until every run has ended and no step process is left.
    // Returns false if the store failed (the runs could not be recorded).
    bool run();

    // The loop, for `weft up` to arm its event sources on. A referenced
    // handle keeps run() going; run() returns once none is left.
    uv_loop_s* loop();

    // Act as on the stop signal `sig` (SIGINT/SIGTERM/SIGHUP) as the
    // handlers of Config::handle_signals do: for tests, and for a stop that
    // does not come as a signal.
    void signal(int sig);

    // The signal that interrupted the engine, or 0.
    int interrupted_by() const;

    // The status a run ended with (queued/running while it has not).
    model::RunState status(model::RowId run) const;

    struct Impl;

  private:
    explicit Engine(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

}  // namespace weft::engine
