#include "weft/engine/up.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <map>
#include <set>

#include <fmt/core.h>

#include "weft/engine/dispatch.hpp"
#include "weft/engine/resolve.hpp"
#include "weft/engine/restart.hpp"
#include "weft/engine/triggers/file.hpp"
#include "weft/engine/triggers/manual.hpp"
#include "weft/engine/triggers/schedule.hpp"
#include "weft/engine/triggers/stdin.hpp"
#include "weft/engine/triggers/workflow.hpp"
#include "weft/events/control.hpp"
#include "weft/events/file_watch.hpp"
#include "weft/events/stdin_reader.hpp"
#include "weft/events/uv_handle.hpp"
#include "weft/util/size.hpp"
#include "weft/util/strings.hpp"
#include "weft/util/time.hpp"

namespace weft::engine {

using Json = nlohmann::json;
using model::RowId;

namespace {

// The engine prunes every workflow's history as its `retention` says: a
// when it starts, then daily (SPEC §5).
constexpr std::uint64_t k_first_prune_ms = 0;
constexpr std::uint64_t k_prune_every_ms = 24ull * 3600 * 1000;
constexpr std::uint64_t k_prune_retry_ms = 10;  // after the engine's open batch commits
// Workflow files are re-read this long after the last change to them.
constexpr std::uint64_t k_reload_delay_ms = 150;
// How often systemd's STATUS= line is brought up to date (when it changed).
constexpr std::uint64_t k_notify_status_ms = 1000;

}  // namespace

struct Up::Impl {
    store::Store& store;
    UpConfig cfg;
    Dispatch dispatch;
    std::unique_ptr<Engine> engine;
    uv_loop_t* loop = nullptr;
    std::map<std::string, WorkflowPtr> by_file;
    // One home per trigger kind; armed in this order.
    std::unique_ptr<FileTrigger> file;
    std::unique_ptr<ScheduleTrigger> schedule;
    std::unique_ptr<StdinTrigger> in;
    std::unique_ptr<WorkflowTrigger> workflow;
    std::unique_ptr<ManualTrigger> manual;
    std::unique_ptr<events::FileWatcher> defs;  // the workflow files themselves
    events::UvHandle<uv_signal_t> hup;
    events::UvHandle<uv_timer_t> reload_timer;
    events::UvHandle<uv_timer_t> prune_timer;
    // Keeps the loop up while nothing else may: an engine whose stdin is
    // /dev/null waits for `weft emit` and `weft trigger` (SPEC §9.2).
    events::UvHandle<uv_async_t> keepalive;
    bool fed = false;  // `weft emit` has handed records: end of stdin never stops it
    events::UvHandle<uv_timer_t> watchdog;      // WATCHDOG=1
    events::UvHandle<uv_timer_t> status_timer;  // STATUS=
    std::string notified_status;
    TimePoint started = now();

    Impl(store::Store& s, UpConfig c) : store(s), cfg(std::move(c)), dispatch(s, cfg.announce) {}

    std::vector<Trigger*> triggers() const {
        return {file.get(), schedule.get(), in.get(), workflow.get(), manual.get()};
    }
    void error(const std::string& msg) { dispatch.error(msg); }

    // loading
    std::optional<std::map<std::string, WorkflowPtr>> load_set(bool initial);
    void reload();
    void on_hup();

    // systemd
    void start_notify();
    std::string status_line() const;
    void notify_status(const std::string& extra = "");

    // arming
    void make_triggers();
    Result<void> arm_all();
    void watch_definitions();
    void disarm_all();

