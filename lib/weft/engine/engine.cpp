#include "weft/engine/engine.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <csignal>
#include <cstring>
#include <filesystem>
#include <tuple>

#include "weft/engine/clock.hpp"
#include "weft/engine/engine_impl.hpp"
#include "weft/engine/local_executor.hpp"
#include "weft/engine/slurm_executor.hpp"
#include "weft/engine/spare.hpp"
#include "weft/exec/process.hpp"
#include "weft/util/fs.hpp"

extern char** environ;

namespace weft::engine {

namespace {

using Json = nlohmann::json;
using model::RowId;
using model::RunState;

// How long the reports of ended and started steps may wait for their commit,
// so that the steps ending meanwhile share it (a commit and the next
// transaction's start cost about a fifth of weft's own time per no-op step).
// A kill -9 loses at most this much of writes, none of them reported.
constexpr Duration k_commit_window{2};

}  // namespace

Engine::Impl::Impl(store::Store& s, Observer& o, Config c)
    : store(s),
      nested(o),
      observer(nested),
      config(std::move(c)),
      batch(
          s, [this](const std::string& text) { observer.problem(Severity::error, text); },
          [this] { stop_unrecorded(); }) {}

// After a failed write nothing more becomes durable: every run is
// cancelled, and attempts waiting for a commit to start never will.
void Engine::Impl::stop_unrecorded() {
    for (auto& r : runs->runs()) runs->cancel(*r, "the state database failed", false);
    for (Executor* ex : {local, slurm}) ex->store_failed();
}

// Config::on_store_failed, called from the loop's prepare/check handlers
// (never from inside a caller's callback, which it may tear down).
void Engine::Impl::tell_store_failed() {
    if (!batch.stopped() || told_store_failed) return;
    told_store_failed = true;
    if (config.on_store_failed) config.on_store_failed();
}

// Once per loop iteration, before it blocks (a commit that may wait for the
// window: steps that end within it share one commit). What waited for the commit
// may start a run (`weft up` starts a queued event's run when one ends),
// and when that run's steps end before any process starts (a render
// error), nothing is left to wake the loop for it: schedule and commit
// again until nothing changed.
void Engine::Impl::iterate() {
    do {
        runs->schedule();
        start_calls();
        batch.commit_due();
    } while (runs->dirty());
    tell_store_failed();
}

Result<std::unique_ptr<Engine>> Engine::create(store::Store& store, Observer& observer,
                                               Config config) {
    return create(store, observer, std::move(config), Seams{});
}

Result<std::unique_ptr<Engine>> Engine::create(store::Store& store, Observer& observer,
                                               Config config, Seams seams) {
    auto impl = std::make_unique<Impl>(store, observer, std::move(config));
    if (int rc = uv_loop_init(&impl->loop); rc != 0)
        return make_error(Errc::exec,
                          std::string("cannot start the event loop: ") + uv_strerror(rc));
    impl->loop.data = impl.get();
    auto& cfg = impl->config;
    if (cfg.slurm_dir.empty()) cfg.slurm_dir = cfg.state_dir + "/slurm";
    {
        std::error_code ec;  // absolute: the path is given to the job, which starts elsewhere
        const auto abs = std::filesystem::absolute(cfg.slurm_dir, ec);
        if (!ec) cfg.slurm_dir = abs.lexically_normal().string();
    }
    // Not an event of an outer weft's (a step that runs weft): each step gets
    // the WEFT_EVENT_* variables of its own run's event only. Nor systemd's
    // notification variables (SPEC §9.2): a step that ran systemd-notify would
    // speak for weft, whatever command weft runs.
    const auto starts = [](const char* entry, std::string_view prefix) {
        return std::string_view(entry).substr(0, prefix.size()) == prefix;
    };
    std::vector<std::string> base_env;
    for (char** e = environ; e && *e; ++e)
        if (!starts(*e, "WEFT_EVENT_") && !starts(*e, "NOTIFY_SOCKET=") &&
            !starts(*e, "WATCHDOG_USEC=") && !starts(*e, "WATCHDOG_PID="))
            base_env.emplace_back(*e);
    // Orphans of steps are reparented to us, so they stay findable and get
    // reaped here rather than by init.
    (void)exec::become_child_subreaper();
    std::signal(SIGPIPE, SIG_IGN);
    // Inherited ignored, SIGCHLD would have the kernel reap every step before
    // its pidfd's reader could: weft reaps its own children.
    std::signal(SIGCHLD, SIG_DFL);
    exec::raise_open_file_limit();

    Impl& self = *impl;
    if (seams.clock) {
        self.clock = seams.clock;
    } else {
        self.own_clock = std::make_unique<UvClock>(&self.loop);
        self.clock = self.own_clock.get();
    }
    // A fake clock's timelines stay exact: only the real one defers commits.
    if (!seams.clock) self.batch.set_window(*self.clock, k_commit_window);
    self.runs.emplace(self.batch, self.observer, *self.clock, self, self.config);
    self.own_local = seams.local
                         ? seams.local(self, *self.clock)
                         : std::make_unique<LocalExecutor>(&self.loop, self, *self.clock, base_env);
    self.own_slurm = seams.slurm
                         ? seams.slurm(self, *self.clock)
                         : std::make_unique<SlurmExecutor>(&self.loop, self, *self.clock,
                                                           cfg.state_dir, cfg.slurm_dir, base_env);
    self.own_call = make_call_executor(self);
    self.local = self.own_local.get();
    self.slurm = self.own_slurm.get();
    self.arm_loop();
    if (cfg.control_socket) {
        Impl* me = impl.get();
        auto server = events::ControlServer::listen(
            &self.loop, events::control_path(cfg.state_dir, cfg.owner),
            [me](const Json& req) { return me->answer(req); });
        if (!server) return make_error(Errc::state, server.error().message);
        self.control = std::move(*server);
    }
    return std::unique_ptr<Engine>(new Engine(std::move(impl)));
}

// The loop's own handles: the commit before it blocks, the observer's
// ticks, the signals.
void Engine::Impl::arm_loop() {
    auto* p = prepare.make();
    uv_prepare_init(&loop, p);
    p->data = this;
    uv_prepare_start(p, [](uv_prepare_t* h) { static_cast<Impl*>(h->data)->iterate(); });
    uv_unref(prepare.base());
    auto* c = check.make();
    uv_check_init(&loop, c);
    c->data = this;
    uv_check_start(c, [](uv_check_t* h) { static_cast<Impl*>(h->data)->iterate(); });
    uv_unref(check.base());
    // Unreferenced: the observer's clock never keeps the loop alive by itself.
    if (const auto every = static_cast<std::uint64_t>(observer.tick_interval().count());
        every > 0) {
        auto* t = ticker.make();
        uv_timer_init(&loop, t);
        t->data = this;
        uv_timer_start(
            t,
            [](uv_timer_t* h) {
                auto* self = static_cast<Impl*>(h->data);
                self->observer.tick(self->clock->now());
            },
            every, every);
        uv_unref(ticker.base());
    }
    if (!config.handle_signals) return;
    for (auto [h, sig] :
         {std::pair{&sigint, SIGINT}, std::pair{&sigterm, SIGTERM}, std::pair{&sighup, SIGHUP}}) {
        if (sig == SIGHUP && !config.handle_hangup) continue;
        auto* s = h->make();
        uv_signal_init(&loop, s);
        s->data = this;
        uv_signal_start(
            s, [](uv_signal_t* x, int n) { static_cast<Impl*>(x->data)->on_signal(n); }, sig);
        uv_unref(h->base());
    }
}

// SIGINT/SIGTERM (and SIGHUP when asked): every run is cancelled; a second
// one: no more grace.
void Engine::Impl::on_signal(int sig) {
    if (interrupted_by != 0) {
        runs->skip_finally_all();
        for (Executor* ex : {local, slurm}) ex->kill_all();
        return;
    }
    interrupted_by = sig;
    const std::string why = std::string("interrupted by ") + exec::signal_name(sig);
    if (config.signal_interrupts)
        runs->interrupt_all(why);
    else
        runs->cancel_all(why);
    if (config.on_signal) config.on_signal(sig);
}

// A request on the control socket: {"op": "ping"} or {"op": "cancel", "run": N,
// "reason": TEXT}; other ops go to Config::on_request. Every field is
// checked for its type: a client's mistake is an error reply, never an
// exception.
Json Engine::Impl::answer(const Json& req) {
    if (auto bad = events::check_field(req, "op", "string", true)) return *bad;
    const std::string op = req["op"].get<std::string>();
    if (op == "ping") return {{"ok", true}, {"pid", ::getpid()}};
    if (op == "cancel") {
        if (!req.contains("run")) return {{"ok", false}, {"error", "cancel needs a run id"}};
        for (auto [key, type, required] :
             {std::tuple{"run", "integer", true}, std::tuple{"reason", "string", false}})
            if (auto bad = events::check_field(req, key, type, required)) return *bad;
        const auto id = req["run"].get<RowId>();
        const std::string reason =
            req.contains("reason") ? req["reason"].get<std::string>() : "cancelled";
        if (runs->cancel_running(id, reason)) return {{"ok", true}};
        return {{"ok", false},
                {"error", "run " + std::to_string(id) + " is not running in this process"}};
    }
    if (config.on_request)
        if (auto a = config.on_request(req)) return *a;
    return {{"ok", false}, {"error", "unknown request '" + op + "'"}};
}

Engine::Engine(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}

Engine::~Engine() {
    auto& self = *m_impl;
    self.control.reset();
    // Every handle closes before the loop does: the attempts' first.
    self.runs->runs().clear();
    for (Executor* ex : {self.local, self.slurm}) ex->close();
    if (self.own_clock) self.own_clock->close();
    self.prepare.reset();
    self.check.reset();
    self.sigint.reset();
    self.sigterm.reset();
    self.sighup.reset();
    self.ticker.reset();
    uv_run(&self.loop, UV_RUN_DEFAULT);
    uv_loop_close(&self.loop);
}

void Engine::signal(int sig) {
    m_impl->on_signal(sig);
}

int Engine::interrupted_by() const {
    return m_impl->interrupted_by;
}

uv_loop_s* Engine::loop() {
    return &m_impl->loop;
}

RunState Engine::status(RowId run) const {
    return m_impl->runs->status(run);
}

Result<RowId> Engine::start(RunRequest req) {
    auto& self = *m_impl;
    if (self.batch.failed())
        return make_error(Errc::state, "no run starts: the state database failed");
    auto run = plan_run(std::move(req), self.clock->now());
    if (!run) return run.error();
    if (auto r = self.record_run(**run); !r) return r.error();
    const RowId rid = (*run)->id;
    self.runs->admit(std::move(*run));
    return rid;
}

// The run's rows go in a transaction of their own, rolled back if any
// write fails: what the loop wrote before is committed first. The run
// exists (or is reopened) on disk before anyone is told its id.
Result<void> Engine::Impl::record_run(ActiveRun& run) {
    const auto& wf = *run.wf;
    const auto& g = *run.graph;
    batch.commit();
    batch.begin();
    auto fail = [&](Error e) -> Error {
        if (e.code == Errc::state)
            batch.note(e);  // the store failed: the engine stops
        else
            batch.rollback();
        return e;
    };
    if (const auto& resume = run.req.resume) {
        run.id = resume->run;
        if (auto r = store.reopen_run(run.id, run.attempt, config.owner); !r)
            return fail(r.error());
        std::vector<std::string> rerun, added;
        for (std::size_t i = 0; i < g.instances.size(); ++i) {
            if (!run.selected[i] || run.done[i]) continue;
            (resume->attempts.count(g.instances[i].id) ? rerun : added)
                .push_back(g.instances[i].id);
        }
        if (auto r = store.reset_steps(run.id, rerun); !r) return fail(r.error());
        if (auto r = store.add_steps(run.id, added); !r) return fail(r.error());
    } else {
        store::NewRun nr;
        nr.workflow = wf.name;
        std::error_code
            file_ec;  // absolute, so `weft prune` and `weft resume` find the file from anywhere
        const auto abs_file = std::filesystem::absolute(wf.file, file_ec);
        nr.file = file_ec ? wf.file : abs_file.lexically_normal().string();
        nr.event_id = run.req.event_id;
        nr.params = run.stored_params;
        nr.started = run.started;
        nr.owner = config.owner;
        auto id = store.create_run(nr);
        if (!id) return fail(id.error());
        if (run.req.dequeue != 0)
            if (auto r = store.dequeue(run.req.dequeue); !r) return fail(r.error());
        run.id = *id;
        if (run.req.parent_run != 0)
            if (auto r = store.set_run_parent(run.id, run.req.parent_run, run.req.parent_step); !r)
                return fail(r.error());
        std::vector<std::string> ids;
        for (std::size_t i = 0; i < g.instances.size(); ++i)
            if (run.selected[i]) ids.push_back(g.instances[i].id);
        if (auto r = store.add_steps(run.id, ids); !r) return fail(r.error());
    }
    // The contexts, with the workflow's env rendered once: the base of every
    // step's env.
    auto contexts =
        run_contexts(wf, run.req.params, run.req.event, run.req.secrets, run.id, run.attempt);
    // An env-file that cannot be read fails the run before its first step
    // (`weft run` checks the files before it starts one).
    if (!contexts && !wf.env_files.empty() && !read_env_files(wf))
        run.setup_error = contexts.error().message;
    else if (!contexts)
        return fail(contexts.error());
    else
        run.contexts = std::move(*contexts);
    if (auto made = make_run_dir(run); !made) return fail(made.error());
    batch.commit();
    std::error_code ec;
    if (batch.failed()) {
        std::filesystem::remove_all(run.tmp_dir, ec);
        return make_error(Errc::state, "run not started: it could not be recorded");
    }
    return {};
}

// STATE/tmp/run-N, with the event's file a step's $WEFT_EVENT_JSON names:
// spares of ended runs where there are some (engine/spare.hpp), else the
// directory is made and the file left to the first step that needs it.
Result<void> Engine::Impl::make_run_dir(ActiveRun& run) {
    const std::string tmp = config.state_dir + "/tmp";
    if (!tmp_checked) {
        if (auto made = make_private_dir(tmp); !made) return made.error();
        tmp_checked = true;
    }
    run.tmp_dir = tmp + "/run-" + std::to_string(run.id);
    if (!spare::take_dir(tmp, run.tmp_dir))
        if (auto made = make_private_dir(run.tmp_dir); !made) return made.error();
    const std::string event_file = run.tmp_dir + "/event.json";
    if (const int fd = spare::take_run_fd(event_file); fd >= 0) {
        const std::string text = model::dump_json(run.req.event);
        const bool written =
            ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
        if (::close(fd) != 0 || !written)
            ::unlink(event_file.c_str());  // written at the first step
        else
            run.event_file_written = true;
    }
    return {};
}

void Engine::cancel(RowId id, const std::string& reason) {
    for (auto& r : m_impl->runs->runs())
        if (r->id == id) m_impl->runs->cancel(*r, reason, false);
}

void Engine::fail_store(const Error& error) {
    m_impl->batch.note(error);
}

void Engine::commit() {
    m_impl->batch.commit();
}

bool Engine::run() {
    auto& self = *m_impl;
    self.iterate();
    for (;;) {
        uv_run(&self.loop, UV_RUN_DEFAULT);
        // A fake clock's timers keep no loop alive: it fires them here.
        if (!self.clock->advance()) break;
        self.iterate();
    }
    self.batch.commit();
    return !self.batch.failed();
}

}  // namespace weft::engine
