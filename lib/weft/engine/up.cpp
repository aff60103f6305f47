#include "weft/engine/up.hpp"

#include <sys/stat.h>
#include <unistd.h>
#include <uv.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>

#include "weft/cron/cron.hpp"
#include "weft/engine/resolve.hpp"
#include "weft/events/file_watch.hpp"
#include "weft/events/stdin_reader.hpp"
#include "weft/events/uv_handle.hpp"
#include "weft/events/wall_timer.hpp"
#include "weft/util/glob.hpp"
#include "weft/util/ignore.hpp"
#include "weft/util/strings.hpp"
#include "weft/util/time.hpp"

namespace weft::engine {

using Json = nlohmann::json;
using store::RowId;

using events::close_handle;

namespace {

// A timer wake-up this late still fires on time; older fires were missed
// (a clock jump, a suspend) and `catchup` decides, as for those missed while
// the engine was down.
constexpr auto k_on_time = std::chrono::seconds(1);
// The most missed fires of one schedule handled at once (`catchup: all`).
constexpr std::size_t k_max_catchup = 1000;
// The engine prunes every workflow's history as its `retention` says: a
// when it starts, then daily (SPEC §5).
constexpr std::uint64_t k_first_prune_ms = 0;
constexpr std::uint64_t k_prune_every_ms = 24ull * 3600 * 1000;
// Workflow files are re-read this long after the last change to them.
constexpr std::uint64_t k_reload_delay_ms = 150;

TimePoint now() {
    return std::chrono::time_point_cast<std::chrono::milliseconds>(
        std::chrono::system_clock::now());
}

bool has_wildcard(std::string_view s) {
    return s.find_first_of("*?[{") != std::string_view::npos;
}

// The directory a glob's matches all live under: its segments before the
// first with a wildcard ("src/**/*.c" -> "src"; "*.c" -> ".").
std::string glob_root(std::string pattern) {
    if (pattern.rfind("./", 0) == 0) pattern.erase(0, 2);
    std::string root;
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = pattern.find('/', start);
        const std::string seg =
            pattern.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
        if (slash == std::string::npos || has_wildcard(seg)) break;
        root += (root.empty() ? "" : "/") + seg;
        start = slash + 1;
    }
    // Up to a directory that exists: watching it sees the rest appear.
    while (!root.empty()) {
        struct stat st {};
        if (::stat(root.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return root;
        const auto slash = root.rfind('/');
        root = slash == std::string::npos ? "" : root.substr(0, slash);
    }
    return ".";
}

bool under(const std::string& path, const std::string& dir) {
    return dir == "." || path == dir ||
           (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
            path[dir.size()] == '/');
}

std::optional<model::RunStatus> run_status(store::RunState s) {
    switch (s) {
        case store::RunState::success:
            return model::RunStatus::success;
        case store::RunState::failure:
            return model::RunStatus::failure;
        case store::RunState::cancelled:
            return model::RunStatus::cancelled;
        default:
            return std::nullopt;
    }
}

// Param values as resolve_params takes them: strings as they are, anything
// else as its JSON text.
std::vector<std::pair<std::string, std::string>> param_pairs(const Json& params) {
    std::vector<std::pair<std::string, std::string>> out;
    for (const auto& [k, v] : params.items())
        out.emplace_back(k, v.is_string() ? v.get<std::string>()
                                          : v.dump(-1, ' ', false, Json::error_handler_t::replace));
    return out;
}

std::string entry_key(const model::ScheduleEntry& e) {
    return *e.cron + (e.timezone.empty() ? "" : " " + e.timezone);
}

}  // namespace

// One armed workflow.
struct Armed {
    Up::Impl* up = nullptr;
    WorkflowPtr wf;
    const model::Workflow& w() const { return *wf->loaded.workflow; }
    bool removed = false;  // its file went away; kept while its runs end
    int running = 0;
    std::set<RowId> runs;
    // The file trigger's debounce window: each path with the kinds seen.
    std::map<std::string, std::set<model::FileEvent>> pending;
    std::map<std::string, model::FileEvent> first_kind;
    uv_timer_t* debounce = nullptr;
    struct Cron {
        std::string key;
        cron::Schedule sched;
        const date::time_zone* zone = nullptr;
        TimePoint last{};
        std::optional<TimePoint> next;
    };
    std::vector<Cron> crons;
    std::vector<uv_timer_t*> every;
};

struct Up::Impl {
    store::Store& store;
    UpConfig cfg;
    Engine* engine = nullptr;
    uv_loop_t* loop = nullptr;
    std::map<std::string, Armed> wfs;  // by name
    std::map<std::string, WorkflowPtr> by_file;
    std::unique_ptr<events::FileWatcher> files;
    std::unique_ptr<events::FileWatcher> defs;  // the workflow files themselves
    std::unique_ptr<events::WallTimer> wall;
    std::unique_ptr<events::StdinReader> in;
    uv_signal_t* hup = nullptr;
    uv_timer_t* reload_timer = nullptr;
    uv_timer_t* prune_timer = nullptr;
    IgnoreFiles ignore;
    std::string state_rel;  // the state directory relative to the working directory, if under it
    std::set<std::string> state_files;  // the database's files, relative likewise
    bool is_state(const std::string& path) const {
        return (!state_rel.empty() && under(path, state_rel)) || state_files.count(path) > 0;
    }
    bool stopping = false;
    bool stdin_armed = false, stdin_ended = false;
    TimePoint started = now();