    // the Engine's hooks
    std::optional<Json> on_request(const Json& req);
    Json status() const;
    Json on_emit(const Json& req);
    void on_run_end(RowId run, const std::string& workflow, model::RunState status);
    void maybe_finish();
    void resume_previous(const std::string& state_dir, const std::string& owner);
    void stop();
    void close();  // stop, and end the Engine
    void prune();
    static void on_prune_timer(uv_timer_t* h) { static_cast<Impl*>(h->data)->prune(); }
    bool only_stdin() const;
};

Up::Up(store::Store& store, UpConfig config)
    : m(std::make_unique<Impl>(store, std::move(config))) {}

Up::~Up() {
    m->close();
}

void Up::Impl::close() {
    // Every handle is closed while the Engine's loop is open; the Engine's
    // destructor runs the loop once more to finish closing them.
    stop();
    file.reset();
    schedule.reset();
    in.reset();
    engine.reset();
}

std::vector<std::string> describe_triggers(const model::Workflow& wf) {
    std::vector<std::string> out;
    if (wf.on.file) {
        std::string s = "file:";
        for (const auto& p : wf.on.file->paths) s += " " + p;
        out.push_back(s);
    }
    for (const auto& e : wf.on.schedule)
        out.push_back(e.cron ? "schedule: cron " + *e.cron +
                                   (e.timezone.empty() ? "" : " (" + e.timezone + ")")
                             : "schedule: every " + format_duration(*e.every));
    if (wf.on.stdin_format)
        out.push_back(std::string("stdin: ") +
                      (*wf.on.stdin_format == model::StdinFormat::json ? "json" : "lines"));
    if (wf.on.workflow) {
        std::string s = "workflow:";
        for (const auto& n : wf.on.workflow->names) s += " " + n;
        s += " (";
        for (std::size_t i = 0; i < wf.on.workflow->statuses.size(); ++i)
            s += (i ? ", " : "") + std::string(model::to_string(wf.on.workflow->statuses[i]));
        out.push_back(s + ")");
    }
    out.push_back("manual");
    return out;
}

// --- loading ---------------------------------------------------------------

std::optional<std::map<std::string, WorkflowPtr>> Up::Impl::load_set(bool initial) {
    auto files_r = parse::workflow_files(cfg.paths);
    if (!files_r) {
        error(files_r.error().message);
        return std::nullopt;
    }
    std::map<std::string, WorkflowPtr> next_by_file;
    bool ok = true;
    for (const auto& f : *files_r) {
        auto wf = std::make_shared<parse::Workflow>(parse::load_workflow(f));
        if (cfg.diagnostics && (!wf->ok() || !wf->loaded.diagnostics.empty()))
            cfg.diagnostics(wf->loaded);
        if (wf->ok()) {
            next_by_file[f] = wf;
        } else if (initial) {
            ok = false;
        } else if (auto old = by_file.find(f); old != by_file.end()) {
            dispatch.announce({{"type", "reload"},
                               {"file", f},
                               {"message", "invalid edit; the previous version stays armed"}});
            next_by_file[f] = old->second;
        }
    }
    if (!ok) return std::nullopt;
    std::vector<WorkflowPtr> all;
    for (const auto& [f, w] : next_by_file) all.push_back(w);
    if (auto problems = parse::check_workflow_set(all); !problems.empty()) {
        for (const auto& p : problems)
            error(p + (initial ? "" : "; the previous workflows stay armed"));
        return std::nullopt;
    }
    if (initial && all.empty()) {
        std::string where;
        for (const auto& p : cfg.paths) where += (where.empty() ? "" : ", ") + p;
        error("no workflow files in " + where + " (*.yaml, *.yml)");
        return std::nullopt;
    }
    return next_by_file;
}

bool Up::load() {
    auto set = m->load_set(true);
    if (!set) return false;
    m->by_file = std::move(*set);
    for (const auto& [f, w] : m->by_file) m->dispatch.workflows()[w->loaded.workflow->name].wf = w;
    return true;
}

void Up::Impl::reload() {
    if (dispatch.stopping()) return;
    auto set = load_set(false);
    if (!set) return;
    disarm_all();
    by_file = std::move(*set);
    auto& wfs = dispatch.workflows();
    std::set<std::string> names;
    for (const auto& [f, w] : by_file) {
        const auto& name = w->loaded.workflow->name;
        names.insert(name);
        auto& a = wfs[name];
        a.wf = w;
        a.removed = false;
    }
    for (auto it = wfs.begin(); it != wfs.end();) {
        if (names.count(it->first)) {
            ++it;
        } else if (it->second.running > 0) {
            it->second.removed = true;
            ++it;
        } else {
            it = wfs.erase(it);
        }
    }
    dispatch.announce({{"type", "reload"}, {"workflows", names.size()}});
    if (auto r = arm_all(); !r) error(r.error().message);
    dispatch.dispatch_all();
}

void Up::Impl::on_hup() {
    // systemd waits for READY=1 after RELOADING=1 (sd_notify(3)), also when
    // the reload kept the previous workflows.
    cfg.notify.send("RELOADING=1\n" + events::monotonic_usec());
    reload();
    notify_status("READY=1\n");
}

// The runs the engines before this one left interrupted: resumed first, so
// they take their workflow's concurrency before queued events do.
void Up::Impl::resume_previous(const std::string& state_dir, const std::string& owner) {
    auto plans = plan_restarts(store, previous_engines(state_dir), [this](const std::string& n) {
        const auto it = dispatch.workflows().find(n);
        return it == dispatch.workflows().end() ? nullptr : it->second.wf;
    });
    if (!plans) error("cannot read the runs the previous engine left: " + plans.error().message);
    if (auto r = record_engine(state_dir, owner); !r)
        error("the next engine will not resume this one's runs: " + r.error().message);
    if (!plans) return;
    for (auto& p : *plans) {
        if (!p.request) {
            dispatch.announce({{"type", "restart"},
                               {"run", p.run},
                               {"warning", true},
                               {"message", "weft: warning: " + p.message}});
            continue;
        }
        dispatch.announce({{"type", "restart"}, {"run", p.run}, {"message", p.message}});
        auto run = engine->start(std::move(*p.request));
        if (!run) {
            error("run " + std::to_string(p.run) + " (" + p.workflow +
                  ") could not be resumed: " + run.error().message);
            continue;
        }
        auto& a = dispatch.workflows()[p.workflow];
        ++a.running;
        a.runs.insert(*run);
    }
}

// --- systemd -----------------------------------------------------------------

std::string Up::Impl::status_line() const {
    std::size_t armed = 0, running = 0;
    for (const auto& [n, a] : dispatch.workflows()) {
        armed += a.removed ? 0 : 1;
        running += static_cast<std::size_t>(a.running);
    }
    return fmt::format("{} workflow{} armed, {} run{} running", armed, armed == 1 ? "" : "s",
                       running, running == 1 ? "" : "s");
}

void Up::Impl::notify_status(const std::string& extra) {
    const std::string line = status_line();
    if (extra.empty() && line == notified_status) return;
    notified_status = line;
    cfg.notify.send(extra + "STATUS=" + line);
}

void Up::Impl::start_notify() {
    if (!cfg.notify.enabled()) return;
    notify_status("READY=1\n");
    status_timer = events::UvHandle<uv_timer_t>::make(uv_timer_init, loop, this);
    uv_timer_start(
        status_timer.get(), [](uv_timer_t* h) { static_cast<Impl*>(h->data)->notify_status(); },
        k_notify_status_ms, k_notify_status_ms);
    uv_unref(status_timer.base());
    if (auto every = cfg.notify.watchdog_every()) {
        watchdog = events::UvHandle<uv_timer_t>::make(uv_timer_init, loop, this);
        const auto ms = static_cast<std::uint64_t>(every->count());
        uv_timer_start(
            watchdog.get(),
            [](uv_timer_t* h) { static_cast<Impl*>(h->data)->cfg.notify.send("WATCHDOG=1"); }, ms,
            ms);
        uv_unref(watchdog.base());
    }
}

// --- arming ----------------------------------------------------------------

Result<void> Up::start(Observer& observer, Config config) {
    auto& s = *m;
    const std::string state_dir = config.state_dir, owner = config.owner;
    config.on_signal = [&s](int) { s.stop(); };
    config.on_request = [&s](const Json& req) { return s.on_request(req); };
    config.on_store_failed = [&s] { s.stop(); };  // nothing more can be recorded
    config.on_run_end = [&s](RowId run, const std::string& wf, model::RunState st) {
        s.on_run_end(run, wf, st);
    };
    auto eng = Engine::create(s.store, observer, std::move(config));
    if (!eng) return eng.error();
    s.engine = std::move(*eng);
    s.dispatch.attach(*s.engine);
    s.loop = s.engine->loop();
    s.reload_timer = events::UvHandle<uv_timer_t>::make(uv_timer_init, s.loop, &s);
    s.hup = events::UvHandle<uv_signal_t>::make(uv_signal_init, s.loop, &s);
    uv_signal_start(
        s.hup.get(), [](uv_signal_t* h, int) { static_cast<Impl*>(h->data)->on_hup(); }, SIGHUP);
    uv_unref(s.hup.base());
    s.prune_timer = events::UvHandle<uv_timer_t>::make(uv_timer_init, s.loop, &s);
    uv_timer_start(s.prune_timer.get(), &Impl::on_prune_timer, k_first_prune_ms, k_prune_every_ms);
    uv_unref(s.prune_timer.base());  // never what keeps the engine up
    if (events::is_null_input(0))
        s.keepalive = events::UvHandle<uv_async_t>::make(uv_async_init, s.loop, &s, nullptr);
    s.make_triggers();
    if (auto r = s.arm_all(); !r) {
        s.stop();  // close what was armed while the engine's loop is still open
        return r;
    }
    s.resume_previous(state_dir, owner);  // before new events, and what waited
    s.dispatch.dispatch_all();            // in the database since the last stop
    s.start_notify();
    return {};
}

bool Up::run() {
    const bool stored = m->engine->run();
    m->close();  // the Engine ends here, before its caller lets go of the engine lock
    return stored;
}

void Up::Impl::make_triggers() {
    file = std::make_unique<FileTrigger>(dispatch, loop, cfg.state_dir, cfg.state_path);
    schedule = std::make_unique<ScheduleTrigger>(dispatch, loop);
    in = std::make_unique<StdinTrigger>(dispatch, loop, [this] { maybe_finish(); });
    workflow = std::make_unique<WorkflowTrigger>(dispatch);
    manual = std::make_unique<ManualTrigger>(dispatch);
}

Result<void> Up::Impl::arm_all() {
    for (Trigger* t : triggers())
        if (auto r = t->arm(); !r) return r;
    watch_definitions();
    return {};
}

// Workflow definitions: a file edited, added or deleted is re-read.
void Up::Impl::watch_definitions() {
    std::vector<std::string> roots;
    for (const auto& p : cfg.paths) {
        struct stat st {};
        const std::string dir = ::stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)
                                    ? p
                                    : std::filesystem::path(p).parent_path().string();
        roots.push_back(dir.empty() ? "." : std::filesystem::path(dir).lexically_normal().string());
    }
    std::sort(roots.begin(), roots.end());
    roots.erase(std::unique(roots.begin(), roots.end()), roots.end());
    auto only_roots = [roots](const std::string& d) {
        return std::find(roots.begin(), roots.end(), d) == roots.end();
    };
    auto watcher = events::FileWatcher::start(
        loop, roots, only_roots,
        [this](std::vector<events::FileChange> ch, bool overflow) {
            bool relevant = overflow;
            for (const auto& c : ch) {
                const auto ext = std::filesystem::path(c.path).extension().string();
                relevant = relevant || ext == ".yaml" || ext == ".yml";
            }
            if (relevant && reload_timer)
                uv_timer_start(
                    reload_timer.get(),
                    [](uv_timer_t* h) { static_cast<Impl*>(h->data)->reload(); }, k_reload_delay_ms,
                    0);
        },
        [this](const Error& e) { error(e.message); });
    if (watcher) defs = std::move(*watcher);
}

