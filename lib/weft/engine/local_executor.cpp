#include "weft/engine/local_executor.hpp"

#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

#include "weft/engine/kill_point.hpp"
#include "weft/exec/cgroup.hpp"
#include "weft/exec/process.hpp"
#include "weft/plugin/plugin.hpp"
#include "weft/util/fs.hpp"

namespace weft::engine {

struct LocalExecutor::Process : Attempt {
    LocalExecutor* owner = nullptr;
    std::string cgroup;  // its cgroup's path; empty without one
    exec::Child child;
    events::UvHandle<uv_poll_t> pid_poll, out_poll, err_poll;
    std::string out_buf, err_buf;
};

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
    auto* h = m_sigchld.make();
    uv_signal_init(m_loop, h);
    h->data = this;
    uv_signal_start(
        h,
        [](uv_signal_t* x, int) {
            auto* self = static_cast<LocalExecutor*>(x->data);
            exec::reap_untracked([self](pid_t pid) { return self->is_tracked(pid); });
        },
        SIGCHLD);
    uv_unref(m_sigchld.base());
}

LocalExecutor::~LocalExecutor() {
    close();
}

void LocalExecutor::close() {
    m_sigchld.reset();
    // The loop is closing: whatever a sweep still waits for dies now.
    for (auto& s : m_sweeps)
        if (!s->cgroup.empty()) exec::cgroup::kill(s->cgroup);
    m_sweeps.clear();
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
    a.output_file = a.file_base + ".out";
    return write_private_file(a.output_file, "");
}

// The cgroup of attempt `a`, where weft can make one: the first refusal
// turns them off for this process (not root, no delegation, no cgroup2).
void LocalExecutor::make_cgroup(Process& p, exec::SpawnRequest& sr) {
    if (m_no_cgroups || cgroups_disabled_for_tests()) return;
    if (m_cgroup_dir.empty()) {
        // WEFT_ATTEMPT_KEY=TOKEN:ID: the owner token names weft's own cgroup.
        const auto eq = p.marker.find('='), colon = p.marker.rfind(':');
        if (eq != std::string::npos && colon != std::string::npos && colon > eq)
            m_cgroup_dir = exec::cgroup::owner_dir(p.marker.substr(eq + 1, colon - eq - 1));
    }
    auto g = exec::cgroup::create(m_cgroup_dir, "a-" + std::to_string(p.id));
    if (!g) {
        m_no_cgroups = true;
        return;
    }
    p.cgroup = g->path;
    sr.cgroup_fd = g->fd;
}

Result<void> LocalExecutor::start(Attempt& a) {
    auto& p = static_cast<Process&>(a);
    exec::SpawnRequest sr;
    sr.argv = a.argv;
    sr.cwd = a.cwd;
    auto memfd = exec::sealed_memfd(a.plugin ? "weft-request" : "weft-script", a.script);
    if (!memfd) return memfd.error();
    (a.plugin ? sr.stdin_fd : sr.script_fd) = *memfd;  // a plugin's request, on its stdin
    for (const auto& e : m_base_env) {
        const std::string key = e.substr(0, e.find('='));
        if (!a.env.count(key) && key != "WEFT_ATTEMPT_KEY") sr.env.push_back(e);
    }
    for (const auto& [k, v] : a.env) sr.env.push_back(k + "=" + v);
    sr.env.push_back(a.marker);
    make_cgroup(p, sr);
    auto child = exec::spawn(sr);
    ::close(*memfd);
    if (sr.cgroup_fd >= 0) {
        ::close(sr.cgroup_fd);
        if (!child || !child->in_cgroup) {
            exec::cgroup::remove(p.cgroup);
            p.cgroup.clear();
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
    m_leaders.emplace(p.child.pid, &p);
    auto watch = [&](events::UvHandle<uv_poll_t>& h, int fd, uv_poll_cb cb) {
        auto* x = h.make();
        uv_poll_init(m_loop, x, fd);
        x->data = &p;
        uv_poll_start(x, UV_READABLE | UV_DISCONNECT, cb);
    };
    watch(p.out_poll, p.child.stdout_fd, [](uv_poll_t* h, int, int) {
        auto* at = static_cast<Process*>(h->data);
        at->owner->read_pipe(*at, 1, false);
    });
    watch(p.err_poll, p.child.stderr_fd, [](uv_poll_t* h, int, int) {
        auto* at = static_cast<Process*>(h->data);
        at->owner->read_pipe(*at, 2, false);
    });
    watch(p.pid_poll, p.child.pidfd, [](uv_poll_t* h, int, int) {
        auto* at = static_cast<Process*>(h->data);
        at->owner->done(*at);
    });
}

void LocalExecutor::reattach(Attempt&, const store::SlurmJobRef&, long long, long long) {
    // A local process never outlives the weft that ran it: nothing to follow.
}

void LocalExecutor::read_pipe(Process& p, int stream, bool final) {
    int& fd = stream == 1 ? p.child.stdout_fd : p.child.stderr_fd;
    auto& h = stream == 1 ? p.out_poll : p.err_poll;
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
    if (!r || *r == exec::ReadEnd::eof) {
        h.reset();
        ::close(fd);
        fd = -1;
    }
}

void LocalExecutor::done(Process& p) {
    auto st = exec::try_reap(p.child.pid);
    if (!st) return;  // spurious wake-up
    m_leaders.erase(p.child.pid);
    // Everything the process wrote before it exited is in the pipes now.
    read_pipe(p, 1, true);
    read_pipe(p, 2, true);
    // Whatever it left behind (background jobs, setsid escapees) dies with it.
    if (!p.cgroup.empty()
            ? exec::cgroup::populated(p.cgroup) || !exec::cgroup::remove(p.cgroup)
            : exec::maybe_leftovers(p.child.pid, [this](pid_t pid) { return is_tracked(pid); }))
        add_sweep(p);
    if (p.cgroup.empty()) sweep_adopted(p);
    p.pid_poll.reset();
    p.out_poll.reset();
    p.err_poll.reset();
    exec::close_fds(p.child);
    ExecEnd end{st->exit_code, st->signal, "", ""};
    if (st->exit_code == 0) {
        std::ifstream f(p.output_file, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        end.outputs = ss.str();
    }
    ::unlink(p.output_file.c_str());
    m_host.ended(p, end);
}

// With a cgroup, its members are the attempt's processes, whatever they did
// to their group, session or environment; SIGKILL is cgroup.kill, which no
// fork can outrun.
int LocalExecutor::signal_all(const Process& p, int sig) {
    return signal_sweep(p.child.pid, p.child.start_time, p.marker, p.cgroup, sig);
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
                                           p.cgroup,
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
    const bool past = m_clock.now() >= s->kill_at;
    if (signal_sweep(s->pid, s->start_time, s->marker, s->cgroup, past ? SIGKILL : 0) > 0) return;
    if (!s->cgroup.empty() && !exec::cgroup::remove(s->cgroup)) return;
    m_sweeps.remove_if([s](const std::unique_ptr<Sweep>& x) { return x.get() == s; });
}

}  // namespace weft::engine