    Impl(store::Store& s, UpConfig c) : store(s), cfg(std::move(c)) {}

    void announce(Json j) {
        if (cfg.announce) cfg.announce(j);
    }
    void error(const std::string& msg) { announce({{"type", "error"}, {"message", msg}}); }
    // A write failed: reported; when the database itself failed (a full
    // disk), the engine stops as for its own writes.
    void write_failed(const std::string& what, const Error& e) {
        if (e.code == Errc::state && engine)
            engine->fail_store(Error{e.code, what + e.message});
        else
            error(what + e.message);
    }

    // --- loading
    std::optional<std::map<std::string, WorkflowPtr>> load_set(bool initial);
    void reload();

    // --- arming
    Result<void> arm_all();
    void disarm_all();
    Result<void> arm_files();
    void arm_schedules();
    void arm_wall();
    void on_wall(bool clock_changed);
    void fire_cron(Armed& a, Armed::Cron& c, TimePoint upto, Duration on_time);
    void on_files(std::vector<events::FileChange> changes, bool overflow);
    void flush_files(Armed& a);
    void fire_every(Armed& a, Duration every);

    // --- events and the queue
    // Open the transaction the engine commits before its loop blocks (and
    // before it creates a run), unless one is open; false if that failed.
    bool open_writes() {
        if (store.in_transaction()) return true;
        auto b = store.begin();
        if (!b) write_failed("", b.error());
        return b.ok();
    }
    RowId record(const std::string& kind, Json payload, TimePoint t);
    void offer(Armed& a, RowId event, const Json& params);
    void dispatch(Armed& a);
    void dispatch_all() {
        for (auto& [n, a] : wfs) dispatch(a);
    }
    void maybe_finish();
    void stop();
    void prune();
    bool only_stdin() const;
};

Up::Up(store::Store& store, UpConfig config)
    : m(std::make_unique<Impl>(store, std::move(config))) {}
Up::~Up() {
    m->disarm_all();
    close_handle(m->hup);
    close_handle(m->reload_timer);
    close_handle(m->prune_timer);
    m->in.reset();
}

Result<std::vector<std::string>> workflow_files(const std::vector<std::string>& paths) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<std::string> here;
            for (const auto& e : fs::directory_iterator(p, ec)) {
                const auto ext = e.path().extension().string();
                if ((ext == ".yaml" || ext == ".yml") && e.is_regular_file(ec))
                    here.push_back(e.path().lexically_normal().string());
            }
            std::sort(here.begin(), here.end());
            out.insert(out.end(), here.begin(), here.end());
        } else if (fs::exists(p, ec)) {
            out.push_back(fs::path(p).lexically_normal().string());
        } else {
            return make_error(Errc::invalid, p + ": no such file or directory");
        }
    }
    return out;
}

std::vector<std::string> check_workflow_set(const std::vector<WorkflowPtr>& workflows) {
    std::vector<std::string> problems;
    std::map<std::string, const model::Workflow*> by_name;
    for (const auto& p : workflows) {
        const auto& w = *p->loaded.workflow;
        auto [it, fresh] = by_name.emplace(w.name, &w);
        if (!fresh)
            problems.push_back("two workflows are named '" + w.name + "': " + it->second->file +
                               " and " + w.file);
    }
    // A cycle of workflow triggers: W listens for V's end when V is in W's names.
    std::map<std::string, int> mark;  // 0 new, 1 on the path, 2 done
    std::vector<std::string> path;
    std::function<bool(const std::string&)> visit = [&](const std::string& n) -> bool {
        mark[n] = 1;
        path.push_back(n);
        const auto it = by_name.find(n);
        if (it != by_name.end() && it->second->on.workflow)
            for (const auto& up : it->second->on.workflow->names) {
                if (!by_name.count(up)) continue;
                if (mark[up] == 1) {
                    const auto from = std::find(path.begin(), path.end(), up);
                    std::string cycle;
                    for (auto i = from; i != path.end(); ++i) cycle += *i + " <- ";
                    problems.push_back("a cycle of workflow triggers: " + cycle + up +
                                       " (each starts when the one after it ends)");
                    return true;
                }
                if (mark[up] == 0 && visit(up)) return true;
            }
        path.pop_back();
        mark[n] = 2;
        return false;
    };
    for (const auto& [n, w] : by_name)
        if (mark[n] == 0 && visit(n)) break;
    return problems;
}

