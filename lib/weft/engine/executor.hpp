#pragma once
// How an attempt runs: the engine asks an Executor to start it and hears
// back, through ExecHost, its output, its notes and its end. The local
// executor (local_executor.hpp) runs processes, plugins included; the Slurm
// executor (slurm_executor.hpp) submits jobs (SPEC §8). To add one: derive
// from Attempt for its per-attempt state (new_attempt), implement the
// steps below, create it in Engine::create and choose it in
// Engine::Impl::launch (attempt.cpp).
#include <cctype>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "weft/engine/clock.hpp"
#include "weft/model/workflow.hpp"
#include "weft/store/store.hpp"
#include "weft/util/duration.hpp"
#include "weft/util/result.hpp"
#include "weft/util/time.hpp"

namespace weft::engine {

struct ActiveRun;
class Executor;

// `id` as a file name: every character but [A-Za-z0-9_-] becomes `_`.
inline std::string file_safe(const std::string& id) {
    std::string out;
    for (char c : id)
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    return out;
}

// One attempt of one instance, shared by the engine and its executor; an
// executor derives from it for its own state. Owned by its instance
// (Instance::active) until it ends.
struct Attempt {
    virtual ~Attempt() = default;
    Executor* executor = nullptr;
    ActiveRun* run = nullptr;
    int index = 0;  // the instance
    model::RowId run_id = 0;
    std::string step;  // the instance's id
    int number = 1;    // counted over every run attempt
    model::RowId id = 0;
    std::string file_base;    // STATE/tmp/run-N/STEP.K: where local files go
    std::string output_file;  // $WEFT_OUTPUT (set by prepare)
    std::string script_path;  // what the shell runs (set by prepare)
    std::string marker;       // WEFT_ATTEMPT_KEY=OWNER:ID, in its processes' environment
    TimePoint started{};
    Duration timeout{0};
    Duration kill_grace{5000};
    bool timed_out = false;
    bool cancelled = false;
    TimerId timeout_timer = 0;
    TimerId kill_timer = 0;
    // What start() runs.
    std::vector<std::string> argv;
    std::string cwd;
    std::string script;                      // the script, or a plugin's request
    std::map<std::string, std::string> env;  // over weft's own environment
    std::string event_json;                  // the run's event (a Slurm job's file)
    model::SlurmOptions slurm_options;       // the step's over its defaults'
    // A plugin step: its stdout is the result (SPEC §7), not log lines.
    std::optional<std::string> plugin;
    std::string result;
    bool result_too_large = false;
    // Set by start(): the local process, recorded with the attempt.
    std::optional<store::ProcessRef> process;
};

// How an attempt ended, as its executor saw it.
struct ExecEnd {
    std::optional<int> exit_code;
    std::optional<int> signal;
    std::string failure;  // why, when the executor knows better than the exit code
    std::string outputs;  // the $WEFT_OUTPUT file, read when the exit code is 0
};

// What an executor tells the engine; every call on the loop's thread.
class ExecHost {
  public:
    // New output of `a` on `stream` (1 stdout, 2 stderr) is in `buf`: its
    // whole lines are taken (everything when `final`).
    virtual void output(Attempt& a, int stream, std::string& buf, bool final) = 0;
    // A note of weft's own in the step's log.
    virtual void note(Attempt& a, const std::string& text) = 0;
    // A warning about the executor itself, not one step.
    virtual void warning(const std::string& text) = 0;
    // The Slurm job of `a` is named, or has its id: recorded.
    virtual void job_known(Attempt& a, const store::SlurmJobRef& job) = 0;
    // `a` ended: the executor is done with it, and `a` is deleted.
    virtual void ended(Attempt& a, const ExecEnd& end) = 0;
    // Run `f` once the writes so far are committed.
    virtual void when_committed(std::function<void()> f) = 0;

  protected:
    ~ExecHost() = default;
};

class Executor {
  public:
    virtual ~Executor() = default;
    virtual std::unique_ptr<Attempt> new_attempt() = 0;
    // Before the attempt is recorded: set a.output_file and a.script_path
    // and make what must exist. The error's message goes to the step's log.
    virtual Result<void> prepare(Attempt& a) = 0;
    // The attempt's row is written (a.id, a.marker set).
    virtual void recorded(Attempt&) {}
    // Start it: a local process (a.process set), a Slurm job's files. The
    // error's message goes to the step's log.
    virtual Result<void> start(Attempt& a) = 0;
    // After a successful start (which is reported first): follow `a` until
    // it ends (ExecHost::ended).
    virtual void follow(Attempt& a) = 0;
    // Follow again an attempt a weft that died left running (`weft resume`),
    // its output read on from the bytes already stored. Only Slurm jobs
    // outlive weft.
    virtual void reattach(Attempt& a, const store::SlurmJobRef& job, long long out_offset,
                          long long err_offset) = 0;
    // Ask `a` to stop (SIGTERM, scancel). True when kill() must follow
    // after its kill-grace.
    virtual bool terminate(Attempt& a) = 0;
    virtual void kill(Attempt&) {}
    // A second interrupt: kill every process now, without grace.
    virtual void kill_all() {}
    // Run `run` ended and its attempts are committed: its files can go.
    virtual void run_ended(model::RowId) {}
    // The store failed: attempts that wait for a commit to start for good
    // end now (they never will).
    virtual void store_failed() {}
    // Close every handle before the loop closes.
    virtual void close() {}
};

}  // namespace weft::engine