void Up::Impl::disarm_all() {
    for (Trigger* t : triggers())
        if (t) t->disarm();
    defs.reset();
}

bool Up::Impl::only_stdin() const {
    for (const auto& [n, a] : dispatch.workflows())
        if (!a.removed && (a.w().on.file || !a.w().on.schedule.empty())) return false;
    return true;
}

// --- the Engine's hooks ------------------------------------------------------

void Up::Impl::on_run_end(RowId run, const std::string& wf, model::RunState status) {
    dispatch.run_ended(run, wf);
    workflow->run_ended(run, wf, status);  // chains and fan-in
    dispatch.dispatch_all();
    maybe_finish();
}

std::optional<Json> Up::Impl::on_request(const Json& req) {
    const std::string op = req.value("op", "");
    if (op == "trigger") return manual->request(req);
    if (op == "status") return status();
    if (op == "emit") return on_emit(req);
    return std::nullopt;
}

Json Up::Impl::status() const {
    Json wfs = Json::array();
    const TimePoint t = now();
    for (const auto& [n, a] : dispatch.workflows()) {
        Json next = Json::array();
        for (auto f : schedule->next_fires(n)) next.push_back(format_rfc3339(f));
        auto q = store.queued_count(n);
        wfs.push_back({{"name", n},
                       {"file", a.w().file},
                       {"triggers", describe_triggers(a.w())},
                       {"running", a.running},
                       {"runs", std::vector<RowId>(a.runs.begin(), a.runs.end())},
                       {"queued", q ? *q : -1},
                       {"next", next},
                       {"removed", a.removed}});
    }
    auto q = store.queued_count("");
    return Json{
        {"ok", true},
        {"pid", ::getpid()},
        {"started", format_rfc3339(started)},
        {"uptime_ms", std::chrono::duration_cast<std::chrono::milliseconds>(t - started).count()},
        {"queued", q ? *q : -1},
        // /dev/null is never read: not "reading" (StdinTrigger does not know).
        {"stdin", events::is_null_input(0) ? "not read" : in->state()},
        {"workflows", wfs}};
}