std::vector<TimePoint> next_cron_fires(const model::Workflow& wf, TimePoint after,
                                       std::size_t count) {
    std::vector<TimePoint> out;
    for (const auto& e : wf.on.schedule) {
        if (!e.cron) continue;
        auto s = cron::parse(*e.cron);
        auto z = cron::find_zone(e.timezone);
        if (!s || !z) continue;
        for (auto t :
             cron::next_fires(*s, *z, std::chrono::floor<std::chrono::seconds>(after), count))
            out.push_back(t);
    }
    std::sort(out.begin(), out.end());
    if (out.size() > count) out.resize(count);
    return out;
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
    auto files_r = workflow_files(cfg.paths);
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
            announce({{"type", "reload"},
                      {"file", f},
                      {"message", "invalid edit; the previous version stays armed"}});
            next_by_file[f] = old->second;
        }
    }
    if (!ok) return std::nullopt;
    std::vector<WorkflowPtr> all;
    for (const auto& [f, w] : next_by_file) all.push_back(w);
    if (auto problems = check_workflow_set(all); !problems.empty()) {
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
    for (const auto& [f, w] : m->by_file) {
        auto& a = m->wfs[w->loaded.workflow->name];
        a.up = m.get();
        a.wf = w;
    }
    return true;
}

void Up::Impl::reload() {
    if (stopping) return;
    auto set = load_set(false);
    if (!set) return;
    disarm_all();
    by_file = std::move(*set);
    std::set<std::string> names;
    for (const auto& [f, w] : by_file) {
        const auto& name = w->loaded.workflow->name;
        names.insert(name);
        auto& a = wfs[name];
        a.up = this;
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
    announce({{"type", "reload"}, {"workflows", names.size()}});
    if (auto r = arm_all(); !r) error(r.error().message);
    dispatch_all();
}

// --- arming ----------------------------------------------------------------

bool Up::Impl::only_stdin() const {
    for (const auto& [n, a] : wfs)
        if (!a.removed && (a.w().on.file || !a.w().on.schedule.empty())) return false;
    return true;
}

Result<void> Up::Impl::arm_all() {
    if (auto r = arm_files(); !r) return r;
    arm_schedules();
    // Workflow definitions: a file edited, added or deleted is re-read.
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
        loop, roots, only_roots, [this](std::vector<events::FileChange> ch, bool overflow) {
            bool relevant = overflow;
            for (const auto& c : ch) {
                const auto ext = std::filesystem::path(c.path).extension().string();
                relevant = relevant || ext == ".yaml" || ext == ".yml";
            }
            if (relevant && reload_timer)
                uv_timer_start(
                    reload_timer, [](uv_timer_t* h) { static_cast<Impl*>(h->data)->reload(); },
                    k_reload_delay_ms, 0);
        });
    if (watcher) defs = std::move(*watcher);
    return {};
}

void Up::Impl::disarm_all() {
    files.reset();
    defs.reset();
    wall.reset();
    for (auto& [n, a] : wfs) {
        close_handle(a.debounce);
        a.pending.clear();
        a.first_kind.clear();
        for (auto*& t : a.every) close_handle(t);
        a.every.clear();
        a.crons.clear();
    }
}

Result<void> Up::Impl::arm_files() {
    std::vector<std::string> roots;
    bool all_gitignore = true, any = false;
    for (const auto& [n, a] : wfs) {
        if (a.removed || !a.w().on.file) continue;
        any = true;
        all_gitignore = all_gitignore && a.w().on.file->gitignore;
        for (const auto& p : a.w().on.file->paths) roots.push_back(glob_root(p));
    }
    if (!any) return {};
    std::sort(roots.begin(), roots.end());
    std::vector<std::string> kept;  // no root under another
    for (const auto& r : roots)
        if (std::none_of(kept.begin(), kept.end(),
                         [&](const std::string& k) { return under(r, k); }))
            kept.push_back(r);
    ignore.clear();
    auto skip = [this, all_gitignore](const std::string& dir) {
        if (!state_rel.empty() && under(dir, state_rel)) return true;
        const auto slash = dir.rfind('/');
        if ((slash == std::string::npos ? dir : dir.substr(slash + 1)) == ".git") return true;
        return all_gitignore && dir != "." && ignore.ignored(dir, true);
    };
    auto w = events::FileWatcher::start(loop, kept, skip,
                                        [this](std::vector<events::FileChange> ch, bool overflow) {
                                            on_files(std::move(ch), overflow);
                                        });
    if (!w) return w.error();
    files = std::move(*w);
    return {};
}

