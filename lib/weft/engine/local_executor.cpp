#include "weft/engine/local_executor.hpp"

#include <unistd.h>

#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>

#include "weft/exec/process.hpp"
#include "weft/plugin/plugin.hpp"

namespace weft::engine {

struct LocalExecutor::Process : Attempt {
    LocalExecutor* owner = nullptr;
    std::string script_file;
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
    m_sweeps.clear();
}

std::unique_ptr<Attempt> LocalExecutor::new_attempt() {
    auto p = std::make_unique<Process>();
    p->owner = this;
    return p;
}

// The script goes to a file, never on a command line (secrets stay out of
// /proc/*/cmdline).
Result<void> LocalExecutor::prepare(Attempt& a) {
    auto& p = static_cast<Process&>(a);
    p.script_file = a.file_base + (a.plugin ? ".req" : ".sh");
    a.script_path = p.script_file;
    a.output_file = a.file_base + ".out";
    std::ofstream f(p.script_file, std::ios::binary | std::ios::trunc);
    f << a.script;
    std::ofstream o(a.output_file, std::ios::binary | std::ios::trunc);
    if (!f || !o)
        return make_error(Errc::io, "cannot write " + p.script_file + ": " + std::strerror(errno));
    return {};
}

Result<void> LocalExecutor::start(Attempt& a) {
    auto& p = static_cast<Process&>(a);
    exec::SpawnRequest sr;
    sr.argv = a.argv;
    sr.cwd = a.cwd;
    if (a.plugin) sr.stdin_path = p.script_file;  // a plugin's request, on its stdin
    for (const auto& e : m_base_env) {
        const std::string key = e.substr(0, e.find('='));
        if (!a.env.count(key) && key != "WEFT_ATTEMPT_KEY") sr.env.push_back(e);
    }
    for (const auto& [k, v] : a.env) sr.env.push_back(k + "=" + v);
    sr.env.push_back(a.marker);
    auto child = exec::spawn(sr);
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
            exec::signal_attempt(p.child.pid, p.child.start_time, p.marker, SIGKILL);
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
    if (exec::maybe_leftovers(p.child.pid, [this](pid_t pid) { return is_tracked(pid); }))
        add_sweep(p);
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
    ::unlink(p.script_file.c_str());
    m_host.ended(p, end);
}

bool LocalExecutor::terminate(Attempt& a) {
    auto& p = static_cast<Process&>(a);
    exec::signal_attempt(p.child.pid, p.child.start_time, p.marker, SIGTERM);
    return true;
}

void LocalExecutor::kill(Attempt& a) {
    auto& p = static_cast<Process&>(a);
    exec::signal_attempt(p.child.pid, p.child.start_time, p.marker, SIGKILL);
}

void LocalExecutor::kill_all() {
    for (auto& [pid, p] : m_leaders)
        exec::signal_attempt(p->child.pid, p->child.start_time, p->marker, SIGKILL);
    for (auto& s : m_sweeps) s->kill_at = m_clock.now();
}

void LocalExecutor::add_sweep(const Process& p) {
    auto s = std::make_unique<Sweep>(
        Sweep{this, p.child.pid, p.child.start_time, p.marker, m_clock.now() + p.kill_grace, {}});
    if (exec::signal_attempt(s->pid, s->start_time, s->marker, SIGTERM) == 0) return;
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

void LocalExecutor::run_sweep(Sweep* s) {
    const bool past = m_clock.now() >= s->kill_at;
    if (exec::signal_attempt(s->pid, s->start_time, s->marker, past ? SIGKILL : 0) > 0) return;
    m_sweeps.remove_if([s](const std::unique_ptr<Sweep>& x) { return x.get() == s; });
}

}  // namespace weft::engine