namespace {

Json usage_error(const std::string& msg) {
    return {{"ok", false}, {"usage", true}, {"error", msg}};
}

}  // namespace

// `weft emit` (SPEC §9.2): {"op": "emit", "workflows": [NAME...] (none: every
// stdin workflow), "format": "lines"|"json", "record": TEXT, "truncated"}.
// Without "record" the request only checks the workflows and the format.
// The reply comes after the event is committed: emit sends the next record
// only then, so a record it was told about is never lost.
Json Up::Impl::on_emit(const Json& req) {
    for (auto [key, type] : {std::pair{"workflows", "array"}, std::pair{"format", "string"},
                             std::pair{"record", "string"}, std::pair{"truncated", "boolean"}})
        if (auto bad = events::check_field(req, key, type, false)) return *bad;
    if (dispatch.stopping()) return {{"ok", false}, {"error", "the engine is stopping"}};
    std::vector<std::string> names, receivers;
    for (const auto& [n, a] : dispatch.workflows())
        if (!a.removed && a.w().on.stdin_format) receivers.push_back(n);
    for (const auto& n : req.value("workflows", Json::array())) {
        if (!n.is_string()) return usage_error("'workflows' must hold names");
        names.push_back(n.get<std::string>());
    }
    if (names.empty() && receivers.empty())
        return usage_error("no workflow of this engine has 'on: stdin'");
    if (names.empty()) names = receivers;
    // `weft emit a a`: one record is one event for each workflow, once.
    for (std::size_t i = names.size(); i-- > 1;)
        if (std::find(names.begin(), names.begin() + static_cast<std::ptrdiff_t>(i), names[i]) !=
            names.begin() + static_cast<std::ptrdiff_t>(i))
            names.erase(names.begin() + static_cast<std::ptrdiff_t>(i));
    std::size_t max_record = model::k_stdin_max_record;
    bool json = false;
    for (std::size_t i = 0; i < names.size(); ++i) {
        const auto it = dispatch.workflows().find(names[i]);
        if (it == dispatch.workflows().end() || it->second.removed) {
            std::vector<std::string> armed;
            for (const auto& [n, a] : dispatch.workflows()) armed.push_back(n);
            return usage_error(
                with_suggestion("no workflow '" + names[i] + "' in this engine", names[i], armed));
        }
        const auto& w = it->second.w();
        if (!w.on.stdin_format)
            return usage_error("workflow '" + names[i] + "' has no 'on: stdin' trigger");
        json = *w.on.stdin_format == model::StdinFormat::json;  // one format an engine
        max_record = i == 0 ? w.on.stdin_max_record : std::min(max_record, w.on.stdin_max_record);
    }
    const std::string format = json ? "json" : "lines";
    if (req.contains("format") && req["format"] != format)
        return usage_error("the receiving workflows read '" + format + "' records, not '" +
                           req["format"].get<std::string>() + "'");
    Json reply{{"ok", true}, {"format", format}, {"max_record", max_record}};
    if (!req.contains("record")) return reply;
    fed = true;
    std::string text = req["record"].get<std::string>();
    const bool truncated = events::cut_record(text, max_record) || req.value("truncated", false);
    if (json && !truncated)
        if (auto why = events::json_record_error(text); !why.empty()) {
            error("weft emit: " + why + "; record skipped: " + text.substr(0, 80));
            reply["skipped"] = why;
            return reply;
        }
    const RowId ev = dispatch.fire(model::Event::stdin_line(text, json, now(), truncated), names);
    if (!ev) return {{"ok", false}, {"error", "the event could not be recorded"}};
    if (truncated)  // as for weft up's own stdin (SPEC §9.4)
        dispatch.announce(
            {{"type", "stdin"},
             {"event", ev},
             {"warning", true},
             {"message", "weft: warning: event " + std::to_string(ev) +
                             ": an emitted record longer than " + format_size(max_record) +
                             " (on.stdin.max-record, or what one request can "
                             "carry) was cut there"}});
    if (store.in_transaction())
        if (auto c = store.commit(); !c) {
            dispatch.write_failed("cannot record an emitted event: ", c.error());
            return {{"ok", false}, {"error", c.error().message}};
        }
    reply["event"] = ev;
    return reply;
}