void Up::Impl::on_files(std::vector<events::FileChange> changes, bool overflow) {
    if (stopping) return;
    if (overflow) {
        // The kernel dropped events: one event per file-triggered workflow,
        // marked as a rescan, so no change is silently lost.
        for (auto& [n, a] : wfs) {
            if (a.removed || !a.w().on.file) continue;
            const TimePoint t = now();
            const RowId ev = record("file",
                                    {{"kind", "file"},
                                     {"paths", Json::array()},
                                     {"rescan", true},
                                     {"time", format_rfc3339(t)}},
                                    t);
            if (ev) offer(a, ev, Json::object());
        }
        return;
    }
    for (const auto& c : changes) {
        const auto slash = c.path.rfind('/');
        const std::string base = slash == std::string::npos ? c.path : c.path.substr(slash + 1);
        if (base == ".gitignore" || base == ".ignore") ignore.clear();
    }
    for (auto& [n, a] : wfs) {
        if (a.removed || !a.w().on.file) continue;
        const auto& ft = *a.w().on.file;
        for (const auto& c : changes) {
            if (is_state(c.path)) continue;
            if (std::none_of(ft.paths.begin(), ft.paths.end(),
                             [&](const std::string& g) { return glob_match(g, c.path); }))
                continue;
            if (std::any_of(ft.ignore.begin(), ft.ignore.end(),
                            [&](const std::string& g) { return glob_match(g, c.path); }))
                continue;
            if (ft.gitignore && ignore.ignored(c.path, false)) continue;
            // What a step of this workflow generates never retriggers it.
            bool generated = false;
            for (const auto& s : a.w().steps)
                for (const auto& g : s.generates) generated = generated || glob_match(g, c.path);
            if (generated) continue;
            a.first_kind.emplace(c.path, c.kind);
            a.pending[c.path].insert(c.kind);
        }
        if (!a.pending.empty() && !a.debounce) {
            a.debounce = new uv_timer_t;
            uv_timer_init(loop, a.debounce);
            a.debounce->data = &a;
        }
        if (!a.pending.empty() && !uv_is_active(reinterpret_cast<uv_handle_t*>(a.debounce))) {
            // The window opens at the first change: a stream of saves still
            // gives a run every window, never none.
            uv_timer_start(
                a.debounce,
                [](uv_timer_t* h) {
                    auto* arm = static_cast<Armed*>(h->data);
                    arm->up->flush_files(*arm);
                },
                static_cast<std::uint64_t>(std::max<long long>(ft.debounce.count(), 1)), 0);
        }
    }
}

void Up::Impl::flush_files(Armed& a) {
    if (stopping || a.removed || !a.w().on.file) return;
    const auto& ft = *a.w().on.file;
    std::vector<std::string> paths;
    for (const auto& [path, kinds] : a.pending) {
        struct stat st {};
        const bool exists = ::lstat(path.c_str(), &st) == 0;
        const auto first = a.first_kind.at(path);
        // Made and gone within the window (an editor's temp file): nothing happened.
        if (!exists && first == model::FileEvent::create) continue;
        const model::FileEvent kind =
            exists ? (first == model::FileEvent::create ? model::FileEvent::create
                                                        : model::FileEvent::modify)
                   : (kinds.count(model::FileEvent::move) ? model::FileEvent::move
                                                          : model::FileEvent::remove);
        if (std::find(ft.events.begin(), ft.events.end(), kind) != ft.events.end())
            paths.push_back(path);
    }
    a.pending.clear();
    a.first_kind.clear();
    if (paths.empty()) return;
    // New changes merge into a run already queued for the workflow: fifty
    // saves during a build give one more build, not fifty.
    if (auto q = store.queued(a.w().name, 0); q) {
        for (auto it = q->rbegin(); it != q->rend(); ++it) {
            auto ev = store.get_event(it->event_id);
            if (!ev || !*ev || (*ev)->kind != "file") continue;
            Json payload = (*ev)->payload;
            std::set<std::string> merged;
            for (const auto& p : payload.value("paths", Json::array()))
                if (p.is_string()) merged.insert(p.get<std::string>());
            merged.insert(paths.begin(), paths.end());
            payload["paths"] = std::vector<std::string>(merged.begin(), merged.end());
            open_writes();
            if (auto r = store.set_event_payload(it->event_id, payload); !r)
                write_failed("", r.error());
            announce({{"type", "event"},
                      {"id", it->event_id},
                      {"kind", "file"},
                      {"merged", true},
                      {"paths", paths},
                      {"workflows", {a.w().name}}});
            return;
        }
    }
    const TimePoint t = now();
    const RowId ev =
        record("file", {{"kind", "file"}, {"paths", paths}, {"time", format_rfc3339(t)}}, t);
    if (!ev) return;
    announce({{"type", "event"},
              {"id", ev},
              {"kind", "file"},
              {"paths", paths},
              {"workflows", {a.w().name}}});
    offer(a, ev, Json::object());
}

