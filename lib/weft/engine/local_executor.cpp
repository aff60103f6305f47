#include "weft/engine/local_executor.hpp"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>

#include "weft/engine/kill_point.hpp"
#include "weft/engine/spare.hpp"
#include "weft/exec/cgroup.hpp"
#include "weft/exec/process.hpp"
#include "weft/plugin/plugin.hpp"
#include "weft/util/fs.hpp"

namespace weft::engine {

struct LocalExecutor::Process : Attempt {
    // Torn down with its run, which may outlive the executor (`owner` is
    // then null): whatever it still holds is closed here.
    ~Process() override {
        if (owner && owner->m_watched.erase(watch_id)) owner->watched_changed();
        exec::close_fds(child);
        exec::cgroup::close_fds(cgroup);
    }
    LocalExecutor* owner = nullptr;
    exec::cgroup::Group cgroup;  // its cgroup; an empty path without one
    exec::Child child;
    std::uint64_t watch_id = 0;  // its fds' key in m_watched, once followed
    std::string out_buf, err_buf;
};

namespace {

// What an fd in the executor's epoll set is, in the low bits of its key.
enum Watch : std::uint64_t { watch_stdout = 1, watch_stderr = 2, watch_pidfd = 3 };

// read_available's bound for a $WEFT_OUTPUT file: none.
constexpr std::size_t k_all = std::numeric_limits<std::size_t>::max();

// How often orphans are reaped while an attempt runs: a step that leaves
// short-lived orphans (`( cmd & )` in a loop) holds at most this long's
// worth of zombies against the user's process limit.
constexpr std::uint64_t k_reap_every_ms = 20;

// Empty cgroups kept for later attempts: each holds two fds.
constexpr std::size_t k_idle_cgroups = 32;

}  // namespace

// Processes an ended attempt left behind: SIGTERM at once, SIGKILL once the
// kill-grace has passed, checked every few milliseconds until none is left.
struct LocalExecutor::Sweep {
    LocalExecutor* owner;
    pid_t pid;
    long long start_time;
    std::string marker;
    std::string cgroup;  // when set, the attempt's processes are exactly its members
    TimePoint kill_at;
    events::UvHandle<uv_timer_t> timer;
};

LocalExecutor::LocalExecutor(uv_loop_s* loop, ExecHost& host, Clock& clock,
                             std::vector<std::string> base_env)
    : m_loop(loop), m_host(host), m_clock(clock), m_base_env(std::move(base_env)) {
    // By name, as an attempt's env (a std::map) is: start() merges the two.
    std::sort(m_base_env.begin(), m_base_env.end(), [](const std::string& x, const std::string& y) {
        return std::string_view(x).substr(0, x.find('=')) <
               std::string_view(y).substr(0, y.find('='));
    });
    for (const auto& e : m_base_env) m_base_keys.push_back(e.substr(0, e.find('=')));
}

LocalExecutor::~LocalExecutor() {
    close();
}

// The fds of every running attempt sit in one epoll set of ours, which the
// loop polls as one fd: an fd costs an epoll_ctl to add and one to remove,
// where a uv_poll_t of its own costs five calls and an ioctl (libuv checks
// each new fd by adding and removing it, then adds it again at the next
// iteration).
void LocalExecutor::watch(Process& p, int fd, std::uint64_t kind) {
    if (m_epfd < 0) {
        m_epfd = ::epoll_create1(EPOLL_CLOEXEC);
        if (m_epfd < 0) return;
        auto* h = m_epoll_poll.make();
        uv_poll_init(m_loop, h, m_epfd);
        h->data = this;
        uv_poll_start(h, UV_READABLE, [](uv_poll_t* x, int, int) {
            static_cast<LocalExecutor*>(x->data)->dispatch();
        });
    }
    epoll_event ev{};
    ev.events = EPOLLIN | EPOLLRDHUP;
    ev.data.u64 = p.watch_id << 2 | kind;
    ::epoll_ctl(m_epfd, EPOLL_CTL_ADD, fd, &ev);
}

// The set keeps the loop alive while it watches an attempt, as a handle per
// fd did: uv_ref and uv_unref make no system call.
void LocalExecutor::watched_changed() {
    if (!m_epoll_poll) return;
    if (m_watched.empty())
        uv_unref(m_epoll_poll.base());
    else
        uv_ref(m_epoll_poll.base());
}

// Level-triggered: what one call leaves unread is reported again at the
// loop's next iteration. An attempt that ended earlier in the same batch is
// gone from m_watched, and its events are dropped.
void LocalExecutor::dispatch() {
    epoll_event evs[64];
    int n;
    while ((n = ::epoll_wait(m_epfd, evs, 64, 0)) < 0 && errno == EINTR) {
    }
    for (int i = 0; i < n; ++i) {
        auto it = m_watched.find(evs[i].data.u64 >> 2);
        if (it == m_watched.end()) continue;
        switch (evs[i].data.u64 & 3) {
            case watch_stdout:
                read_pipe(*it->second, 1, false);
                break;
            case watch_stderr:
                read_pipe(*it->second, 2, false);
                break;
            case watch_pidfd:
                done(*it->second);
                break;
            default:
                break;
        }
    }
}

void LocalExecutor::close() {
    // Attempts may outlive the executor (their runs are torn down later):
    // they must not reach back into it.
    for (auto& [id, p] : m_watched) p->owner = nullptr;
    m_watched.clear();
    m_epoll_poll.reset();
    m_reap_timer.reset();
    if (m_epfd >= 0) ::close(m_epfd);
    m_epfd = -1;
    // The loop is closing: whatever a sweep still waits for dies now.
    for (auto& s : m_sweeps)
        if (!s->cgroup.empty()) exec::cgroup::kill(s->cgroup);
    m_sweeps.clear();
    for (auto& g : m_idle_cgroups) exec::cgroup::close_fds(g);
    m_idle_cgroups.clear();
    if (!m_cgroup_dir.empty()) exec::cgroup::kill_owner_dir(m_cgroup_dir);
}

std::unique_ptr<Attempt> LocalExecutor::new_attempt() {
    auto p = std::make_unique<Process>();
    p->owner = this;
    return p;
}

// The script (or a plugin's request) reaches the process through a sealed
// memfd, never a file, the command line or a pipe someone else could read
// (SPEC §9.4): the shell runs /dev/fd/3.
Result<void> LocalExecutor::prepare(Attempt& a) {
    a.script_path = "/dev/fd/" + std::to_string(exec::k_script_fd);
    // Empty and 0600 before the step appends to it: an earlier attempt's
    // emptied file of this run (creating and removing a file per step made
    // ext4 search its inode table for a free inode each time, and a rename
    // to the step's name cost as much), else a new one. Hence the neutral
    // names: out-N in the run's directory.
    auto& pool = m_output_pool[a.run_id];
    if (!pool.free.empty()) {
        a.output_file = std::move(pool.free.back());
        pool.free.pop_back();
        return {};
    }
    a.output_file =
        a.file_base.substr(0, a.file_base.rfind('/') + 1) + "out-" + std::to_string(++pool.made);
    if (spare::take_run_file(a.output_file)) return {};  // an ended run's (spare.hpp)
    const int fd =
        ::open(a.output_file.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd >= 0 && ::close(fd) == 0) return {};
    return write_private_file(a.output_file, "");
}

// The outputs of ended attempt `p` (when it exited 0); its file goes back to
// the run's pool when nothing of the attempt is left to write to it and it is
// still the private, empty-able file prepare() made, else it is removed.
void LocalExecutor::take_outputs(const Process& p, bool reusable, ExecEnd& end) {
    static const uid_t k_uid = ::geteuid();
    const auto ours = [](const struct stat& st) {
        return S_ISREG(st.st_mode) && (st.st_mode & 07777) == 0600 && st.st_nlink == 1 &&
               st.st_uid == k_uid;
    };
    struct stat st;
    const bool seen = ::fstatat(AT_FDCWD, p.output_file.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
    // Most steps write no output: an empty file of ours is reused unopened.
    if (seen && ours(st) && st.st_size == 0) {
        if (reusable)
            m_output_pool[p.run_id].free.push_back(p.output_file);
        else
            ::unlink(p.output_file.c_str());
        return;
    }
    const int fd = seen ? ::open(p.output_file.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC) : -1;
    if (fd >= 0 && ::fstat(fd, &st) == 0) {
        reusable = reusable && ours(st);
        if (end.exit_code == 0) (void)exec::read_available(fd, end.outputs, k_all);
        if (st.st_size > 0 || !end.outputs.empty()) reusable = reusable && ::ftruncate(fd, 0) == 0;
    } else if (end.exit_code == 0) {
        // Replaced by a symbolic link, say: read as before, never reused.
        reusable = false;
        const int any = ::open(p.output_file.c_str(), O_RDONLY | O_CLOEXEC);
        if (any >= 0) {
            (void)exec::read_available(any, end.outputs, k_all);
            ::close(any);
        }
    }
    if (fd >= 0) ::close(fd);
    if (reusable && fd >= 0)
        m_output_pool[p.run_id].free.push_back(p.output_file);
    else
        ::unlink(p.output_file.c_str());
}

void LocalExecutor::run_ended(model::RowId run) {
    m_output_pool.erase(run);  // its directory is gone
}

// The cgroup of attempt `a`, where weft can make one: the first refusal
// turns them off for this process (not root, no delegation, no cgroup2).
// One that an earlier attempt left empty serves again: a cgroup's mkdir and
// rmdir cost more than the rest of a no-op step's system calls together,
// and weft sets no limit on it and reads no counter of it that a reuse
// could carry over.
void LocalExecutor::make_cgroup(Process& p, exec::SpawnRequest& sr) {
    if (m_no_cgroups || cgroups_disabled_for_tests()) return;
    if (!m_idle_cgroups.empty()) {
        p.cgroup = std::move(m_idle_cgroups.back());
        m_idle_cgroups.pop_back();
        sr.cgroup_fd = p.cgroup.fd;
        return;
    }
    if (m_cgroup_dir.empty()) {
        // WEFT_ATTEMPT_KEY=TOKEN:ID: the owner token names weft's own cgroup.
        const auto eq = p.marker.find('='), colon = p.marker.rfind(':');
        if (eq != std::string::npos && colon != std::string::npos && colon > eq)
            m_cgroup_dir = exec::cgroup::owner_dir(p.marker.substr(eq + 1, colon - eq - 1));
    }
    auto g = exec::cgroup::create(m_cgroup_dir, "a-" + std::to_string(++m_cgroups_made));
    if (!g) {
        m_no_cgroups = true;
        return;
    }
    p.cgroup = std::move(*g);
    sr.cgroup_fd = p.cgroup.fd;
}

Result<void> LocalExecutor::start(Attempt& a) {
    auto& p = static_cast<Process&>(a);
    exec::SpawnRequest sr;
    sr.argv = a.argv;
    sr.cwd = a.cwd;
    auto memfd = exec::sealed_memfd(a.plugin ? "weft-request" : "weft-script", a.script);
    if (!memfd) return memfd.error();
    (a.plugin ? sr.stdin_fd : sr.script_fd) = *memfd;  // a plugin's request, on its stdin
    // weft's own environment under the attempt's, both sorted by name: one
    // merge, and weft's strings are pointed at, not copied.
    std::vector<std::string> own;
    own.reserve(a.env.size());
    for (const auto& [k, v] : a.env) own.push_back(k + "=" + v);
    sr.env_view.reserve(m_base_env.size() + own.size() + 1);
    auto set = a.env.begin();
    for (std::size_t i = 0; i < m_base_env.size(); ++i) {
        const std::string& key = m_base_keys[i];
        while (set != a.env.end() && set->first < key) ++set;
        if (key != "WEFT_ATTEMPT_KEY" && (set == a.env.end() || set->first != key))
            sr.env_view.push_back(m_base_env[i].c_str());
    }
    for (const auto& e : own) sr.env_view.push_back(e.c_str());
    sr.env_view.push_back(a.marker.c_str());
    make_cgroup(p, sr);
    auto child = exec::spawn(sr);
    ::close(*memfd);
    if (sr.cgroup_fd >= 0) {
        if (!child || !child->in_cgroup) {
            exec::cgroup::discard(p.cgroup);
            // clone3 refused the cgroup for good (a seccomp filter, a kernel
            // without CLONE_INTO_CGROUP, a cgroup that takes no process): the
            // rest run without. A passing shortage (EAGAIN, ENOMEM) costs this
            // attempt its cgroup only.
            const int e = child ? child->cgroup_errno : 0;
            if (child && e != EAGAIN && e != ENOMEM && e != EINTR) m_no_cgroups = true;
        }
    }
    if (!child) return child.error();
    p.child = *child;
    a.process = store::ProcessRef{p.child.pid, p.child.start_time};
    return {};
}

void LocalExecutor::follow(Attempt& a) {
    auto& p = static_cast<Process&>(a);
    if (m_leaders.empty()) start_reaping();
    m_leaders.emplace(p.child.pid, &p);
    p.watch_id = ++m_last_watch;
    m_watched.emplace(p.watch_id, &p);
    watched_changed();
    watch(p, p.child.stdout_fd, watch_stdout);
    watch(p, p.child.stderr_fd, watch_stderr);
    watch(p, p.child.pidfd, watch_pidfd);
}

// From the first running attempt on: orphans its processes leave are reaped
// every k_reap_every_ms (done() stops it when the last one ends).
void LocalExecutor::start_reaping() {
    if (!m_reap_timer) {
        uv_timer_init(m_loop, m_reap_timer.make());
        m_reap_timer->data = this;
        uv_unref(m_reap_timer.base());
    }
    uv_timer_start(
        m_reap_timer.get(),
        [](uv_timer_t* t) {
            auto* self = static_cast<LocalExecutor*>(t->data);
            exec::reap_untracked([self](pid_t pid) { return self->is_tracked(pid); }, false);
        },
        k_reap_every_ms, k_reap_every_ms);
}

void LocalExecutor::reattach(Attempt&, const store::SlurmJobRef&, long long, long long) {
    // A local process never outlives the weft that ran it: nothing to follow.
}

void LocalExecutor::read_pipe(Process& p, int stream, bool final) {
    int& fd = stream == 1 ? p.child.stdout_fd : p.child.stderr_fd;
    std::string& buf = stream == 1 ? p.out_buf : p.err_buf;
    if (fd < 0) return;
    Result<exec::ReadEnd> r = exec::ReadEnd::open;
    if (stream == 1 && p.plugin) {
        // The result, bounded: past the bound the plugin is killed, so one
        // printing without end costs neither memory nor time.
        std::string chunk;
        r = exec::read_available(fd, chunk);
        if (!p.result_too_large && p.result.size() + chunk.size() > plugin::k_max_result) {
            p.result_too_large = true;
            p.result.clear();
            p.result.shrink_to_fit();
            signal_all(p, SIGKILL);
        }
        if (!p.result_too_large) p.result += chunk;
    } else {
        r = exec::read_available(fd, buf);
        m_host.output(p, stream, buf, final || !r || *r == exec::ReadEnd::eof);
    }
    // Closing the fd takes it out of the epoll set: weft holds the only copy
    // (every fd of ours is O_CLOEXEC, and spawn returns once the child has
    // called execve), so no epoll_ctl is needed.
    if (!r || *r == exec::ReadEnd::eof) {
        ::close(fd);
        fd = -1;
    }
}

void LocalExecutor::done(Process& p) {
    auto st = exec::try_reap(p.child.pid);
    if (!st) return;  // spurious wake-up
    m_leaders.erase(p.child.pid);
    // While others run, the timer reaps orphans; the last end stops it and
    // reaps what is left.
    if (m_leaders.empty()) {
        if (m_reap_timer) uv_timer_stop(m_reap_timer.get());
        exec::reap_untracked([this](pid_t pid) { return is_tracked(pid); }, false);
    }
    // Everything the process wrote before it exited is in the pipes now.
    read_pipe(p, 1, true);
    read_pipe(p, 2, true);
    // Whatever it left behind (background jobs, setsid escapees) dies with it;
    // an empty cgroup serves the next attempt.
    const bool in_cgroup = !p.cgroup.path.empty();
    const bool left = in_cgroup ? exec::cgroup::populated(p.cgroup)
                                : exec::maybe_leftovers(
                                      p.child.pid, [this](pid_t pid) { return is_tracked(pid); });
    if (left) add_sweep(p);
    if (!in_cgroup) sweep_adopted(p);
    if (in_cgroup && !left) {
        if (m_idle_cgroups.size() < k_idle_cgroups)
            m_idle_cgroups.push_back(std::exchange(p.cgroup, {}));
        else
            exec::cgroup::discard(p.cgroup);
    }
    m_watched.erase(p.watch_id);
    watched_changed();
    exec::close_fds(p.child);
    ExecEnd end{st->exit_code, st->signal, "", ""};
    take_outputs(p, !left, end);
    m_host.ended(p, end);
}

// With a cgroup, its members are the attempt's processes, whatever they did
// to their group, session or environment; SIGKILL is cgroup.kill, which no
// fork can outrun.
int LocalExecutor::signal_all(const Process& p, int sig) {
    return signal_sweep(p.child.pid, p.child.start_time, p.marker, p.cgroup.path, sig);
}

int LocalExecutor::signal_sweep(pid_t pid, long long start_time, const std::string& marker,
                                const std::string& cgroup, int sig) {
    if (cgroup.empty()) return exec::signal_attempt(pid, start_time, marker, sig);
    if (sig == SIGKILL) {
        const bool any = exec::cgroup::populated(cgroup);
        exec::cgroup::kill(cgroup);
        return any ? 1 : 0;
    }
    if (sig == 0) return exec::cgroup::populated(cgroup) ? 1 : 0;
    return exec::cgroup::signal(cgroup, sig);
}

bool LocalExecutor::terminate(Attempt& a) {
    signal_all(static_cast<Process&>(a), SIGTERM);
    return true;
}

void LocalExecutor::kill(Attempt& a) {
    signal_all(static_cast<Process&>(a), SIGKILL);
}

void LocalExecutor::kill_all() {
    for (auto& [pid, p] : m_leaders) signal_all(*p, SIGKILL);
    for (auto& s : m_sweeps) s->kill_at = m_clock.now();
}

void LocalExecutor::add_sweep(const Process& p) {
    auto s = std::make_unique<Sweep>(Sweep{this,
                                           p.child.pid,
                                           p.child.start_time,
                                           p.marker,
                                           p.cgroup.path,
                                           m_clock.now() + p.kill_grace,
                                           {}});
    if (signal_sweep(s->pid, s->start_time, s->marker, s->cgroup, SIGTERM) == 0 &&
        (s->cgroup.empty() || exec::cgroup::remove(s->cgroup)))
        return;
    auto* h = s->timer.make();
    uv_timer_init(m_loop, h);
    h->data = s.get();
    uv_timer_start(
        h,
        [](uv_timer_t* x) {
            auto* sw = static_cast<Sweep*>(x->data);
            sw->owner->run_sweep(sw);
        },
        10, 10);
    m_sweeps.push_back(std::move(s));
}

// Without a cgroup, a process that left the step's group with a cleared
// environment is known only as a child the subreaper received. It dies with
// the step whose group or session it is in; one carrying neither dies once
// every attempt that was running when weft first saw it has ended (one of
// them started it).
void LocalExecutor::sweep_adopted(const Process& ended) {
    std::set<model::RowId> running{ended.id};
    for (const auto& [pid, p] : m_leaders) running.insert(p->id);
    for (const auto& c : exec::adopted_children([this](pid_t pid) { return is_tracked(pid); })) {
        auto it = m_adopted.find(c.pid);
        if (it != m_adopted.end() && it->second.start_time != c.start_time) m_adopted.erase(it);
        m_adopted.try_emplace(c.pid, Adopted{c.start_time, c.pgid, c.sid, running});
    }
    for (auto it = m_adopted.begin(); it != m_adopted.end();) {
        auto& a = it->second;
        a.witnesses.erase(ended.id);
        const bool gone = exec::process_start_time(it->first) != a.start_time;
        const bool with_step = a.pgid == ended.child.pid || a.sid == ended.child.pid;
        if (!gone && !with_step && !a.witnesses.empty()) {
            ++it;
            continue;
        }
        if (!gone) {
            Process one;
            one.child.pid = it->first;
            one.child.start_time = a.start_time;
            one.kill_grace = ended.kill_grace;
            add_sweep(one);
        }
        it = m_adopted.erase(it);
    }
}

void LocalExecutor::run_sweep(Sweep* s) {
    exec::reap_untracked([this](pid_t pid) { return is_tracked(pid); }, true);
    const bool past = m_clock.now() >= s->kill_at;
    if (signal_sweep(s->pid, s->start_time, s->marker, s->cgroup, past ? SIGKILL : 0) > 0) return;
    if (!s->cgroup.empty() && !exec::cgroup::remove(s->cgroup)) return;
    m_sweeps.remove_if([s](const std::unique_ptr<Sweep>& x) { return x.get() == s; });
}

}  // namespace weft::engine
