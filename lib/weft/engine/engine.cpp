#include "weft/engine/engine.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <list>
#include <map>
#include <set>
#include <sstream>
#include <thread>
#include <unordered_set>

#include "weft/engine/outputs.hpp"
#include "weft/engine/resolve.hpp"
#include "weft/events/control.hpp"
#include "weft/exec/process.hpp"
#include "weft/exec/slurm.hpp"
#include "weft/expr/expr.hpp"
#include "weft/expr/shell_quote.hpp"
#include "weft/plugin/plugin.hpp"
#include "weft/util/mask.hpp"
#include "weft/util/strings.hpp"

extern char** environ;

namespace weft::engine {

namespace {

using Json = nlohmann::json;
using store::RowId;
using store::RunState;
using store::StepState;

TimePoint now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

template <class H>
void close_handle(H* h) {
    if (!h) return;
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* x) { delete reinterpret_cast<H*>(x); });
}

// Crash tests (WEFT_TEST_HOOKS builds only): WEFT_TEST_KILL_AT=NAME[:N]
// kills this process with SIGKILL the Nth time (default 1st) it passes NAME:
// attempt-recorded (an attempt row written, before the spawn), step-ended (a
// step's end written, before its commit), log-batch (half a batch of log
// lines written), job-submitted (sbatch gave a Slurm job's id, not yet written).
void kill_point([[maybe_unused]] const char* name) {
#ifdef WEFT_TEST_HOOKS
    static const std::string spec = [] {
        const char* v = std::getenv("WEFT_TEST_KILL_AT");
        return std::string(v ? v : "");
    }();
    static int hits = 0;
    if (spec.empty()) return;
    const auto colon = spec.find(':');
    if (spec.compare(0, colon, name) != 0) return;
    const int nth = colon == std::string::npos ? 1 : std::atoi(spec.c_str() + colon + 1);
    if (++hits == nth) ::kill(::getpid(), SIGKILL);
#endif
}

// A step's outcome as its dependents see it: `continue-on-error` turns a
// failure into a pass for them (SPEC §2).
bool passed(StepState s, bool continue_on_error) {
    return s == StepState::success || s == StepState::up_to_date ||
           (s == StepState::failure && continue_on_error);
}

std::string sanitize(const std::string& id) {
    std::string out;
    for (char c : id)
        out += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_') ? c : '_';
    return out;
}

}  // namespace

struct Attempt;
struct ActiveRun;

struct Instance {
    StepState status = StepState::pending;
    int attempts = 0;      // of this run attempt
    int attempt_base = 0;  // attempts of earlier run attempts (weft resume)
    Json outputs = Json::object();
    TimePoint started{};
    Attempt* active = nullptr;
    uv_timer_t* retry_timer = nullptr;
    int waiting = 0;               // needs not yet ended
    bool failed_upstream = false;  // this or a step it needs failed
    std::string fingerprint;       // incremental steps: of the inputs it runs with
};

// The steps whose `steps.<id>` context a step's expressions read: only
// those are copied into its contexts, so starting a step costs what it
// reads, not what the run has done so far.
struct StepRefs {
    bool all = false;  // a computed index (`steps[matrix.x]`) may read any
    std::vector<std::string> ids;
};

struct ActiveRun {
    RowId id = 0;
    RunRequest req;
    const model::Workflow* wf = nullptr;
    const dag::Graph* graph = nullptr;
    std::vector<char> selected;  // per instance
    std::vector<Instance> inst;
    std::vector<std::vector<int>> dependents;  // per instance
    std::set<int> ready;                       // pending, every need ended
    std::size_t unfinished = 0;                // instances not yet ended
    Json contexts;                             // params, env, event, run, workflow, secrets
    Json steps_ctx = Json::object();
    std::vector<std::optional<StepRefs>> refs;  // per step, filled when first needed
    Masker mask;                                // secret values
    int running = 0;
    int max_parallel = 1;
    bool fail_fast = false;
    bool any_failed = false;
    bool cancelled = false;
    bool timed_out = false;
    std::string message;
    RunState status = RunState::running;
    TimePoint started{};
    std::string tmp_dir;
    std::set<std::string>
        job_dirs;  // of its Slurm jobs (one per shared directory), removed when it ends
    uv_timer_t* timeout_timer = nullptr;
};

// One running process of one attempt of one instance.
struct Attempt {
    Engine::Impl* engine = nullptr;
    ActiveRun* run = nullptr;
    int index = 0;  // instance
    int number = 1;
    RowId id = 0;
    exec::Child child;
    std::string marker;
    std::string output_file;
    TimePoint started{};
    Duration kill_grace{5000};
    uv_poll_t* pid_poll = nullptr;
    uv_poll_t* out_poll = nullptr;
    uv_poll_t* err_poll = nullptr;
    uv_timer_t* timeout_timer = nullptr;
    uv_timer_t* kill_timer = nullptr;
    std::string out_buf, err_buf;
    bool timed_out = false;
    bool cancelled = false;
    Duration timeout{0};
    // `runs-on: slurm` (SPEC §8): no local process; the job is followed by the
    // engine's one Slurm poll (poll_jobs).
    bool slurm = false;
    store::SlurmJobRef job;
    exec::slurm::JobSpec spec;                 // what submit_job sends
    long long out_offset = 0, err_offset = 0;  // of the job's stdout and stderr files
    std::optional<TimePoint> gone_since;       // Slurm has said the job ended, no exit code yet
    bool submitting = false;                   // until submit_job has run
    // A plugin step: its stdout is the result (SPEC §7), not log lines.
    std::optional<std::string> plugin;  // the plugin's name
    std::string result;
    bool result_too_large = false;
};

// How often the Slurm poll reads the job files (exit code, output) and how
// often it asks squeue about every followed job at once: squeue costs the
// controller, so it is asked at most every 2 s whatever the number of jobs.
constexpr std::uint64_t k_job_poll_ms = 250;
constexpr Duration k_queue_every{2000};
// A job Slurm says has ended is believed only this long after its exit code
// file failed to appear: a shared filesystem may show files late.
constexpr Duration k_exit_code_grace{5000};

// Processes an ended attempt left behind: SIGTERM at once, SIGKILL once the
// kill-grace has passed, checked every few milliseconds until none is left.
struct Sweep {
    pid_t pid;
    long long start_time;
    std::string marker;
    TimePoint kill_at;
    bool killed = false;
    uv_timer_t* timer = nullptr;
};

struct Engine::Impl {
    store::Store& store;
    Observer& observer;
    Config config;
    uv_loop_t loop{};
    uv_prepare_t* prepare = nullptr;
    uv_check_t* check = nullptr;
    uv_signal_t* sigchld = nullptr;
    uv_signal_t* sigint = nullptr;
    uv_signal_t* sigterm = nullptr;
    uv_timer_t* ticker = nullptr;  // the observer's tick(), when it asks for one
    int interrupted_by = 0;
    std::list<std::unique_ptr<ActiveRun>> runs;
    std::map<RowId, RunState> finished;
    std::list<std::unique_ptr<Sweep>> sweeps;
    std::vector<std::string> base_env;
    bool store_failed = false;
    bool dirty = true;
    std::unique_ptr<events::ControlServer> control;

    Impl(store::Store& s, Observer& o, Config c) : store(s), observer(o), config(std::move(c)) {}