void Up::Impl::fire_every(Armed& a, Duration every) {
    if (stopping || a.removed) return;
    const TimePoint t = now();
    const RowId ev = record(
        "schedule",
        {{"kind", "schedule"}, {"every", format_duration(every)}, {"time", format_rfc3339(t)}}, t);
    if (!ev) return;
    announce({{"type", "event"},
              {"id", ev},
              {"kind", "schedule"},
              {"every", format_duration(every)},
              {"workflows", {a.w().name}}});
    offer(a, ev, Json::object());
}

void Up::Impl::arm_schedules() {
    const TimePoint t = now();
    for (auto& [n, a] : wfs) {
        if (a.removed) continue;
        for (const auto& e : a.w().on.schedule) {
            if (e.every) {
                auto* timer = new uv_timer_t;
                uv_timer_init(loop, timer);
                timer->data = &a;
                const auto ms =
                    static_cast<std::uint64_t>(std::max<long long>(e.every->count(), 1));
                uv_timer_start(
                    timer,
                    [](uv_timer_t* h) {
                        auto* arm = static_cast<Armed*>(h->data);
                        arm->up->fire_every(
                            *arm, Duration(static_cast<long long>(uv_timer_get_repeat(h))));
                    },
                    ms, ms);
                a.every.push_back(timer);
                continue;
            }
            Armed::Cron c;
            c.key = entry_key(e);
            auto s = cron::parse(*e.cron);
            auto z = cron::find_zone(e.timezone);
            if (!s || !z) continue;  // the loader checked both
            c.sched = *s;
            c.zone = *z;
            auto last = store.last_fire(a.w().name, c.key);
            if (!last) {
                error(last.error().message);
                continue;
            }
            if (*last) {
                c.last = **last;
            } else {  // armed for the first time: nothing was missed
                c.last = t;
                open_writes();
                if (auto r = store.set_last_fire(a.w().name, c.key, t); !r)
                    write_failed("", r.error());
            }
            a.crons.push_back(std::move(c));
            fire_cron(a, a.crons.back(), t, Duration(0));  // at start, every past fire was missed
        }
    }
    arm_wall();
}

// Handle the fires of `c` after its last one up to `upto`: on-time ones
// fire; missed ones (downtime, a clock jump) as the workflow's `catchup` says.
CronPlan plan_cron(const cron::Schedule& sched, const date::time_zone* zone, model::Catchup catchup,
                   TimePoint last, TimePoint now, Duration on_time) {
    using std::chrono::floor;
    using std::chrono::seconds;
    CronPlan plan;
    // The fires in (last, now], newest last, but only as many as catch-up can
    // use: the window looks back from `now` and doubles until it holds
    // enough or reaches `last`, so a year of downtime of a per-second cron
    // costs a few thousand steps, not 31 million.
    const std::size_t wanted = catchup == model::Catchup::all ? k_max_catchup : 1;
    std::vector<TimePoint> due;
    for (Duration back = std::chrono::minutes(1);; back *= 2) {
        const TimePoint from = std::max(last, now - back);
        due.clear();
        for (auto f = cron::next_fire(sched, zone, floor<seconds>(from)); f && TimePoint(*f) <= now;
             f = cron::next_fire(sched, zone, *f)) {
            due.push_back(*f);
            if (due.size() > 2 * k_max_catchup)
                due.erase(due.begin(), due.begin() + static_cast<long>(k_max_catchup));
        }
        std::size_t missed = 0;
        for (auto f : due) missed += now - f > on_time ? 1 : 0;
        if (from == last || missed >= wanted) break;
    }
    std::vector<TimePoint> on_time_fires, missed;
    for (auto f : due) (now - f <= on_time ? on_time_fires : missed).push_back(f);
    if (missed.size() > k_max_catchup)
        missed.erase(missed.begin(), missed.end() - static_cast<long>(k_max_catchup));
    switch (catchup) {
        case model::Catchup::none:
            break;
        case model::Catchup::latest:
            if (!missed.empty()) plan.fires.push_back({missed.back(), true});
            break;
        case model::Catchup::all:
            for (auto f : missed) plan.fires.push_back({f, true});
            break;
    }
    for (auto f : on_time_fires) plan.fires.push_back({f, false});
    if (!due.empty()) plan.last = due.back();
    // After a backward clock jump `last` is ahead of the clock: an instant
    // already fired never fires twice.
    const TimePoint from = std::max(now, plan.last.value_or(last));
    if (auto n = cron::next_fire(sched, zone, floor<seconds>(from))) plan.next = TimePoint(*n);
    return plan;
}

