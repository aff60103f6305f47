#include "weft/engine/triggers/file.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "weft/util/glob.hpp"
#include "weft/util/time.hpp"

namespace weft::engine {

using Json = nlohmann::json;
using model::RowId;

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
    if (!slot) slot = std::make_unique<Window>(Window{this, a.w().name, {}, {}, {}});
    Window& win = *slot;
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
            for (const auto& g : s.generates) generated = generated || glob_match(g, c.path);
        if (generated) continue;
        win.first_kind.emplace(c.path, c.kind);
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
    win.pending.clear();
    win.first_kind.clear();
    if (paths.empty() || merge_into_queued(a, paths)) return;
    m_dispatch.fire(model::Event::file_change(paths, now()), {a.w().name});
}

bool FileTrigger::merge_into_queued(const Armed& a, const std::vector<std::string>& paths) {
    // New changes merge into a run already queued for the workflow: fifty
    // saves during a build give one more build, not fifty.
    auto& store = m_dispatch.store();
    auto q = store.queued(a.w().name, 0);
    if (!q) return false;
    for (auto it = q->rbegin(); it != q->rend(); ++it) {
        auto ev = store.get_event(it->event_id);
        if (!ev || !*ev || (*ev)->kind != "file") continue;
        Json payload = (*ev)->payload;
        std::set<std::string> merged;
        for (const auto& p : payload.value("paths", Json::array()))
            if (p.is_string()) merged.insert(p.get<std::string>());
        merged.insert(paths.begin(), paths.end());
        payload["paths"] = std::vector<std::string>(merged.begin(), merged.end());
        m_dispatch.open_writes();
        if (auto r = store.set_event_payload(it->event_id, payload); !r)
            m_dispatch.write_failed("", r.error());
        m_dispatch.announce({{"type", "event"},
                             {"id", it->event_id},
                             {"kind", "file"},
                             {"merged", true},
                             {"paths", paths},
                             {"workflows", {a.w().name}}});
        return true;
    }
    return false;
}

}  // namespace weft::engine
