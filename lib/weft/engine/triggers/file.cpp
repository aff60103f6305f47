#include "weft/engine/triggers/file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "weft/util/glob.hpp"
#include "weft/util/time.hpp"

namespace weft::engine {

namespace {

// A `generates` pattern as the file trigger reads it: each `${{ }}` (rendered
// per run, SPEC §9.1) stands for `*`.
std::string generates_glob(const std::string& pattern) {
    std::string out;
    std::size_t i = 0;
    while (i < pattern.size()) {
        const std::size_t open = pattern.find("${{", i);
        const std::size_t close = open == std::string::npos ? open : pattern.find("}}", open + 3);
        if (close == std::string::npos) break;
        out.append(pattern, i, open - i).push_back('*');
        i = close + 2;
    }
    return out.append(pattern, i);
}

// Events in a row made only of changes during runs before the watch-loop warning.
constexpr int k_loop_events = 3;

}  // namespace

std::string glob_prefix(std::string pattern) {
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
    return root;
}

std::string glob_root(std::string pattern) {
    std::string root = glob_prefix(std::move(pattern));
    // Up to a directory that exists: watching it sees the rest appear.
    while (!root.empty()) {
        struct stat st {};
        if (::stat(root.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return root;
        const auto slash = root.rfind('/');
        root = slash == std::string::npos ? "" : root.substr(0, slash);
    }
    return ".";
}

bool path_under(const std::string& path, const std::string& dir) {
    return dir == "." || path == dir ||
           (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
            path[dir.size()] == '/');
}

FileTrigger::FileTrigger(Dispatch& dispatch, uv_loop_t* loop, const std::string& state_dir,
                         const std::string& state_path)
    : m_dispatch(dispatch), m_loop(loop) {
    std::error_code ec;
    const auto cwd = std::filesystem::current_path(ec);
    auto relative = [&](const std::string& p) {
        const auto r =
            std::filesystem::absolute(p, ec).lexically_normal().lexically_relative(cwd).string();
        return r.empty() || r.rfind("..", 0) == 0 ? std::string() : r;
    };
    m_state_rel = relative(state_dir);
    if (!state_path.empty())
        for (const char* suffix : {"", "-wal", "-shm", "-journal"})
            if (auto r = relative(state_path + suffix); !r.empty()) m_state_files.insert(r);
}

bool FileTrigger::is_state(const std::string& path) const {
    return (!m_state_rel.empty() && path_under(path, m_state_rel)) || m_state_files.count(path) > 0;
}

Result<void> FileTrigger::arm() {
    std::vector<std::string> roots;
    bool all_gitignore = true, any = false;
    for (const auto& [n, a] : m_dispatch.workflows()) {
        if (a.removed || !a.w().on.file) continue;
        any = true;
        all_gitignore = all_gitignore && a.w().on.file->gitignore;
        warn_missing_prefixes(a);
        for (const auto& p : a.w().on.file->paths) roots.push_back(glob_root(p));
    }
    if (!any) return {};
    std::sort(roots.begin(), roots.end());
    std::vector<std::string> kept;  // no root under another
    for (const auto& r : roots)
        if (std::none_of(kept.begin(), kept.end(),
                         [&](const std::string& k) { return path_under(r, k); }))
            kept.push_back(r);
    m_ignore.clear();
    auto skip = [this, all_gitignore](const std::string& dir) {
        if (!m_state_rel.empty() && path_under(dir, m_state_rel)) return true;
        const auto slash = dir.rfind('/');
        if ((slash == std::string::npos ? dir : dir.substr(slash + 1)) == ".git") return true;
        return all_gitignore && dir != "." && m_ignore.ignored(dir, true);
    };
    auto w = events::FileWatcher::start(
        m_loop, kept, skip,
        [this](std::vector<events::FileChange> ch, bool overflow) { on_files(ch, overflow); },
        [this](const Error& e) { m_dispatch.error(e.message); });
    if (!w) return w.error();
    m_watcher = std::move(*w);
    return {};
}

// A glob whose fixed prefix does not exist matches nothing yet: likely a
// typo, so say so; its nearest existing directory is watched, and so it is
// seen once it appears (SPEC §9.2).
void FileTrigger::warn_missing_prefixes(const Armed& a) {
    for (const auto& p : a.w().on.file->paths) {
        const std::string prefix = glob_prefix(p);
        struct stat st {};
        if (prefix.empty() || ::stat(prefix.c_str(), &st) == 0) continue;
        m_dispatch.announce(
            {{"type", "warning"},
             {"warning", true},
             {"workflow", a.w().name},
             {"message", "weft: warning: workflow '" + a.w().name + "': on.file path '" + p +
                             "': " + prefix +
                             " does not exist (yet); it is watched once it appears"}});
    }
}

void FileTrigger::disarm() {
    m_watcher.reset();
    m_windows.clear();
}

void FileTrigger::on_files(const std::vector<events::FileChange>& changes, bool overflow) {
    if (m_dispatch.stopping()) return;
    if (overflow) {
        // The kernel dropped events: one event per file-triggered workflow,
        // marked as a rescan, so no change is silently lost.
        for (auto& [n, a] : m_dispatch.workflows())
            if (!a.removed && a.w().on.file)
                m_dispatch.fire(model::Event::file_rescan(now()), {n}, true);
        return;
    }
    for (const auto& c : changes) {
        const auto slash = c.path.rfind('/');
        const std::string base = slash == std::string::npos ? c.path : c.path.substr(slash + 1);
        if (base == ".gitignore" || base == ".ignore") m_ignore.clear();
    }
    for (auto& [n, a] : m_dispatch.workflows())
        if (!a.removed && a.w().on.file) collect(a, changes);
}

void FileTrigger::collect(Armed& a, const std::vector<events::FileChange>& changes) {
    const auto& ft = *a.w().on.file;
    auto& slot = m_windows[a.w().name];
    if (!slot) {
        slot = std::make_unique<Window>();
        slot->self = this;
        slot->workflow = a.w().name;
    }
    Window& win = *slot;
    const bool during_run = a.running > 0 || now() - a.last_end <= ft.debounce;
    for (const auto& c : changes) {
        if (is_state(c.path)) continue;
        if (std::none_of(ft.paths.begin(), ft.paths.end(),
                         [&](const std::string& g) { return glob_match(g, c.path); }))
            continue;
        if (std::any_of(ft.ignore.begin(), ft.ignore.end(),
                        [&](const std::string& g) { return glob_match(g, c.path); }))
            continue;
        if (ft.gitignore && m_ignore.ignored(c.path, false)) continue;
        // What a step of this workflow generates never retriggers it.
        bool generated = false;
        for (const auto& s : a.w().steps)
            for (const auto& g : s.generates)
                generated = generated || glob_match(generates_glob(g), c.path);
        if (generated) continue;
        if (win.first_kind.emplace(c.path, c.kind).second && c.appeared)
            win.appeared.insert(c.path);
        if (!during_run) win.outside_runs.insert(c.path);
        win.pending[c.path].insert(c.kind);
    }
    if (win.pending.empty()) return;
    if (!win.debounce)
        win.debounce = events::UvHandle<uv_timer_t>::make(uv_timer_init, m_loop, &win);
    if (!uv_is_active(win.debounce.base())) {
        // The window opens at the first change: a stream of saves still
        // gives a run every window, never none.
        uv_timer_start(
            win.debounce.get(),
            [](uv_timer_t* h) {
                auto* w = static_cast<Window*>(h->data);
                w->self->flush(*w);
            },
            static_cast<std::uint64_t>(std::max<long long>(ft.debounce.count(), 1)), 0);
    }
}

void FileTrigger::flush(Window& win) {
    auto& wfs = m_dispatch.workflows();
    const auto it = wfs.find(win.workflow);
    if (m_dispatch.stopping() || it == wfs.end() || it->second.removed || !it->second.w().on.file)
        return;
    const Armed& a = it->second;
    const auto& ft = *a.w().on.file;
    std::vector<std::string> paths;
    for (const auto& [path, kinds] : win.pending) {
        struct stat st {};
        const bool exists = ::lstat(path.c_str(), &st) == 0;
        const auto first = win.first_kind.at(path);
        // Made (or moved in) and gone within the window: an editor's temp
        // file, a `~` backup, a .swp; nothing happened.
        if (!exists && win.appeared.count(path)) continue;
        const model::FileEvent kind =
            exists ? (first == model::FileEvent::create ? model::FileEvent::create
                                                        : model::FileEvent::modify)
                   : (kinds.count(model::FileEvent::move) ? model::FileEvent::move
                                                          : model::FileEvent::remove);
        if (std::find(ft.events.begin(), ft.events.end(), kind) != ft.events.end())
            paths.push_back(path);
    }
    win.pending.clear();
    win.first_kind.clear();
    win.appeared.clear();
    if (paths.empty()) {
        win.outside_runs.clear();
        return;
    }
    check_watch_loop(win, paths);
    m_dispatch.fire(model::Event::file_change(paths, now()), {a.w().name}, false, true);
}

// Three events in a row made only of paths that changed while a run of the
// workflow ran (or within one debounce window after it ended): its steps
// most likely write into what it watches, and it would run forever.
void FileTrigger::check_watch_loop(Window& win, const std::vector<std::string>& paths) {
    const bool all_during = std::none_of(paths.begin(), paths.end(), [&](const std::string& p) {
        return win.outside_runs.count(p) > 0;
    });
    win.outside_runs.clear();
    win.loop_events = all_during ? win.loop_events + 1 : 0;
    if (win.loop_events != k_loop_events) return;
    std::string shown;
    for (std::size_t i = 0; i < paths.size() && i < 5; ++i) shown += (i ? ", " : "") + paths[i];
    if (paths.size() > 5) shown += " and " + std::to_string(paths.size() - 5) + " more";
    m_dispatch.announce(
        {{"type", "warning"},
         {"warning", true},
         {"workflow", win.workflow},
         {"paths", paths},
         {"message", "weft: warning: workflow '" + win.workflow +
                         "' retriggers itself: " + std::to_string(k_loop_events) +
                         " runs in a row were started by changes made while it ran (" + shown +
                         "); list what its steps write in their 'generates', or in the file "
                         "trigger's 'ignore'"}});
}

}  // namespace weft::engine