void Up::Impl::fire_cron(Armed& a, Armed::Cron& c, TimePoint upto, Duration on_time) {
    const CronPlan plan = plan_cron(c.sched, c.zone, a.w().catchup, c.last, upto, on_time);
    for (const auto& [f, late] : plan.fires) {
        Json payload = {{"kind", "schedule"}, {"cron", c.key}, {"time", format_rfc3339(f)}};
        if (late) payload["late"] = true;
        const RowId ev = record("schedule", payload, f);
        if (!ev) return;
        announce({{"type", "event"},
                  {"id", ev},
                  {"kind", "schedule"},
                  {"cron", c.key},
                  {"time", format_rfc3339(f)},
                  {"workflows", {a.w().name}}});
        offer(a, ev, Json::object());
    }
    if (plan.last) {
        c.last = *plan.last;
        open_writes();
        if (auto r = store.set_last_fire(a.w().name, c.key, c.last); !r)
            write_failed("", r.error());
    }
    c.next = plan.next;
}

void Up::Impl::arm_wall() {
    std::optional<TimePoint> soonest;
    for (auto& [n, a] : wfs)
        for (auto& c : a.crons)
            if (c.next && (!soonest || *c.next < *soonest)) soonest = c.next;
    if (!soonest) {
        wall.reset();
        return;
    }
    if (!wall) {
        auto w = events::WallTimer::create(loop, [this](bool changed) { on_wall(changed); });
        if (!w) {
            error(w.error().message);
            return;
        }
        wall = std::move(*w);
    }
    wall->arm(*soonest);
}

void Up::Impl::on_wall(bool clock_changed) {
    if (stopping) return;
    const TimePoint t = now();
    if (clock_changed)
        announce(
            {{"type", "clock"}, {"message", "the system clock changed; schedules recomputed"}});
    for (auto& [n, a] : wfs)
        for (auto& c : a.crons)
            if (clock_changed || (c.next && *c.next <= t)) fire_cron(a, c, t, k_on_time);
    arm_wall();
}

// --- events and the queue ----------------------------------------------------

RowId Up::Impl::record(const std::string& kind, Json payload, TimePoint t) {
    // Events are facts: in the database before anything acts on them. The
    // engine commits the open transaction before its loop blocks, and before
    // a run is created.
    if (!open_writes()) return 0;
    auto id = store.add_event(kind, payload, t);
    if (!id) {
        write_failed("cannot record a " + kind + " event: ", id.error());
        return 0;
    }
    return *id;
}

void Up::Impl::offer(Armed& a, RowId event, const Json& params) {
    const auto& c = a.w().concurrency;
    if (a.running >= c.limit) {
        if (c.on_busy == model::OnBusy::skip) {
            announce({{"type", "skip"},
                      {"event", event},
                      {"workflow", a.w().name},
                      {"message", "skipped: " + std::to_string(a.running) +
                                      " run(s) already running (on-busy: skip)"}});
            return;
        }
        if (c.on_busy == model::OnBusy::cancel_running)
            for (RowId r : a.runs)
                engine->cancel(r, "cancelled by a newer event (on-busy: cancel-running)");
    }
    open_writes();
    if (auto q = store.enqueue(a.w().name, event, params); !q) {
        write_failed("cannot queue event " + std::to_string(event) + ": ", q.error());
        return;
    }
    if (c.max_queued) {
        auto n = store.queued_count(a.w().name);
        // The oldest waiting events give way to the newest.
        for (std::int64_t extra = n ? *n - *c.max_queued : 0; extra > 0; --extra) {
            auto oldest = store.queued(a.w().name, 1);
            if (!oldest || oldest->empty()) break;
            if (auto d = store.dequeue(oldest->front().id); !d) return write_failed("", d.error());
            announce({{"type", "skip"},
                      {"event", oldest->front().event_id},
                      {"workflow", a.w().name},
                      {"message", "dropped from the queue (max-queued: " +
                                      std::to_string(*c.max_queued) + ")"}});
        }
    }
    dispatch(a);
}

