#include "weft/events/file_watch.hpp"

#include <dirent.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include <cstring>
#include <fstream>
#include "weft/events/uv_handle.hpp"

namespace weft::events {
namespace {

constexpr std::uint32_t k_mask = IN_CREATE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
                                 IN_CLOSE_WRITE | IN_MODIFY | IN_ONLYDIR | IN_EXCL_UNLINK;

std::string join(const std::string& dir, const char* name) {
    return dir == "." ? name : dir + "/" + name;
}

}  // namespace

namespace {
long read_limit(const char* path) {
    std::ifstream f(path);
    long n = -1;
    return f >> n ? n : -1;
}
}  // namespace

WatchLimit max_user_watches() {
    // fs.inotify.max_user_watches is the first user namespace's limit; a
    // namespace's own (Linux 5.11+) may be lower. The lower one binds
    // (a parent namespace's lower limit cannot be seen from inside).
    const long global = read_limit("/proc/sys/fs/inotify/max_user_watches");
    const long own = read_limit("/proc/sys/user/max_inotify_watches");
    if (own >= 0 && (global < 0 || own < global))
        return {own, "user.max_inotify_watches (this user namespace's)"};
    return {global, "fs.inotify.max_user_watches"};
}

Result<std::unique_ptr<FileWatcher>> FileWatcher::start(
    uv_loop_t* loop, std::vector<std::string> roots, std::function<bool(const std::string&)> skip,
    Callback cb, std::function<void(const Error&)> error) {
    std::unique_ptr<FileWatcher> w(new FileWatcher());
    w->m_fd = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (w->m_fd < 0)
        return make_error(Errc::io,
                          std::string("cannot watch files: inotify: ") + std::strerror(errno));
    w->m_roots = std::move(roots);
    w->m_skip = std::move(skip);
    w->m_cb = std::move(cb);
    w->m_error = std::move(error);
    std::vector<FileChange> ignored;
    for (const auto& r : w->m_roots)
        if (auto a = w->add_tree(r, false, ignored); !a) return a.error();
    w->m_poll = UvHandle<uv_poll_t>::make(uv_poll_init, loop, w.get(), w->m_fd);
    if (!w->m_poll) return make_error(Errc::io, "cannot watch files: cannot poll inotify");
    uv_poll_start(w->m_poll.get(), UV_READABLE, [](uv_poll_t* h, int, int) {
        static_cast<FileWatcher*>(h->data)->on_readable();
    });
    return w;
}

FileWatcher::~FileWatcher() {
    m_poll.reset();
    if (m_fd >= 0) ::close(m_fd);
}

Result<void> FileWatcher::add_tree(const std::string& dir, bool report,
                                   std::vector<FileChange>& out) {
    if (m_skip && m_skip(dir)) return {};
    const int wd = ::inotify_add_watch(m_fd, dir.c_str(), k_mask);
    if (wd < 0) {
        if (errno == ENOSPC) {
            const auto limit = max_user_watches();
            return make_error(Errc::io,
                              "cannot watch " + dir + ": the inotify watch limit is reached (" +
                                  std::to_string(m_dirs.size()) + " directories watched; raise " +
                                  limit.name + ", now " + std::to_string(limit.value) +
                                  ", e.g. sysctl fs.inotify.max_user_watches=524288)");
        }
        if (errno == ENOENT || errno == ENOTDIR || errno == EACCES)
            return {};  // gone, or not ours to read
        return make_error(Errc::io, "cannot watch " + dir + ": " + std::strerror(errno));
    }
    m_dirs[wd] = dir;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return {};
    std::vector<std::string> subdirs;
    while (const dirent* e = ::readdir(d)) {
        if (std::strcmp(e->d_name, ".") == 0 || std::strcmp(e->d_name, "..") == 0) continue;
        const std::string path = join(dir, e->d_name);
        unsigned char type = e->d_type;
        if (type == DT_UNKNOWN) {
            struct stat st {};
            if (::lstat(path.c_str(), &st) != 0) continue;
            type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
        }
        if (type == DT_DIR)
            subdirs.push_back(path);  // symbolic links are not followed
        else if (report)
            out.push_back({path, model::FileEvent::create, true});
    }
    ::closedir(d);
    for (const auto& s : subdirs)
        if (auto a = add_tree(s, report, out); !a) return a;
    return {};
}

void FileWatcher::on_readable() {
    alignas(inotify_event) char buf[64 * 1024];
    std::vector<FileChange> out;
    bool overflow = false;
    for (;;) {
        const ssize_t n = ::read(m_fd, buf, sizeof buf);
        if (n <= 0) break;
        for (char* p = buf; p < buf + n;) {
            const auto* ev = reinterpret_cast<const inotify_event*>(p);
            p += sizeof(inotify_event) + ev->len;
            if (ev->mask & IN_Q_OVERFLOW) {
                overflow = true;
                continue;
            }
            if (ev->mask & IN_IGNORED) {
                m_dirs.erase(ev->wd);
                continue;
            }
            const auto it = m_dirs.find(ev->wd);
            if (it == m_dirs.end() || ev->len == 0) continue;
            const std::string path = join(it->second, ev->name);
            if (ev->mask & IN_ISDIR) {
                if (ev->mask & (IN_CREATE | IN_MOVED_TO)) {
                    if (auto a = add_tree(path, true, out); !a && !m_failed) {
                        m_failed = true;
                        if (m_error) m_error(a.error());
                    }
                }
                continue;
            }
            model::FileEvent kind = model::FileEvent::modify;
            if (ev->mask & IN_CREATE)
                kind = model::FileEvent::create;
            else if (ev->mask & IN_DELETE)
                kind = model::FileEvent::remove;
            else if (ev->mask & IN_MOVED_FROM)
                kind = model::FileEvent::move;
            // IN_MOVED_TO: an editor's atomic save (write a temp, rename it
            // over the target) is a modify of the target.
            out.push_back({path, kind, (ev->mask & (IN_CREATE | IN_MOVED_TO)) != 0});
        }
    }
    if (overflow) {
        // Renew every watch (new directories may have been missed) and let
        // the caller rescan: nothing is silently lost.
        std::vector<FileChange> ignored;
        for (const auto& r : m_roots) (void)add_tree(r, false, ignored);
        m_cb({}, true);
        return;
    }
    if (!out.empty()) m_cb(std::move(out), false);
}

}  // namespace weft::events