    // --- group commit: writes open a transaction lazily; the loop commits it
    // once per iteration, before it blocks.
    void write(Result<void> r) {
        if (!r) note(r.error());
    }
    template <class T>
    std::optional<T> write(Result<T> r) {
        if (!r) {
            note(r.error());
            return std::nullopt;
        }
        return std::move(r).value();
    }
    // A write failed: the first failure is printed and stops the engine.
    void note(const Error& e) {
        if (store_failed) return;
        store_failed = true;
        // At once: SQLite may have rolled the transaction back by itself
        // (SQLITE_FULL), and a later write must not commit on its own.
        store.refuse_writes();
        // Errc::state messages name the database themselves.
        std::fprintf(stderr, "weft: error: %s%s\n",
                     e.code == Errc::state ? "" : "state database: ", e.message.c_str());
    }
    void begin_writes() {
        if (!store.in_transaction()) write(store.begin());
    }
    void commit_writes() {
        if (store.in_transaction() && !store_failed) write(store.commit());
        if (store_failed) {
            stop_unrecorded();
            return;
        }
        // Ends are reported once they are durable: what the user saw end is
        // never found running after a crash.
        auto pending = std::move(after_commit);
        after_commit.clear();
        for (auto& f : pending) f();
    }
    // Run `f` after the open transaction commits (at once if none is open);
    // never once the store has failed.
    void when_committed(std::function<void()> f) {
        if (store_failed) return;
        if (store.in_transaction())
            after_commit.push_back(std::move(f));
        else
            f();
    }
    // After a failed write nothing more becomes durable: what was written
    // since the last commit is rolled back, nothing written since is
    // reported, and every run is cancelled. The database keeps the state of
    // the last commit, as after a crash: the next weft marks the runs
    // interrupted and `weft resume` continues them.
    void stop_unrecorded() {
        if (store.in_transaction()) (void)store.rollback();
        after_commit.clear();
        if (stopped_unrecorded) return;
        stopped_unrecorded = true;
        for (auto& r : runs) cancel_run(*r, "the state database failed", false);
        // Slurm attempts whose sbatch waited for the commit are never
        // submitted: settled here, or they would wait forever.
        for (Attempt* a : std::vector<Attempt*>(jobs.begin(), jobs.end()))
            if (a->submitting) {
                a->submitting = false;
                settle_job(a, std::nullopt, "not submitted: the state database failed");
            }
    }
    bool stopped_unrecorded = false;
    // Config::on_store_failed, called from the loop's prepare/check handlers
    // (never from inside a caller's callback, which it may tear down).
    void tell_store_failed() {
        if (!stopped_unrecorded || told_store_failed) return;
        told_store_failed = true;
        if (config.on_store_failed) config.on_store_failed();
    }
    bool told_store_failed = false;
    std::vector<std::function<void()>> after_commit;

    // --- scheduling
    void schedule();
    void schedule_run(ActiveRun& run);
    void start_instance(ActiveRun& run, int i);
    void start_attempt(ActiveRun& run, int i);
    void finish_instance(ActiveRun& run, int i, StepState status, const StepEnd& end_info);
    void attempt_done(Attempt* a);
    void settle_attempt(Attempt* a, std::optional<int> exit_code, std::optional<int> signal,
                        const std::string& failure);
    void arm_timeout(Attempt* a, Duration after);
    // Slurm (SPEC §8)
    void follow_job(Attempt* a);
    void submit_job(Attempt* a);
    void poll_jobs();
    void read_job_output(Attempt* a, bool final);
    void settle_job(Attempt* a, std::optional<int> exit_code, const std::string& failure);
    void reattach_job(ActiveRun& run, int i, const store::AttemptRow& row, Duration timeout);
    void note_log(ActiveRun& run, const std::string& step, const std::string& text);
    std::vector<std::string> command_env() const;
    std::list<Attempt*> jobs;  // followed Slurm attempts
    uv_timer_t* job_timer = nullptr;
    TimePoint queue_asked{};
    bool queue_warned = false;
    void maybe_finish_run(ActiveRun& run);
    void cancel_run(ActiveRun& run, const std::string& reason, bool timed_out);
    void kill_attempt(Attempt* a, bool timeout);
    void read_pipe(Attempt* a, int stream, bool final);
    Result<plugin::Outcome> plugin_outcome(const Attempt& a, const exec::ExitStatus& st) const;
    void log_note(ActiveRun& run, RowId attempt, const std::string& step, const std::string& text,
                  TimePoint t);
    void emit_lines(Attempt* a, int stream, std::string& buf, bool final);
    void add_sweep(const Attempt* a);
    void run_sweep(Sweep* s);
    Json step_contexts(ActiveRun& run, int i) const;
    Json answer(const Json& req);
    void note_step_context(ActiveRun& run, int i);

    // True when `pid` leads a running attempt (reaped by attempt_done, not
    // by the orphan reaper).
    bool is_tracked(pid_t pid) const { return leaders.count(pid) > 0; }
    std::unordered_set<pid_t> leaders;  // pids of running attempts
};

namespace {

Engine::Impl* impl_of(uv_handle_t* h) {
    return static_cast<Engine::Impl*>(h->loop->data);
}

}  // namespace