void Up::Impl::dispatch(Armed& a) {
    if (stopping || !engine) return;
    while (!stopping && a.running < a.w().concurrency.limit) {
        auto q = store.queued(a.w().name, 1);
        if (!q) {
            error(q.error().message);
            return;
        }
        if (q->empty()) return;
        const auto entry = q->front();
        auto ev = store.get_event(entry.event_id);
        Json event = ev && *ev ? (*ev)->payload : Json::object();
        if (ev && *ev) {
            event["kind"] = (*ev)->kind;
            if (!event.contains("time")) event["time"] = format_rfc3339((*ev)->time);
        }
        auto params = resolve_params(a.w(), param_pairs(entry.params));
        Result<RowId> run = params ? Result<RowId>(RowId{0}) : Result<RowId>(params.error());
        if (params) {
            RunRequest req;
            req.workflow = a.wf;
            req.params = *params;
            req.event_id = entry.event_id;
            req.event = event;
            req.dequeue = entry.id;
            run = engine->start(std::move(req));
        }
        if (!run && run.error().code == Errc::state)
            return;  // the store failed: the entry stays queued
        if (!run) {
            // It can never start: drop it rather than retry forever.
            open_writes();
            if (auto d = store.dequeue(entry.id); !d && d.error().code == Errc::state)
                return write_failed("", d.error());
            error("event " + std::to_string(entry.event_id) + " cannot start workflow '" +
                  a.w().name + "': " + run.error().message);
            continue;
        }
        ++a.running;
        a.runs.insert(*run);
    }
}

void Up::Impl::maybe_finish() {
    if (stopping || !stdin_ended || !only_stdin()) return;
    for (const auto& [n, a] : wfs)
        if (a.running > 0) return;
    auto q = store.queued_count("");
    if (q && *q > 0) return;
    stop();
}

void Up::Impl::stop() {
    if (stopping) return;
    stopping = true;
    disarm_all();
    in.reset();
    close_handle(hup);
    close_handle(reload_timer);
    close_handle(prune_timer);
}

void Up::Impl::prune() {
    const TimePoint t = now();
    for (const auto& [n, a] : wfs) {
        // Runs of this engine that have not ended are never pruned (Store::prune).
        auto r = store.prune(n, retention_of(a.w()), t, store::DryRun::no);
        if (!r)
            write_failed("pruning old runs of '" + n + "': ", r.error());
        else if (!r->runs.empty())
            announce(
                {{"type", "prune"},
                 {"workflow", n},
                 {"runs", r->runs.size()},
                 {"message", "pruned " + std::to_string(r->runs.size()) + " old run(s) of " + n}});
    }
}

Result<void> Up::arm(Engine& engine) {
    auto& s = *m;
    s.engine = &engine;
    s.loop = engine.loop();
    std::error_code ec;
    const auto cwd = std::filesystem::current_path(ec);
    auto relative = [&](const std::string& p) {
        const auto r =
            std::filesystem::absolute(p, ec).lexically_normal().lexically_relative(cwd).string();
        return r.empty() || r.rfind("..", 0) == 0 ? std::string() : r;
    };
    s.state_rel = relative(s.cfg.state_dir);
    if (!s.cfg.state_path.empty())
        for (const char* suffix : {"", "-wal", "-shm", "-journal"})
            if (auto r = relative(s.cfg.state_path + suffix); !r.empty()) s.state_files.insert(r);
    s.reload_timer = new uv_timer_t;
    uv_timer_init(s.loop, s.reload_timer);
    s.reload_timer->data = m.get();
    s.hup = new uv_signal_t;
    uv_signal_init(s.loop, s.hup);
    s.hup->data = m.get();
    uv_signal_start(
        s.hup, [](uv_signal_t* h, int) { static_cast<Impl*>(h->data)->reload(); }, SIGHUP);
    uv_unref(reinterpret_cast<uv_handle_t*>(s.hup));
    s.prune_timer = new uv_timer_t;
    uv_timer_init(s.loop, s.prune_timer);
    s.prune_timer->data = m.get();
    uv_timer_start(
        s.prune_timer, [](uv_timer_t* h) { static_cast<Impl*>(h->data)->prune(); },
        k_first_prune_ms, k_prune_every_ms);
    uv_unref(reinterpret_cast<uv_handle_t*>(s.prune_timer));  // never what keeps the engine up
    if (auto r = s.arm_all(); !r) return r;
    // Stdin: every workflow that declares it gets each record.
    std::optional<model::StdinFormat> format;
    for (const auto& [n, a] : s.wfs) {
        if (!a.w().on.stdin_format) continue;
        if (format && *format != *a.w().on.stdin_format)
            return make_error(Errc::invalid,
                              "workflows disagree on the stdin format ('lines' and 'json'); one "
                              "engine reads one stdin");
        format = a.w().on.stdin_format;
    }
    if (format) {
        s.stdin_armed = true;
        s.in = std::make_unique<events::StdinReader>(
            s.loop, 0, *format,
            [this, format](std::string text, std::string err) {
                auto& self = *m;
                if (self.stopping) return;
                if (!err.empty()) {
                    self.error("stdin: " + err + "; record skipped: " + text.substr(0, 80));
                    return;
                }
                const TimePoint t = now();
                Json payload = {{"kind", "stdin"}, {"line", text}, {"time", format_rfc3339(t)}};
                if (*format == model::StdinFormat::json)
                    payload["json"] = Json::parse(text, nullptr, false);
                const RowId ev = self.record("stdin", payload, t);
                if (!ev) return;
                for (auto& [n, a] : self.wfs)
                    if (!a.removed && a.w().on.stdin_format) self.offer(a, ev, Json::object());
            },
            [this] {
                m->stdin_ended = true;
                m->announce({{"type", "stdin"}, {"message", "end of input"}});
                m->maybe_finish();
            });
    }
    s.dispatch_all();  // what waited in the database since the last stop
    return {};
}

