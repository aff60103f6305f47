#pragma once
// Engine::Impl, shared by engine.cpp (the loop, runs' records, signals,
// control requests) and attempt.cpp (an attempt from its resolution to its
// end). Internal to the engine module.
#include <uv.h>

#include <map>
#include <memory>
#include <optional>

#include "weft/engine/engine.hpp"
#include "weft/engine/executor.hpp"
#include "weft/engine/nested_observer.hpp"
#include "weft/engine/resolve.hpp"
#include "weft/engine/run_state.hpp"
#include "weft/engine/write_batch.hpp"
#include "weft/events/control.hpp"
#include "weft/events/uv_handle.hpp"
#include "weft/plugin/plugin.hpp"

namespace weft::engine {

class UvClock;

// The executor of sub-workflow steps (call.cpp).
std::unique_ptr<Executor> make_call_executor(Engine::Impl& engine);

struct Engine::Impl final : ExecHost, RunHost {
    Impl(store::Store& s, Observer& o, Config c);

    store::Store& store;
    NestedObserver nested;  // the caller's observer, sub-workflows' runs nested
    Observer& observer;     // `nested`: what everything here reports to
    Config config;
    uv_loop_t loop{};
    std::unique_ptr<UvClock> own_clock;
    Clock* clock = nullptr;
    WriteBatch batch;
    std::optional<RunStates> runs;
    std::unique_ptr<Executor> own_local, own_slurm;
    Executor* local = nullptr;
    Executor* slurm = nullptr;
    // Sub-workflow steps (call.cpp): their attempts wait for a child run.
    std::unique_ptr<Executor> own_call;
    std::vector<Attempt*> pending_calls;       // child runs to start at the next iterate()
    std::map<model::RowId, Attempt*> call_of;  // child run -> the attempt that called it
    events::UvHandle<uv_prepare_t> prepare;
    events::UvHandle<uv_check_t> check;
    events::UvHandle<uv_signal_t> sigint, sigterm, sighup;
    events::UvHandle<uv_timer_t> ticker;  // the observer's tick(), when it asks for one
    int interrupted_by = 0;
    bool told_store_failed = false;
    bool tmp_checked = false;  // STATE/tmp exists and is private (checked once)
    std::unique_ptr<events::ControlServer> control;

    // engine.cpp
    void arm_loop();
    void iterate();
    void stop_unrecorded();
    void tell_store_failed();
    void on_signal(int sig);
    nlohmann::json answer(const nlohmann::json& req);
    Result<void> record_run(ActiveRun& run);
    Result<void> make_run_dir(ActiveRun& run);

    // attempt.cpp
    void start_attempt(ActiveRun& run, int i) override;
    void stop_attempt(Attempt& a) override;
    void run_ended(ActiveRun& run) override;
    void output(Attempt& a, int stream, std::string& buf, bool final) override;
    void note(Attempt& a, const std::string& text) override;
    void warning(const std::string& text) override;
    void job_known(Attempt& a, const store::SlurmJobRef& job) override;
    void ended(Attempt& a, const ExecEnd& end) override;
    void when_committed(std::function<void()> f) override;

    // call.cpp
    void start_call(ActiveRun& run, int i, ResolvedStep& r, TimePoint t0);
    void start_calls();
    Result<model::RowId> start_child(Attempt& a);
    void child_ended(ActiveRun& child);
    void call_ended(Attempt& a, model::RunState child, std::optional<nlohmann::json> outputs,
                    const std::string& why);

    bool up_to_date(ActiveRun& run, int i, const ResolvedStep& r, TimePoint t0);
    void launch(ActiveRun& run, int i, ResolvedStep& r, const std::optional<plugin::Found>& plug,
                bool on_slurm, TimePoint t0);
    void reattach(ActiveRun& run, int i, const store::AttemptRow& row, Duration timeout);
    void fail_attempt(ActiveRun& run, int i, const std::string& text, TimePoint t0);
    void kill_attempt(Attempt& a, bool timeout);
    void arm_timeout(Attempt& a, Duration after);
    void report_log(model::RowId run, const std::string& step, int stream, const std::string& text,
                    TimePoint t);
    void note_log(ActiveRun& run, model::RowId attempt, const std::string& step,
                  const std::string& text, TimePoint t);
    Result<plugin::Outcome> plugin_outcome(const Attempt& a, std::optional<int> exit_code,
                                           std::optional<int> signal) const;
};

}  // namespace weft::engine