Result<std::unique_ptr<Engine>> Engine::create(store::Store& store, Observer& observer,
                                               Config config) {
    auto impl = std::make_unique<Impl>(store, observer, std::move(config));
    if (int rc = uv_loop_init(&impl->loop); rc != 0)
        return make_error(Errc::exec,
                          std::string("cannot start the event loop: ") + uv_strerror(rc));
    impl->loop.data = impl.get();
    if (impl->config.slurm_dir.empty()) impl->config.slurm_dir = impl->config.state_dir + "/slurm";
    {
        std::error_code ec;  // absolute: the path is given to the job, which starts elsewhere
        const auto abs = std::filesystem::absolute(impl->config.slurm_dir, ec);
        if (!ec) impl->config.slurm_dir = abs.lexically_normal().string();
    }
    // Not an event of an outer weft's (a step that runs weft): each step gets
    // the WEFT_EVENT_* variables of its own run's event only.
    for (char** e = environ; e && *e; ++e)
        if (std::strncmp(*e, "WEFT_EVENT_", 11) != 0) impl->base_env.emplace_back(*e);
    // Orphans of steps are reparented to us, so they stay findable and get
    // reaped here rather than by init.
    (void)exec::become_child_subreaper();
    std::signal(SIGPIPE, SIG_IGN);

    impl->prepare = new uv_prepare_t;
    uv_prepare_init(&impl->loop, impl->prepare);
    uv_prepare_start(impl->prepare, [](uv_prepare_t* h) {
        auto* self = impl_of(reinterpret_cast<uv_handle_t*>(h));
        self->schedule();
        self->commit_writes();
        self->tell_store_failed();
    });
    uv_unref(reinterpret_cast<uv_handle_t*>(impl->prepare));
    impl->check = new uv_check_t;
    uv_check_init(&impl->loop, impl->check);
    uv_check_start(impl->check, [](uv_check_t* h) {
        auto* self = impl_of(reinterpret_cast<uv_handle_t*>(h));
        self->schedule();
        self->commit_writes();
        self->tell_store_failed();
    });
    uv_unref(reinterpret_cast<uv_handle_t*>(impl->check));
    impl->sigchld = new uv_signal_t;
    uv_signal_init(&impl->loop, impl->sigchld);
    uv_signal_start(
        impl->sigchld,
        [](uv_signal_t* h, int) {
            auto* self = impl_of(reinterpret_cast<uv_handle_t*>(h));
            exec::reap_untracked([self](pid_t pid) { return self->is_tracked(pid); });
        },
        SIGCHLD);
    uv_unref(reinterpret_cast<uv_handle_t*>(impl->sigchld));
    // Unreferenced: the observer's clock never keeps the loop alive by itself.
    if (const auto every = static_cast<std::uint64_t>(observer.tick_interval().count());
        every > 0) {
        impl->ticker = new uv_timer_t;
        uv_timer_init(&impl->loop, impl->ticker);
        uv_timer_start(
            impl->ticker,
            [](uv_timer_t* h) { impl_of(reinterpret_cast<uv_handle_t*>(h))->observer.tick(now()); },
            every, every);
        uv_unref(reinterpret_cast<uv_handle_t*>(impl->ticker));
    }
    if (impl->config.handle_signals) {
        auto on_stop = [](uv_signal_t* h, int sig) {
            auto* self = impl_of(reinterpret_cast<uv_handle_t*>(h));
            if (self->interrupted_by != 0) {  // a second signal: no more grace
                for (auto& r : self->runs)
                    for (auto& in : r->inst)
                        if (in.active && !in.active->slurm)
                            exec::signal_attempt(in.active->child.pid, in.active->child.start_time,
                                                 in.active->marker, SIGKILL);
                for (auto& s : self->sweeps) s->kill_at = now();
                return;
            }
            self->interrupted_by = sig;
            for (auto& r : self->runs)
                self->cancel_run(*r, std::string("interrupted by ") + exec::signal_name(sig),
                                 false);
            if (self->config.on_signal) self->config.on_signal(sig);
        };
        for (auto [h, sig] :
             {std::pair{&impl->sigint, SIGINT}, std::pair{&impl->sigterm, SIGTERM}}) {
            *h = new uv_signal_t;
            uv_signal_init(&impl->loop, *h);
            uv_signal_start(*h, on_stop, sig);
            uv_unref(reinterpret_cast<uv_handle_t*>(*h));
        }
    }
    if (impl->config.control_socket) {
        Impl* self = impl.get();
        auto server = events::ControlServer::listen(
            &impl->loop, events::control_path(impl->config.state_dir, impl->config.owner),
            [self](const Json& req) { return self->answer(req); });
        if (!server) return make_error(Errc::state, server.error().message);
        impl->control = std::move(*server);
    }
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

// A request on the control socket: {"op": "ping"} or {"op": "cancel", "run": N}.
Json Engine::Impl::answer(const Json& req) {
    const std::string op = req.value("op", "");
    if (op == "ping") return {{"ok", true}, {"pid", ::getpid()}};
    if (op == "cancel") {
        const auto* id =
            req.contains("run") && req["run"].is_number_integer() ? &req["run"] : nullptr;
        if (!id) return {{"ok", false}, {"error", "cancel needs a run id"}};
        for (auto& r : runs)
            if (r->id == id->get<RowId>() && r->status == RunState::running) {
                cancel_run(*r, req.value("reason", "cancelled"), false);
                return {{"ok", true}};
            }
        return {{"ok", false},
                {"error",
                 "run " + std::to_string(id->get<RowId>()) + " is not running in this process"}};
    }
    if (config.on_request)
        if (auto a = config.on_request(req)) return *a;
    return {{"ok", false}, {"error", "unknown request '" + op + "'"}};
}

Engine::Engine(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Engine::~Engine() {
    auto& l = m_impl->loop;
    m_impl->control.reset();
    close_handle(m_impl->prepare);
    close_handle(m_impl->check);
    close_handle(m_impl->sigchld);
    close_handle(m_impl->sigint);
    close_handle(m_impl->sigterm);
    close_handle(m_impl->ticker);
    close_handle(m_impl->job_timer);
    uv_run(&l, UV_RUN_DEFAULT);
    uv_loop_close(&l);
}

int Engine::interrupted_by() const {
    return m_impl->interrupted_by;
}

uv_loop_s* Engine::loop() {
    return &m_impl->loop;
}

RunState Engine::status(RowId run) const {
    if (auto it = m_impl->finished.find(run); it != m_impl->finished.end()) return it->second;
    return RunState::running;
}

Result<RowId> Engine::start(RunRequest req) {
    auto& self = *m_impl;
    if (self.store_failed)
        return make_error(Errc::state, "no run starts: the state database failed");
    auto run = std::make_unique<ActiveRun>();
    run->req = std::move(req);
    run->wf = &*run->req.workflow->loaded.workflow;
    run->graph = &*run->req.workflow->graph;
    const auto& wf = *run->wf;
    const auto& g = *run->graph;

    const auto& resume = run->req.resume;
    std::vector<char> done(g.instances.size(), 0);
    if (resume) {
        // The run's own steps (and any they now need), as the file says today.
        std::vector<std::string> ids;
        for (std::size_t i = 0; i < g.instances.size(); ++i) {
            if (resume->attempts.count(g.instances[i].id))
                ids.push_back(wf.steps[g.instances[i].step].id);
            done[i] = resume->done.count(g.instances[i].id) ? 1 : 0;
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
    for (std::size_t i = 0; i < g.instances.size(); ++i) {
        auto& in = run->inst[i];
        if (!run->selected[i]) {
            in.status = StepState::skipped;
            continue;
        }
        if (done[i]) {  // succeeded in an earlier attempt of the run: kept
            in.status = StepState::success;
            in.outputs = resume->done.at(g.instances[i].id);
            self.note_step_context(*run, static_cast<int>(i));
            continue;
        }
        if (resume)
            if (auto it = resume->attempts.find(g.instances[i].id); it != resume->attempts.end())
                in.attempt_base = it->second;
        ++run->unfinished;
        for (int n : g.instances[i].needs) {
            if (done[static_cast<std::size_t>(n)]) continue;
            ++in.waiting;
            run->dependents[n].push_back(static_cast<int>(i));
        }
        if (in.waiting == 0) run->ready.insert(static_cast<int>(i));
    }

    const unsigned cpus = std::max(1u, std::thread::hardware_concurrency());
    run->max_parallel = run->req.jobs.value_or(wf.max_parallel.value_or(static_cast<int>(cpus)));
    run->fail_fast = run->req.fail_fast || wf.fail_fast;
    run->started = now();
    for (const auto& [k, v] : run->req.secrets) run->mask.add(v);
    Json stored_params = run->req.params;
    for (const auto& p : wf.params)
        if (p.secret && run->req.params.contains(p.name) && run->req.params[p.name].is_string()) {
            run->mask.add(run->req.params[p.name].get<std::string>());
            if (!run->req.params[p.name].get<std::string>().empty())
                stored_params[p.name] = Masker::k_mask;
        }

    // The run's rows go in a transaction of their own, rolled back if any
    // write fails: what the loop wrote before is committed first.
    self.commit_writes();
    self.begin_writes();
    const int attempt = resume ? resume->attempt : 1;
    auto fail = [&](Error e) -> Error {
        if (e.code == Errc::state)
            self.note(e);  // the store failed: the engine stops
        else if (self.store.in_transaction())
            (void)self.store.rollback();
        return e;
    };
    if (resume) {
        run->id = resume->run;
        if (auto r = self.store.reopen_run(run->id, attempt, self.config.owner); !r)
            return fail(r.error());
        std::vector<std::string> rerun, added;
        for (std::size_t i = 0; i < g.instances.size(); ++i) {
            if (!run->selected[i] || done[i]) continue;
            (resume->attempts.count(g.instances[i].id) ? rerun : added)
                .push_back(g.instances[i].id);
        }
        if (auto r = self.store.reset_steps(run->id, rerun); !r) return fail(r.error());
        if (auto r = self.store.add_steps(run->id, added); !r) return fail(r.error());
    } else {
        store::NewRun nr;
        nr.workflow = wf.name;
        std::error_code
            file_ec;  // absolute, so `weft prune` and `weft resume` find the file from anywhere
        const auto abs_file = std::filesystem::absolute(wf.file, file_ec);
        nr.file = file_ec ? wf.file : abs_file.lexically_normal().string();
        nr.event_id = run->req.event_id;
        nr.params = stored_params;
        nr.started = run->started;
        nr.owner = self.config.owner;
        auto id = self.store.create_run(nr);
        if (!id) return fail(id.error());
        if (run->req.dequeue != 0)
            if (auto r = self.store.dequeue(run->req.dequeue); !r) return fail(r.error());
        run->id = *id;
        std::vector<std::string> ids;
        for (std::size_t i = 0; i < g.instances.size(); ++i)
            if (run->selected[i]) ids.push_back(g.instances[i].id);
        if (auto r = self.store.add_steps(run->id, ids); !r) return fail(r.error());
    }

    // The contexts, with the workflow's env rendered once: the base of every
    // step's env.
    auto contexts =
        run_contexts(wf, run->req.params, run->req.event, run->req.secrets, run->id, attempt);
    if (!contexts) return fail(contexts.error());
    run->contexts = std::move(*contexts);

    run->tmp_dir = self.config.state_dir + "/tmp/run-" + std::to_string(run->id);
    std::error_code ec;
    std::filesystem::create_directories(run->tmp_dir, ec);
    if (ec)
        return fail(make_error(Errc::io, "cannot create " + run->tmp_dir + ": " + ec.message()));
    ::chmod(run->tmp_dir.c_str(), 0700);

    // The run exists (or is reopened) on disk before anyone is told its id.
    self.commit_writes();
    if (self.store_failed) {
        std::filesystem::remove_all(run->tmp_dir, ec);
        return make_error(Errc::state, "run not started: it could not be recorded");
    }
    if (wf.timeout && wf.timeout->count() > 0) {
        run->timeout_timer = new uv_timer_t;
        uv_timer_init(&self.loop, run->timeout_timer);
        run->timeout_timer->data = run.get();
        uv_timer_start(
            run->timeout_timer,
            [](uv_timer_t* h) {
                auto* r = static_cast<ActiveRun*>(h->data);
                impl_of(reinterpret_cast<uv_handle_t*>(h))
                    ->cancel_run(*r, "the run timed out after " + format_duration(*r->wf->timeout),
                                 true);
            },
            static_cast<std::uint64_t>(wf.timeout->count()), 0);
    }
    self.observer.run_started(run->id, wf.name, attempt, run->started);
    const RowId rid = run->id;
    self.runs.push_back(std::move(run));
    self.dirty = true;
    return rid;
}

void Engine::cancel(RowId id, const std::string& reason) {
    for (auto& r : m_impl->runs)
        if (r->id == id) m_impl->cancel_run(*r, reason, false);
}

void Engine::fail_store(const Error& error) {
    m_impl->note(error);
}

void Engine::cancel_all(const std::string& reason) {
    for (auto& r : m_impl->runs) m_impl->cancel_run(*r, reason, false);
}

bool Engine::run() {
    auto& self = *m_impl;
    self.schedule();
    self.commit_writes();
    uv_run(&self.loop, UV_RUN_DEFAULT);
    self.commit_writes();
    return !self.store_failed;
}

void Engine::Impl::schedule() {
    // Until nothing changes: a step skipped here can make another ready, and
    // the loop may have no handle left to wake it for a later pass.
    while (dirty) {
        dirty = false;
        for (auto& r : runs) schedule_run(*r);
    }
    // Drop runs that ended, once nothing of theirs is alive.
    runs.remove_if(
        [](const std::unique_ptr<ActiveRun>& r) { return r->status != RunState::running; });
}

namespace {

constexpr std::size_t k_event_env_max = 64 * 1024;  // bytes of one WEFT_EVENT_* variable

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
    return out;
}

}  // namespace

Json Engine::Impl::step_contexts(ActiveRun& run, int i) const {
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

void Engine::Impl::schedule_run(ActiveRun& run) {
    if (run.status != RunState::running) return;
    const auto& g = *run.graph;
    const auto& wf = *run.wf;
    // Only instances whose needs have all ended are looked at: instances are
    // in topological order, so what an instance unblocks sorts after it and
    // is reached by this same pass.
    for (auto it = run.ready.begin(); it != run.ready.end();) {
        const int i = *it;
        const auto& inst = g.instances[i];
        bool needs_ok = true, any_failed = run.fail_fast && run.any_failed;
        for (int n : inst.needs) {
            if (!passed(run.inst[n].status, wf.steps[g.instances[n].step].continue_on_error))
                needs_ok = false;
            // failure() sees every step this one needs, directly or not.
            if (run.inst[n].failed_upstream) any_failed = true;
        }
        run.inst[i].failed_upstream = any_failed;
        const auto& step = wf.steps[inst.step];
        bool go = needs_ok && !any_failed && !run.cancelled;
        std::string message;
        if (step.if_cond) {
            auto cond = expr::parse_condition(*step.if_cond);
            if (!cond) {
                go = false;
                message = "if: " + cond.error().message;
            } else if (expr::uses_status_function(*cond) || go) {
                auto v = expr::evaluate(*cond, step_contexts(run, i),
                                        expr::Status{any_failed, run.cancelled});
                if (!v) {
                    it = run.ready.erase(it);
                    begin_writes();
                    StepEnd end;
                    end.status = StepState::failure;
                    end.message = "if: " + v.error().message;
                    finish_instance(run, i, StepState::failure, end);
                    continue;
                }
                go = expr::truthy(*v);
            }
        }
        if (!go) {
            it = run.ready.erase(it);
            begin_writes();
            StepEnd end;
            end.status = run.cancelled ? StepState::cancelled : StepState::skipped;
            end.attempt = 0;
            end.message = message;
            finish_instance(run, i, end.status, end);
            continue;
        }
        if (run.running >= run.max_parallel) break;
        it = run.ready.erase(it);
        start_instance(run, i);
    }
    maybe_finish_run(run);
}

void Engine::Impl::start_instance(ActiveRun& run, int i) {
    auto& in = run.inst[i];
    in.status = StepState::running;
    in.started = now();
    ++run.running;
    begin_writes();
    store::StepUpdate u;
    u.started = in.started;
    write(store.set_step(run.id, run.graph->instances[i].id, StepState::running, u));
    start_attempt(run, i);
}

void Engine::Impl::start_attempt(ActiveRun& run, int i) {
    auto& in = run.inst[i];
    const auto& inst = run.graph->instances[i];
    const auto& wf = *run.wf;
    const auto& step = wf.steps[inst.step];
    ++in.attempts;
    const TimePoint t0 = now();
    begin_writes();
    auto fail = [&](const std::string& text) {
        const std::string why = run.mask.apply(text);
        observer.log(run.id, inst.id, 2, "weft: " + why, t0);
        store::LogLine line{0, run.id, inst.id, t0, 2, "weft: " + why};
        write(store.append_logs(std::span<const store::LogLine>(&line, 1)));
        StepEnd end;
        end.status = StepState::failure;
        end.attempt = in.attempts;
        end.message = why;
        finish_instance(run, i, StepState::failure, end);
    };

    auto resolved = resolve_step(wf, step, step_contexts(run, i));
    if (!resolved) return fail(resolved.error().message);
    std::optional<plugin::Found> plug;
    if (step.uses) {
        auto found = plugin::find(*step.uses);
        if (!found) return fail("could not run: " + found.error().message);
        plug = std::move(*found);
    }
    const bool on_slurm = step.runs_on.value_or(wf.defaults.runs_on) == model::RunsOn::slurm;
    if (on_slurm && plug)
        return fail("plugin steps ('uses: " + *step.uses +
                    "') cannot run on Slurm yet; this step was not run");
    // `weft resume` after a crash: the job left running is followed again,
    // never submitted a second time.
    if (on_slurm && in.attempts == 1 && run.req.resume) {
        auto it = run.req.resume->reattach.find(inst.id);
        if (it != run.req.resume->reattach.end() && it->second.slurm)
            return reattach_job(run, i, it->second, resolved->timeout);
    }

    // Incremental steps (SPEC §1): up-to-date when the fingerprint matches the
    // one of its last success and what it generates exists. Otherwise the old
    // fingerprint goes in the same transaction as the attempt's start, so a
    // step that fails, is cancelled or dies with weft is never up-to-date.
    if (in.attempts == 1 && !step.sources.empty()) {
        auto fp = fingerprint(step, *resolved, run.req.secrets);
        if (!fp) return fail(fp.error().message);
        in.fingerprint = *fp;
        if (!run.req.force && generates_exist(step)) {
            auto old = write(store.get_fingerprint(wf.name, inst.id));
            if (old && *old && (*old)->fingerprint == *fp) {
                in.outputs = (*old)->outputs;
                in.attempts = 0;
                StepEnd end;
                end.status = StepState::up_to_date;
                end.attempt = 0;
                finish_instance(run, i, StepState::up_to_date, end);
                return;
            }
        }
        write(store.clear_fingerprint(wf.name, inst.id));
    }
    const Json& env = resolved->env;
    const std::string& cwd = resolved->cwd;
    const Duration timeout = resolved->timeout;
    const std::string& shell = resolved->shell;
    const std::string* script = &resolved->script;

    // A plugin step's input is its request (SPEC §7), read on its stdin.
    std::string request;
    if (plug) {
        const int run_attempt = run.contexts["run"].value("attempt", 1);
        auto req = plugin::make_request(
            resolved->with, env, run.req.event,
            {run.id, wf.name, inst.id, in.attempt_base + in.attempts, run_attempt});
        if (!req) return fail("could not run plugin '" + plug->name + "': " + req.error().message);
        request = std::move(*req);
        script = &request;
    }
    // The script goes to a file, never on a command line (secrets stay out of
    // /proc/*/cmdline).
    const std::string base =
        run.tmp_dir + "/" + sanitize(inst.id) + "." + std::to_string(in.attempts);
    const std::string script_file = base + (plug ? ".req" : ".sh");
    auto a = std::make_unique<Attempt>();
    a->output_file = base + ".out";
    if (on_slurm) {
        // The job's files go to the shared job directory (written below).
        const int number = in.attempt_base + in.attempts;
        a->slurm = true;
        a->job.name = exec::slurm::job_name(config.state_dir, run.id, inst.id, number);
        a->job.dir = config.slurm_dir + "/run-" + std::to_string(run.id) + "/" + sanitize(inst.id) +
                     "." + std::to_string(number);
        a->output_file = a->job.dir + "/outputs";
        std::error_code ec;
        std::filesystem::create_directories(config.slurm_dir + "/run-" + std::to_string(run.id),
                                            ec);
        if (ec)
            return fail("cannot create the Slurm job directory " + config.slurm_dir + ": " +
                        ec.message());
        run.job_dirs.insert(config.slurm_dir + "/run-" + std::to_string(run.id));
    } else {
        std::ofstream f(script_file, std::ios::binary | std::ios::trunc);
        f << *script;
        std::ofstream o(a->output_file, std::ios::binary | std::ios::trunc);
        if (!f || !o) return fail("cannot write " + script_file + ": " + std::strerror(errno));
    }
    std::vector<std::string> argv =
        plug ? plugin::command(*plug) : shell_argv(shell, on_slurm ? "{script}" : script_file);
    if (plug) a->plugin = plug->name;

    a->engine = this;
    a->run = &run;
    a->index = i;
    a->number = in.attempt_base + in.attempts;
    a->started = t0;
    a->timeout = timeout;
    a->kill_grace = step.kill_grace.value_or(wf.defaults.kill_grace);
    auto attempt_id = write(store.start_attempt(run.id, inst.id, a->number, t0));
    if (!attempt_id) return fail("cannot record the attempt");
    kill_point("attempt-recorded");
    a->id = *attempt_id;
    a->marker = "WEFT_ATTEMPT_KEY=" + config.owner + ":" + std::to_string(a->id);
    // The job's name and directory are recorded with the attempt, before the
    // submission: a crash in between leaves a job that recovery finds by name.
    if (on_slurm) write(store.set_attempt_slurm(a->id, a->job));

    std::map<std::string, std::string> overlay;
    for (auto it = env.begin(); it != env.end(); ++it)
        overlay[it.key()] = it.value().get<std::string>();
    for (const auto& [k, v] : run.req.secrets) overlay[k] = v;
    overlay["WEFT_RUN_ID"] = std::to_string(run.id);
    overlay["WEFT_WORKFLOW"] = wf.name;
    overlay["WEFT_STEP"] = inst.id;
    overlay["WEFT_ATTEMPT"] = std::to_string(a->number);
    overlay["WEFT_OUTPUT"] = a->output_file;
    overlay["WEFT_EVENT_KIND"] = run.req.event.value("kind", "manual");
    overlay["WEFT_EVENT_TIME"] = run.req.event.value("time", "");
    // One environment string holds at most 128 KiB (MAX_ARG_STRLEN), and all
    // share the space of the arguments: a longer event value is cut at a line
    // boundary and named in WEFT_EVENT_TRUNCATED; WEFT_EVENT_JSON has it whole.
    std::string truncated;
    auto event_var = [&](const char* name, std::string value) {
        if (value.size() > k_event_env_max) {
            // After the last whole line that fits; a single longer line is
            // cut at a character boundary.
            auto cut = value.rfind('\n', k_event_env_max);
            if (cut == std::string::npos) {
                cut = k_event_env_max;
                while (cut > 0 && utf8_continuation(value[cut])) --cut;
            }
            value.resize(cut);
            truncated += (truncated.empty() ? "" : " ") + std::string(name);
        }
        overlay[name] = std::move(value);
    };
    auto text_of = [](const Json& v) {
        return v.is_string() ? v.get<std::string>() : store::dump_json(v);
    };
    if (run.req.event.contains("paths") && run.req.event["paths"].is_array()) {
        std::string paths;
        for (const auto& p : run.req.event["paths"])
            paths += (paths.empty() ? "" : "\n") + text_of(p);
        event_var("WEFT_EVENT_PATHS", std::move(paths));
    }
    if (run.req.event.contains("line"))
        event_var("WEFT_EVENT_LINE", text_of(run.req.event["line"]));
    if (!truncated.empty()) overlay["WEFT_EVENT_TRUNCATED"] = truncated;
    const std::string event_file = run.tmp_dir + "/event.json";
    if (::access(event_file.c_str(), F_OK) != 0)
        std::ofstream(event_file) << store::dump_json(run.req.event);
    overlay["WEFT_EVENT_JSON"] = event_file;
    if (on_slurm) {
        auto& js = a->spec;
        js.name = a->job.name;
        js.dir = a->job.dir;
        std::error_code ec;
        const auto abs_cwd = std::filesystem::absolute(cwd, ec);
        js.cwd = ec ? cwd : abs_cwd.lexically_normal().string();
        js.argv = std::move(argv);
        js.script = *script;
        js.env.assign(overlay.begin(), overlay.end());
        js.event_json = store::dump_json(run.req.event);
        // The step's `slurm:` keys over those of `defaults`.
        js.options = wf.defaults.slurm.value_or(model::SlurmOptions{});
        if (step.slurm) {
            const auto& o = *step.slurm;
            if (!o.partition.empty()) js.options.partition = o.partition;
            if (o.cpus) js.options.cpus = o.cpus;
            if (!o.mem.empty()) js.options.mem = o.mem;
            if (o.time) js.options.time = o.time;
            if (!o.gres.empty()) js.options.gres = o.gres;
            if (!o.account.empty()) js.options.account = o.account;
            if (!o.extra_args.empty()) js.options.extra_args = o.extra_args;
        }
        if (auto w = exec::slurm::write_job(js); !w) {
            store::AttemptEnd end;
            end.status = StepState::failure;
            end.ended = now();
            end.message = w.error().message;
            write(store.finish_attempt(a->id, end));
            return fail(w.error().message);
        }
        when_committed([this, id = run.id, step_id = inst.id, n = a->number, t0] {
            observer.step_started(id, step_id, n, t0);
        });
        Attempt* ap = a.release();
        in.active = ap;
        // Submitted once the attempt is on disk.
        ap->submitting = true;
        when_committed([this, ap] { submit_job(ap); });
        follow_job(ap);
        if (timeout.count() > 0) arm_timeout(ap, timeout);
        return;
    }
    exec::SpawnRequest sr;
    sr.argv = std::move(argv);
    sr.cwd = cwd;
    if (plug) sr.stdin_path = script_file;
    for (const auto& e : base_env) {
        const std::string key = e.substr(0, e.find('='));
        if (!overlay.count(key) && key != "WEFT_ATTEMPT_KEY") sr.env.push_back(e);
    }
    for (const auto& [k, v] : overlay) sr.env.push_back(k + "=" + v);
    sr.env.push_back(a->marker);

    auto child = exec::spawn(sr);
    if (!child) {
        store::AttemptEnd end;
        end.status = StepState::failure;
        end.ended = now();
        const std::string why =
            (plug ? "could not run plugin '" + plug->name + "': " : "") + child.error().message;
        end.message = why;
        write(store.finish_attempt(a->id, end));
        return fail(why);
    }
    a->child = *child;
    write(store.set_attempt_process(a->id, store::ProcessRef{a->child.pid, a->child.start_time}));
    // Reported in order with the ends (which wait for their commit).
    when_committed([this, id = run.id, step_id = inst.id, n = a->number, t0] {
        observer.step_started(id, step_id, n, t0);
    });

    Attempt* ap = a.release();
    in.active = ap;
    leaders.insert(ap->child.pid);
    auto watch = [&](uv_poll_t*& h, int fd, uv_poll_cb cb) {
        h = new uv_poll_t;
        uv_poll_init(&loop, h, fd);
        h->data = ap;
        uv_poll_start(h, UV_READABLE | UV_DISCONNECT, cb);
    };
    watch(ap->out_poll, ap->child.stdout_fd, [](uv_poll_t* h, int, int) {
        auto* at = static_cast<Attempt*>(h->data);
        at->engine->read_pipe(at, 1, false);
    });
    watch(ap->err_poll, ap->child.stderr_fd, [](uv_poll_t* h, int, int) {
        auto* at = static_cast<Attempt*>(h->data);
        at->engine->read_pipe(at, 2, false);
    });
    watch(ap->pid_poll, ap->child.pidfd, [](uv_poll_t* h, int, int) {
        auto* at = static_cast<Attempt*>(h->data);
        at->engine->attempt_done(at);
    });
    if (timeout.count() > 0) arm_timeout(ap, timeout);
}

void Engine::Impl::arm_timeout(Attempt* a, Duration after) {
    a->timeout_timer = new uv_timer_t;
    uv_timer_init(&loop, a->timeout_timer);
    a->timeout_timer->data = a;
    uv_timer_start(
        a->timeout_timer,
        [](uv_timer_t* h) {
            auto* at = static_cast<Attempt*>(h->data);
            at->engine->kill_attempt(at, true);
        },
        static_cast<std::uint64_t>(std::max<long long>(1, after.count())), 0);
}

void Engine::Impl::emit_lines(Attempt* a, int stream, std::string& buf, bool final) {
    const auto& id = a->run->graph->instances[a->index].id;
    std::vector<store::LogLine> lines;
    std::size_t start = 0;
    const TimePoint t = now();
    for (std::size_t nl; (nl = buf.find('\n', start)) != std::string::npos; start = nl + 1)
        lines.push_back({a->id, a->run->id, id, t, stream, buf.substr(start, nl - start)});
    if (final && start < buf.size()) {
        lines.push_back({a->id, a->run->id, id, t, stream, buf.substr(start)});
        start = buf.size();
    }
    buf.erase(0, start);
    if (lines.empty()) return;
    if (!a->run->mask.empty())
        for (auto& l : lines) l.text = a->run->mask.apply(l.text);
    for (const auto& l : lines) observer.log(l.run_id, l.step, l.stream, l.text, l.time);
    begin_writes();
#ifdef WEFT_TEST_HOOKS
    if (lines.size() >= 2) {
        const std::size_t half = lines.size() / 2;
        write(store.append_logs(std::span<const store::LogLine>(lines.data(), half)));
        kill_point("log-batch");
        write(store.append_logs(
            std::span<const store::LogLine>(lines.data() + half, lines.size() - half)));
        return;
    }
#endif
    write(store.append_logs(lines));
}

void Engine::Impl::read_pipe(Attempt* a, int stream, bool final) {
    int& fd = stream == 1 ? a->child.stdout_fd : a->child.stderr_fd;
    uv_poll_t*& h = stream == 1 ? a->out_poll : a->err_poll;
    std::string& buf = stream == 1 ? a->out_buf : a->err_buf;
    if (fd < 0) return;
    Result<exec::ReadEnd> r = exec::ReadEnd::open;
    if (stream == 1 && a->plugin) {
        // The result, bounded: past the bound the plugin is killed, so one
        // printing without end costs neither memory nor time.
        std::string chunk;
        r = exec::read_available(fd, chunk);
        if (!a->result_too_large && a->result.size() + chunk.size() > plugin::k_max_result) {
            a->result_too_large = true;
            a->result.clear();
            a->result.shrink_to_fit();
            exec::signal_attempt(a->child.pid, a->child.start_time, a->marker, SIGKILL);
        }
        if (!a->result_too_large) a->result += chunk;
    } else {
        r = exec::read_available(fd, buf);
        emit_lines(a, stream, buf, final || !r || *r == exec::ReadEnd::eof);
    }
    if (!r || *r == exec::ReadEnd::eof) {
        close_handle(h);
        h = nullptr;
        ::close(fd);
        fd = -1;
    }
}

// What an ended plugin attempt (not timed out, not cancelled) reported, or
// why it could not run: its exit status first, then its result.
Result<plugin::Outcome> Engine::Impl::plugin_outcome(const Attempt& a,
                                                     const exec::ExitStatus& st) const {
    if (a.result_too_large)
        return make_error(Errc::invalid, "its result on stdout is larger than " +
                                             std::to_string(plugin::k_max_result >> 20) +
                                             " MiB; it was killed");
    if (st.signal)
        return make_error(Errc::exec,
                          std::string("it was killed by ") + exec::signal_name(*st.signal));
    if (st.exit_code && *st.exit_code != 0) {
        auto told = plugin::parse_result(a.result);
        const std::string said = told && !told->message.empty() ? " (" + told->message + ")" : "";
        return make_error(Errc::exec,
                          "it exited with code " + std::to_string(*st.exit_code) + said);
    }
    return plugin::parse_result(a.result);
}

// A line of weft's own in a step's log, shown and stored like the step's.
void Engine::Impl::log_note(ActiveRun& run, RowId attempt, const std::string& step,
                            const std::string& text, TimePoint t) {
    observer.log(run.id, step, 2, text, t);
    store::LogLine line{attempt, run.id, step, t, 2, text};
    begin_writes();
    write(store.append_logs(std::span<const store::LogLine>(&line, 1)));
}

void Engine::Impl::kill_attempt(Attempt* a, bool timeout) {
    if (timeout)
        a->timed_out = true;
    else
        a->cancelled = true;
    if (a->slurm) {
        // scancel: Slurm signals the job's processes and ends it; the poll
        // then settles it (a job not yet submitted never is).
        if (!a->job.job.empty())
            if (auto r = exec::slurm::cancel(a->job.job, command_env()); !r)
                note_log(*a->run, a->run->graph->instances[a->index].id, r.error().message);
        queue_asked = TimePoint{};  // ask Slurm at the next poll
        return;
    }
    exec::signal_attempt(a->child.pid, a->child.start_time, a->marker, SIGTERM);
    if (a->kill_timer) return;
    a->kill_timer = new uv_timer_t;
    uv_timer_init(&loop, a->kill_timer);
    a->kill_timer->data = a;
    uv_timer_start(
        a->kill_timer,
        [](uv_timer_t* h) {
            auto* at = static_cast<Attempt*>(h->data);
            exec::signal_attempt(at->child.pid, at->child.start_time, at->marker, SIGKILL);
        },
        static_cast<std::uint64_t>(a->kill_grace.count()), 0);
}

void Engine::Impl::add_sweep(const Attempt* a) {
    auto s = std::make_unique<Sweep>(
        Sweep{a->child.pid, a->child.start_time, a->marker, now() + a->kill_grace});
    if (exec::signal_attempt(s->pid, s->start_time, s->marker, SIGTERM) == 0) return;
    s->timer = new uv_timer_t;
    uv_timer_init(&loop, s->timer);
    s->timer->data = s.get();
    uv_timer_start(
        s->timer,
        [](uv_timer_t* h) {
            impl_of(reinterpret_cast<uv_handle_t*>(h))->run_sweep(static_cast<Sweep*>(h->data));
        },
        10, 10);
    sweeps.push_back(std::move(s));
}

void Engine::Impl::run_sweep(Sweep* s) {
    const bool past = now() >= s->kill_at;
    if (exec::signal_attempt(s->pid, s->start_time, s->marker, past ? SIGKILL : 0) > 0) return;
    close_handle(s->timer);
    sweeps.remove_if([s](const std::unique_ptr<Sweep>& x) { return x.get() == s; });
}

struct RetryCtx {
    ActiveRun* run;
    int i;
};

// A retry delay ended (or the run was cancelled while it waited).
void retry_fire(uv_timer_t* h) {
    auto* c = static_cast<RetryCtx*>(h->data);
    auto* self = impl_of(reinterpret_cast<uv_handle_t*>(h));
    ActiveRun* r = c->run;
    const int idx = c->i;
    delete c;
    auto& in = r->inst[idx];
    close_handle(in.retry_timer);
    in.retry_timer = nullptr;
    self->begin_writes();
    if (r->cancelled) {
        StepEnd e;
        e.status = StepState::cancelled;
        e.attempt = in.attempts;
        e.message = "cancelled";
        self->finish_instance(*r, idx, StepState::cancelled, e);
    } else {
        self->start_attempt(*r, idx);
    }
    self->dirty = true;
}

void Engine::Impl::attempt_done(Attempt* a) {
    auto st = exec::try_reap(a->child.pid);
    if (!st) return;  // spurious wake-up
    leaders.erase(a->child.pid);
    // Everything the process wrote before it exited is in the pipes now.
    read_pipe(a, 1, true);
    read_pipe(a, 2, true);
    // Whatever it left behind (background jobs, setsid escapees) dies with it.
    if (exec::maybe_leftovers(a->child.pid, [this](pid_t pid) { return is_tracked(pid); }))
        add_sweep(a);
    close_handle(a->pid_poll);
    close_handle(a->out_poll);
    close_handle(a->err_poll);
    close_handle(a->timeout_timer);
    close_handle(a->kill_timer);
    a->pid_poll = a->out_poll = a->err_poll = nullptr;
    exec::close_fds(a->child);
    settle_attempt(a, st->exit_code, st->signal, "");
}

// Record how attempt `a` ended (`failure`: what Slurm says ended it, when the
// job left no exit code), retry it or finish its instance; deletes `a`.
void Engine::Impl::settle_attempt(Attempt* a, std::optional<int> exit_code,
                                  std::optional<int> signal, const std::string& failure) {
    ActiveRun& run = *a->run;
    const int i = a->index;
    auto& in = run.inst[i];
    const auto& inst = run.graph->instances[i];
    const auto& step = run.wf->steps[inst.step];
    const TimePoint t = now();
    StepEnd end;
    end.attempt = a->number;
    end.exit_code = exit_code;
    if (signal) end.signal = exec::signal_name(*signal);
    end.duration = std::chrono::duration_cast<Duration>(t - a->started);
    end.status = exit_code == 0 && !a->timed_out ? StepState::success : StepState::failure;
    if (a->cancelled) end.status = StepState::cancelled;
    if (a->timed_out)
        end.message = "timed out after " + format_duration(a->timeout);
    else if (a->cancelled)
        end.message = "cancelled";
    else if (!failure.empty())
        end.message = failure;
    else if (signal)
        end.message = std::string("killed by ") + exec::signal_name(*signal);
    else if (exit_code && *exit_code != 0)
        end.message = "exit code " + std::to_string(*exit_code);

    // A plugin's failure says whether the plugin reported it or could not
    // run properly (crashed, exited non-zero, gave no valid result).
    Json plugin_outputs = Json::object();
    if (a->plugin && !a->timed_out && !a->cancelled) {
        auto outcome = plugin_outcome(*a, exec::ExitStatus{exit_code, signal});
        if (!outcome) {
            end.status = StepState::failure;
            end.message = "could not run plugin '" + *a->plugin + "': " + outcome.error().message;
        } else if (!outcome->success) {
            end.status = StepState::failure;
            end.message = "plugin '" + *a->plugin + "' failed" +
                          (outcome->message.empty() ? "" : ": " + outcome->message);
        } else {
            plugin_outputs = std::move(outcome->outputs);
        }
        if (end.status == StepState::failure)
            log_note(run, a->id, inst.id, "weft: " + run.mask.apply(end.message), t);
    }

    if (end.status == StepState::success) {
        std::ifstream f(a->output_file, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        auto outputs = parse_outputs(ss.str());
        if (!outputs) {
            end.status = StepState::failure;
            end.message = run.mask.apply(outputs.error().message);
            observer.log(run.id, inst.id, 2, "weft: " + end.message, t);
        } else {
            in.outputs = *outputs;
            for (auto it = plugin_outputs.begin(); it != plugin_outputs.end(); ++it)
                in.outputs[it.key()] = it.value();
        }
    }
    if (!a->slurm) {  // a job's files stay until its run ends (maybe_finish_run)
        ::unlink(a->output_file.c_str());
        ::unlink(
            (a->output_file.substr(0, a->output_file.size() - 4) + (a->plugin ? ".req" : ".sh"))
                .c_str());
    }

    begin_writes();
    store::AttemptEnd ae;
    ae.status = end.status;
    ae.ended = t;
    ae.exit_code = end.exit_code;
    ae.signal = end.signal;
    ae.message = end.message;
    write(store.finish_attempt(a->id, ae));
    in.active = nullptr;
    delete a;

    const auto& retry = step.retry;
    if (end.status == StepState::failure && in.attempts < retry.attempts && !run.cancelled) {
        double delay =
            static_cast<double>(retry.delay.count()) * std::pow(retry.backoff, in.attempts - 1);
        if (retry.max_delay) delay = std::min(delay, static_cast<double>(retry.max_delay->count()));
        end.will_retry = true;
        end.retry_in = Duration{static_cast<long long>(delay)};
        when_committed([this, id = run.id, step_id = inst.id, end, t] {
            observer.step_finished(id, step_id, end, t);
        });
        in.retry_timer = new uv_timer_t;
        uv_timer_init(&loop, in.retry_timer);
        in.retry_timer->data = new RetryCtx{&run, i};
        uv_timer_start(in.retry_timer, retry_fire, static_cast<std::uint64_t>(delay), 0);
        dirty = true;
        return;
    }
    finish_instance(run, i, end.status, end);
}

void Engine::Impl::finish_instance(ActiveRun& run, int i, StepState status,
                                   const StepEnd& end_info) {
    auto& in = run.inst[i];
    const auto& inst = run.graph->instances[i];
    const auto& step = run.wf->steps[inst.step];
    const bool was_running = in.status == StepState::running;
    in.status = status;
    if (was_running) --run.running;
    if (status == StepState::failure && !step.continue_on_error) {
        run.any_failed = true;
        in.failed_upstream = true;
    }
    --run.unfinished;
    for (int d : run.dependents[i])
        if (--run.inst[d].waiting == 0) run.ready.insert(d);
    const TimePoint t = now();
    store::StepUpdate u;
    u.ended = t;
    u.exit_code = end_info.exit_code;
    u.signal = end_info.signal;
    const std::string message = run.mask.apply(end_info.message);
    if (!message.empty()) u.message = message;
    write(store.set_step(run.id, inst.id, status, u));
    kill_point("step-ended");
    // Outputs are stored masked; the `steps` context of later steps keeps
    // the values.
    Json stored = in.outputs;
    if (!run.mask.empty())
        for (auto it = stored.begin(); it != stored.end(); ++it)
            if (it.value().is_string()) it.value() = run.mask.apply(it.value().get<std::string>());
    if (!stored.empty()) write(store.set_step_outputs(run.id, inst.id, stored));
    if (status == StepState::success && !in.fingerprint.empty())
        write(store.set_fingerprint(run.wf->name, inst.id, in.fingerprint, stored, run.id));

    note_step_context(run, i);

    StepEnd end = end_info;
    end.status = status;
    end.message = message;
    if (was_running) end.duration = std::chrono::duration_cast<Duration>(t - in.started);
    when_committed([this, id = run.id, step_id = inst.id, end, t] {
        observer.step_finished(id, step_id, end, t);
    });
    dirty = true;
}

// The `steps` context: a matrix step's outputs merge its instances', and its
// status is the worst of theirs.
void Engine::Impl::note_step_context(ActiveRun& run, int i) {
    const auto& in = run.inst[i];
    const auto status = in.status;
    auto& sc = run.steps_ctx[run.wf->steps[run.graph->instances[i].step].id];
    if (!sc.is_object()) sc = Json{{"outputs", Json::object()}, {"status", to_string(status)}};
    for (auto it = in.outputs.begin(); it != in.outputs.end(); ++it)
        sc["outputs"][it.key()] = it.value();
    if (status == StepState::failure || sc["status"] == "success" || sc["status"] == "up-to-date")
        sc["status"] = to_string(status);
}

void Engine::Impl::maybe_finish_run(ActiveRun& run) {
    if (run.status != RunState::running || run.unfinished > 0) return;
    run.status = run.cancelled && !run.timed_out   ? RunState::cancelled
                 : run.any_failed || run.timed_out ? RunState::failure
                                                   : RunState::success;
    const TimePoint t = now();
    begin_writes();
    store::RunUpdate u;
    u.ended = t;
    if (!run.message.empty()) u.message = run.message;
    write(store.set_run_status(run.id, run.status, u));
    close_handle(run.timeout_timer);
    run.timeout_timer = nullptr;
    std::error_code ec;
    std::filesystem::remove_all(run.tmp_dir, ec);
    // Every job of the run is settled and recorded (in the transaction that
    // commits before this runs): their files are no longer needed.
    when_committed([dirs = run.job_dirs] {
        std::error_code e;
        for (const auto& d : dirs) std::filesystem::remove_all(d, e);
    });
    finished[run.id] = run.status;
    when_committed([this, id = run.id, name = run.wf->name, status = run.status,
                    d = std::chrono::duration_cast<Duration>(t - run.started),
                    message = run.message, t] {
        observer.run_finished(id, name, status, d, message, t);
        if (config.on_run_end) config.on_run_end(id, name, status);
    });
}

void Engine::Impl::cancel_run(ActiveRun& run, const std::string& reason, bool timed_out) {
    if (run.status != RunState::running || run.cancelled) return;
    run.cancelled = true;
    run.timed_out = timed_out;
    run.message = reason;
    for (auto& in : run.inst) {
        if (in.active) kill_attempt(in.active, false);
    }
    dirty = true;
    // Waiting retries end now rather than after their delay.
    for (auto& in : run.inst)
        if (in.retry_timer) uv_timer_start(in.retry_timer, retry_fire, 0, 0);
}

// --- Slurm (SPEC §8). One timer follows every job of every run: it reads the
// jobs' files each k_job_poll_ms and asks squeue about all of them at once at
// most every k_queue_every. A job's own exit code file is the authority; Slurm's
// word is needed only for jobs that ended without writing one.

std::vector<std::string> Engine::Impl::command_env() const {
    std::vector<std::string> env;
    for (const auto& e : base_env)
        if (e.compare(0, 17, "WEFT_ATTEMPT_KEY=") != 0) env.push_back(e);
    return env;
}

// A note of weft's own in `step`'s log (no attempt: never counted as output).
void Engine::Impl::note_log(ActiveRun& run, const std::string& step, const std::string& text) {
    const TimePoint t = now();
    const std::string line = "weft: " + run.mask.apply(text);
    observer.log(run.id, step, 2, line, t);
    begin_writes();
    store::LogLine l{0, run.id, step, t, 2, line};
    write(store.append_logs(std::span<const store::LogLine>(&l, 1)));
}

void Engine::Impl::follow_job(Attempt* a) {
    jobs.push_back(a);
    if (!job_timer) {
        job_timer = new uv_timer_t;
        uv_timer_init(&loop, job_timer);
    }
    if (!uv_is_active(reinterpret_cast<uv_handle_t*>(job_timer)))
        uv_timer_start(
            job_timer,
            [](uv_timer_t* h) { impl_of(reinterpret_cast<uv_handle_t*>(h))->poll_jobs(); },
            k_job_poll_ms, k_job_poll_ms);
}

// sbatch, once the attempt that names the job is committed.
void Engine::Impl::submit_job(Attempt* a) {
    a->submitting = false;
    if (a->cancelled || a->timed_out) return settle_job(a, std::nullopt, "");  // never submitted
    auto id = exec::slurm::submit(a->spec, command_env());
    kill_point("job-submitted");
    begin_writes();
    if (!id) {
        note_log(*a->run, a->run->graph->instances[a->index].id, id.error().message);
        return settle_job(a, std::nullopt, id.error().message);
    }
    a->job.job = *id;
    a->spec = {};  // the script and environment are in the job's files now
    write(store.set_attempt_slurm(a->id, a->job));
    dirty = true;
}

void Engine::Impl::read_job_output(Attempt* a, bool final) {
    exec::slurm::read_new(a->job.dir + "/stdout", a->out_offset, a->out_buf);
    emit_lines(a, 1, a->out_buf, final);
    exec::slurm::read_new(a->job.dir + "/stderr", a->err_offset, a->err_buf);
    emit_lines(a, 2, a->err_buf, final);
}

void Engine::Impl::poll_jobs() {
    const TimePoint t = now();
    std::optional<std::map<std::string, exec::slurm::QueueEntry>> queue;
    if (t - queue_asked >= k_queue_every) {
        queue_asked = t;
        if (auto q = exec::slurm::queue(command_env())) {
            queue.emplace();
            for (auto& e : *q) queue->emplace(e.id, std::move(e));
        } else if (!queue_warned) {  // jobs are still settled by their exit code files
            queue_warned = true;
            std::fprintf(stderr, "weft: warning: %s\n", q.error().message.c_str());
        }
    }
    for (Attempt* a : std::vector<Attempt*>(jobs.begin(), jobs.end())) {
        if (a->submitting) continue;
        read_job_output(a, false);
        if (auto code = exec::slurm::read_exit_code(a->job.dir)) {
            // 128+N: a signal ended the step, perhaps Slurm's (a cancel outside
            // weft, its time limit, a node failure, a preemption, the OOM
            // killer): the job's state says which, once Slurm has settled it.
            if (*code > 128 && !a->cancelled && !a->timed_out && !a->job.job.empty()) {
                if (!a->gone_since) a->gone_since = t;
                const bool waited = t - *a->gone_since >= k_exit_code_grace;
                if (!queue && !waited) {
                    queue_asked = TimePoint{};
                    continue;
                }
                const auto it = queue ? queue->find(a->job.job)
                                      : std::map<std::string, exec::slurm::QueueEntry>::iterator{};
                if (queue && it != queue->end()) {
                    const auto& st = it->second.state;
                    if (exec::slurm::is_active(st) && !waited) continue;
                    if (!exec::slurm::is_active(st) && st != "COMPLETED" && st != "FAILED") {
                        settle_job(a, code,
                                   exec::slurm::end_message(a->job.job, st, it->second.reason));
                        continue;
                    }
                }
            }
            settle_job(a, code, "");
            continue;
        }
        if (!queue) continue;
        // A job whose id was never learnt (weft died as it was submitted, and
        // recovery found no job of its name) is one Slurm does not know.
        const auto it = a->job.job.empty() ? queue->end() : queue->find(a->job.job);
        if (it != queue->end() && exec::slurm::is_active(it->second.state)) {
            a->gone_since.reset();
            continue;
        }
        // Ended (or forgotten) without an exit code: unless weft ended it, give
        // the shared directory time to show the file.
        if (!a->gone_since) a->gone_since = t;
        if (!a->cancelled && !a->timed_out && t - *a->gone_since < k_exit_code_grace) continue;
        std::optional<exec::slurm::QueueEntry> ended;
        if (it != queue->end())
            ended = it->second;
        else if (!a->job.job.empty())  // squeue forgot it: accounting, where there is any, may know
            if (auto acc = exec::slurm::accounting(a->job.job, command_env()); acc && *acc)
                ended = **acc;
        if (ended && exec::slurm::is_active(ended->state)) continue;
        settle_job(a, std::nullopt,
                   ended ? exec::slurm::end_message(a->job.job, ended->state, ended->reason)
                         : "Slurm job " + (a->job.job.empty() ? a->job.name : a->job.job) +
                               ": it is gone and left no exit code in " + a->job.dir);
    }
    if (jobs.empty()) uv_timer_stop(job_timer);
}

void Engine::Impl::settle_job(Attempt* a, std::optional<int> exit_code,
                              const std::string& failure) {
    read_job_output(a, true);
    jobs.remove(a);
    close_handle(a->timeout_timer);
    a->timeout_timer = nullptr;
    begin_writes();
    settle_attempt(a, exit_code, std::nullopt, failure);
    dirty = true;
}

// Follow again the job `row` of a run being resumed (its weft died while the
// job ran). Its log lines stored before the crash are not read twice: the
// files are read on from the bytes those lines took.
void Engine::Impl::reattach_job(ActiveRun& run, int i, const store::AttemptRow& row,
                                Duration timeout) {
    auto& in = run.inst[i];
    const auto& inst = run.graph->instances[i];
    const auto& step = run.wf->steps[inst.step];
    in.attempt_base = row.number - in.attempts;
    auto a = std::make_unique<Attempt>();
    a->engine = this;
    a->run = &run;
    a->index = i;
    a->number = row.number;
    a->id = row.id;
    a->slurm = true;
    a->job = *row.slurm;
    a->output_file = a->job.dir + "/outputs";
    // Its directory is where it was written, whatever WEFT_SLURM_DIR says now.
    if (const auto parent = std::filesystem::path(a->job.dir).parent_path();
        parent.filename() == "run-" + std::to_string(run.id))
        run.job_dirs.insert(parent.string());
    a->started = row.started;
    a->timeout = timeout;
    a->kill_grace = step.kill_grace.value_or(run.wf->defaults.kill_grace);
    if (auto logs = write(store.get_logs(run.id, inst.id)))
        for (const auto& l : *logs)
            if (l.attempt_id == row.id)
                (l.stream == 1 ? a->out_offset : a->err_offset) +=
                    static_cast<long long>(l.text.size()) + 1;
    note_log(run, inst.id,
             a->job.job.empty() ? "following Slurm job " + a->job.name + " again after a restart"
                                : "following Slurm job " + a->job.job + " again after a restart");
    when_committed([this, id = run.id, step_id = inst.id, n = a->number, t0 = row.started] {
        observer.step_started(id, step_id, n, t0);
    });
    Attempt* ap = a.release();
    in.active = ap;
    follow_job(ap);
    queue_asked = TimePoint{};
    if (timeout.count() > 0)
        arm_timeout(ap, timeout - std::chrono::duration_cast<Duration>(now() - row.started));
}

}  // namespace weft::engine