void Up::on_signal(int) {
    m->stop();
}

std::optional<Json> Up::on_request(const Json& req) {
    auto& s = *m;
    const std::string op = req.value("op", "");
    if (op == "trigger") {
        const std::string name = req.value("workflow", "");
        auto it = s.wfs.find(name);
        if (it == s.wfs.end() || it->second.removed) {
            std::vector<std::string> names;
            for (const auto& [n, a] : s.wfs) names.push_back(n);
            return Json{
                {"ok", false},
                {"usage", true},
                {"error", with_suggestion("no workflow '" + name + "' is armed", name, names)}};
        }
        if (s.stopping) return Json{{"ok", false}, {"error", "the engine is stopping"}};
        auto& a = it->second;
        const Json params = req.value("params", Json::object());
        auto resolved = resolve_params(a.w(), param_pairs(params));
        if (!resolved)
            return Json{{"ok", false}, {"usage", true}, {"error", resolved.error().message}};
        Json shown = params;
        for (const auto& p : a.w().params)
            if (p.secret && shown.contains(p.name)) shown[p.name] = "***";
        const TimePoint t = now();
        const RowId ev = s.record(
            "manual", {{"kind", "manual"}, {"params", shown}, {"time", format_rfc3339(t)}}, t);
        if (!ev) return Json{{"ok", false}, {"error", "cannot record the event"}};
        s.announce({{"type", "event"}, {"id", ev}, {"kind", "manual"}, {"workflows", {name}}});
        s.offer(a, ev, params);
        return Json{{"ok", true}, {"event", ev}, {"workflow", name}};
    }
    if (op == "status") {
        Json wfs = Json::array();
        const TimePoint t = now();
        for (const auto& [n, a] : s.wfs) {
            Json next = Json::array();
            for (const auto& c : a.crons)
                if (c.next) next.push_back(format_rfc3339(*c.next));
            auto q = s.store.queued_count(n);
            wfs.push_back({{"name", n},
                           {"file", a.w().file},
                           {"triggers", describe_triggers(a.w())},
                           {"running", a.running},
                           {"runs", std::vector<RowId>(a.runs.begin(), a.runs.end())},
                           {"queued", q ? *q : -1},
                           {"next", next},
                           {"removed", a.removed}});
        }
        auto q = s.store.queued_count("");
        return Json{{"ok", true},
                    {"pid", ::getpid()},
                    {"started", format_rfc3339(s.started)},
                    {"uptime_ms",
                     std::chrono::duration_cast<std::chrono::milliseconds>(t - s.started).count()},
                    {"queued", q ? *q : -1},
                    {"stdin", s.stdin_armed ? (s.stdin_ended ? "ended" : "reading") : "none"},
                    {"workflows", wfs}};
    }
    return std::nullopt;
}

void Up::on_run_end(RowId run, const std::string& workflow, store::RunState status) {
    auto& s = *m;
    auto it = s.wfs.find(workflow);
    if (it != s.wfs.end() && it->second.runs.erase(run)) {
        --it->second.running;
        if (it->second.removed && it->second.running == 0) s.wfs.erase(it);
    }
    // Workflow triggers: chains and fan-in.
    if (auto st = run_status(status); st && !s.stopping) {
        std::vector<std::string> targets;
        for (auto& [n, a] : s.wfs)
            if (!a.removed && a.w().on.workflow) {
                const auto& wt = *a.w().on.workflow;
                if (std::find(wt.names.begin(), wt.names.end(), workflow) != wt.names.end() &&
                    std::find(wt.statuses.begin(), wt.statuses.end(), *st) != wt.statuses.end())
                    targets.push_back(n);
            }
        if (!targets.empty()) {
            const TimePoint t = now();
            const RowId ev = s.record("workflow",
                                      {{"kind", "workflow"},
                                       {"workflow", workflow},
                                       {"run", run},
                                       {"status", model::to_string(*st)},
                                       {"time", format_rfc3339(t)}},
                                      t);
            if (ev) {
                s.announce({{"type", "event"},
                            {"id", ev},
                            {"kind", "workflow"},
                            {"after", workflow},
                            {"workflows", targets}});
                for (const auto& n : targets) s.offer(s.wfs.at(n), ev, Json::object());
            }
        }
    }
    s.dispatch_all();
    s.maybe_finish();
}

}  // namespace weft::engine