void Up::Impl::maybe_finish() {
    if (dispatch.stopping() || fed || !in || !in->ended() || !only_stdin()) return;
    for (const auto& [n, a] : dispatch.workflows())
        if (a.running > 0) return;
    auto q = store.queued_count("");
    if (q && *q > 0) return;
    stop();
}

void Up::Impl::stop() {
    if (dispatch.stopping()) return;
    cfg.notify.send("STOPPING=1");
    watchdog.reset();
    status_timer.reset();
    dispatch.stop();
    disarm_all();
    if (in) in->close();
    hup.reset();
    reload_timer.reset();
    prune_timer.reset();
    keepalive.reset();
}

void Up::Impl::prune() {
    // The engine's write batch may be open (for up to its window, or by an
    // earlier timer of this loop pass): pruning inside it would make one long
    // transaction, the very thing Store::prune's short ones avoid. It is
    // committed first; a transaction still open is someone else's: try again.
    if (store.in_transaction() && engine) engine->commit();
    if (store.in_transaction()) {
        uv_timer_start(prune_timer.get(), &Impl::on_prune_timer, k_prune_retry_ms,
                       k_prune_every_ms);
        return;
    }
    const TimePoint t = now();
    for (const auto& [n, a] : dispatch.workflows()) {
        // Runs of this engine that have not ended are never pruned (Store::prune).
        auto r = store.prune(n, retention_of(a.w()), t, store::DryRun::no);
        if (!r)
            dispatch.write_failed("pruning old runs of '" + n + "': ", r.error());
        else if (!r->runs.empty())
            dispatch.announce(
                {{"type", "prune"},
                 {"workflow", n},
                 {"runs", r->runs.size()},
                 {"message", "pruned " + std::to_string(r->runs.size()) + " old run(s) of " + n}});
    }
}

}  // namespace weft::engine
