#include "weft/exec/process.hpp"

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "weft/exec/proc_fs.hpp"

namespace weft::exec {
namespace {

using detail::errno_text;

// Closes the fds it holds unless released; keeps spawn's error paths short.
class FdGuard {
  public:
    FdGuard() = default;
    FdGuard(const FdGuard&) = delete;
    FdGuard& operator=(const FdGuard&) = delete;
    ~FdGuard() {
        for (int& fd : m_fds) {
            if (fd >= 0) close(fd);
        }
    }
    int& operator[](std::size_t i) { return m_fds[i]; }
    int release(std::size_t i) {
        int fd = m_fds[i];
        m_fds[i] = -1;
        return fd;
    }

  private:
    std::array<int, 4> m_fds{-1, -1, -1, -1};
};

// Move `fd` to a number >= 3, so that dup2 onto 0-2 in the child never finds
// one of our pipe ends already sitting there (a caller started with a closed
// stdout would otherwise get the pipe at fd 1).
int above_stdio(int fd) {
    if (fd >= 3) return fd;
    int moved = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    int err = errno;
    close(fd);
    errno = err;
    return moved;
}

// Pipe with both ends >= 3 and O_CLOEXEC, read end non-blocking.
Result<void> make_pipe(int& read_end, int& write_end) {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) {
        return make_error(Errc::exec, "cannot create a pipe: " + errno_text(errno));
    }
    read_end = above_stdio(fds[0]);
    write_end = above_stdio(fds[1]);
    if (read_end < 0 || write_end < 0 || fcntl(read_end, F_SETFL, O_NONBLOCK) != 0) {
        return make_error(Errc::exec, "cannot create a pipe: " + errno_text(errno));
    }
    return {};
}

std::string join_path(const std::string& dir, const std::string& name) {
    if (dir.empty()) return name;
    if (dir.back() == '/') return dir + name;
    return dir + "/" + name;
}

// Where the child will find `path` once it has changed to `cwd`.
std::string as_seen_from(const std::string& cwd, const std::string& path) {
    if (cwd.empty() || (!path.empty() && path[0] == '/')) return path;
    return join_path(cwd, path);
}

const char* path_of(const SpawnRequest& r) {
    for (const char* e : r.env_view)
        if (std::strncmp(e, "PATH=", 5) == 0) return e + 5;
    if (r.env_view.empty())
        for (const std::string& e : r.env)
            if (e.compare(0, 5, "PATH=") == 0) return e.c_str() + 5;
    if (const char* p = std::getenv("PATH")) return p;
    return "/bin:/usr/bin";  // glibc's default when PATH is unset (confstr _CS_PATH)
}

// execvp's search done here: it must use the child's PATH and cwd, which
// posix_spawnp cannot (it searches the parent's PATH). Returns the path to
// exec, or the errno to report: EACCES if only non-executable files matched.
Result<std::string> search_path(const SpawnRequest& r, std::string_view path) {
    const std::string& name = r.argv[0];
    bool denied = false;
    for (std::size_t start = 0;;) {
        std::size_t colon = path.find(':', start);
        std::string dir(
            path.substr(start, colon == std::string_view::npos ? colon : colon - start));
        std::string candidate = join_path(dir.empty() ? "." : dir, name);
        std::string check = as_seen_from(r.cwd, candidate);
        struct stat st;
        if (stat(check.c_str(), &st) == 0 && S_ISREG(st.st_mode)) {
            if (access(check.c_str(), X_OK) == 0) return candidate;
            denied = true;
        }
        if (colon == std::string_view::npos) break;
        start = colon + 1;
    }
    return make_error(Errc::exec,
                      "cannot run '" + name + "': " + errno_text(denied ? EACCES : ENOENT));
}

// What search_path found for one program name and PATH, kept for a while:
// every step of a run starts the same shell, and the search stats each
// PATH entry (ten system calls per step on a PATH of ten entries).
struct FoundProgram {
    std::string name, path, program;
    std::chrono::steady_clock::time_point at;
};
constexpr auto k_found_kept = std::chrono::seconds(5);
constexpr std::size_t k_found_max = 8;

Result<std::string> resolve_program(const SpawnRequest& r) {
    const std::string& name = r.argv[0];
    if (name.find('/') != std::string::npos) return name;
    std::string_view path = path_of(r);
    // A PATH with a relative entry depends on the cwd: searched every time.
    bool absolute = true;
    for (std::size_t start = 0; start <= path.size();) {
        const std::size_t colon = std::min(path.find(':', start), path.size());
        if (colon == start || path[start] != '/') absolute = false;
        start = colon + 1;
    }
    thread_local std::vector<FoundProgram> found;
    const auto now = std::chrono::steady_clock::now();
    if (absolute) {
        for (auto it = found.begin(); it != found.end(); ++it) {
            if (it->name != name || it->path != path) continue;
            // Still there (one stat, not one per PATH entry) and recent:
            // a program installed earlier in the PATH is seen within seconds.
            struct stat st;
            if (now - it->at < k_found_kept && ::stat(it->program.c_str(), &st) == 0 &&
                S_ISREG(st.st_mode))
                return it->program;
            found.erase(it);
            break;
        }
    }
    auto program = search_path(r, path);
    if (program && absolute) {
        if (found.size() >= k_found_max) found.erase(found.begin());
        found.push_back({name, std::string(path), *program, now});
    }
    return program;
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

// struct clone_args of <linux/sched.h> (CLONE_ARGS_SIZE_VER2), whose CLONE_*
// macros clash with glibc's <sched.h>.
struct CloneArgs {
    std::uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid,
        set_tid_size, cgroup;
};
constexpr std::uint64_t k_clone_vm = CLONE_VM, k_clone_vfork = CLONE_VFORK,
                        k_clone_pidfd = CLONE_PIDFD, k_clone_into_cgroup = 0x200000000ULL;

// The soft limit on open files weft started with, for its children, once
// raise_open_file_limit() has raised weft's own.
struct rlimit g_child_nofile {};
bool g_nofile_raised = false;

// Everything the child does between clone3 and execve, prepared by the
// parent: the child may not allocate (it shares the parent's memory, or is
// the fork of a multithreaded process).
struct ChildPlan {
    const struct rlimit* nofile;  // the open-file limit to give back, or nullptr
    const char* program;
    char* const* argv;
    char* const* envp;
    const char* cwd;         // nullptr: stay
    const char* stdin_path;  // when stdin_fd < 0
    int stdin_fd, out_fd, err_fd, script_fd;
    // Where the child says why execve was not reached: {stage, errno}. In
    // `failed` when it shares our memory (no pipe to create, read and close
    // per spawn), else on `report_fd`, the write end of a CLOEXEC pipe.
    int report_fd;
    volatile int failed[2];
};

enum Stage : int { stage_setup = 1, stage_chdir = 2, stage_exec = 3 };

// The child's code is not instrumented by a sanitizer: its runtime may hold
// locks or keep state of the thread the child shares memory with.
#define WEFT_CHILD_CODE __attribute__((no_sanitize("address", "undefined")))

[[noreturn]] WEFT_CHILD_CODE void child_fail(ChildPlan& c, int stage) {
    const int msg[2] = {stage, errno};
    if (c.report_fd >= 0) {
        (void)!::write(c.report_fd, msg, sizeof msg);
    } else {
        c.failed[1] = msg[1];
        c.failed[0] = stage;
    }
    ::_exit(127);
}

WEFT_CHILD_CODE int move_to(int from, int to) {
    if (from == to) return ::fcntl(to, F_SETFD, 0);  // dup2 onto itself keeps CLOEXEC
    return ::dup2(from, to) < 0 ? -1 : 0;
}

// Runs in the child, on a stack of its own: only system calls.
WEFT_CHILD_CODE int child_main(void* arg) {
    ChildPlan& c = *static_cast<ChildPlan*>(arg);
    // Every signal at its default disposition (a SIG_IGN survives exec, and a
    // handler of the parent must never run here), with the kernel's own call:
    // glibc's sigaction refuses its internal signals 32 and 33.
    const unsigned long k_default[4] = {};  // SIG_DFL, no flags, no mask
    for (int sig = 1; sig < NSIG; ++sig)
        if (sig != SIGKILL && sig != SIGSTOP)
            ::syscall(SYS_rt_sigaction, sig, k_default, nullptr, NSIG / 8);
    sigset_t none;
    sigemptyset(&none);
    if (::setpgid(0, 0) != 0 || ::sigprocmask(SIG_SETMASK, &none, nullptr) != 0)
        child_fail(c, stage_setup);
    int in = c.stdin_fd;
    if (in < 0 && (in = ::open(c.stdin_path, O_RDONLY | O_CLOEXEC)) < 0) child_fail(c, stage_setup);
    if (move_to(in, 0) != 0 || move_to(c.out_fd, 1) != 0 || move_to(c.err_fd, 2) != 0 ||
        (c.script_fd >= 0 && move_to(c.script_fd, k_script_fd) != 0))
        child_fail(c, stage_setup);
    if (c.nofile && ::syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, c.nofile, nullptr) != 0)
        child_fail(c, stage_setup);
    if (c.cwd && ::chdir(c.cwd) != 0) child_fail(c, stage_chdir);
    // Closed here rather than by execve (our fds are O_CLOEXEC, a library's
    // may not be): the parent resumes once execve has replaced the memory,
    // before execve closes O_CLOEXEC fds, and an fd the parent closes
    // meanwhile would stay in its epoll set, reported again and again while
    // this copy lives. The report pipe stays open until execve succeeds.
    const unsigned first = c.script_fd >= 0 ? k_script_fd + 1 : 3;
    const unsigned report = c.report_fd >= 0 ? static_cast<unsigned>(c.report_fd) : 0;
    long rc = 0;
    if (report < first) {
        rc = ::syscall(SYS_close_range, first, ~0U, 0U);
    } else {
        if (report > first) rc = ::syscall(SYS_close_range, first, report - 1, 0U);
        if (rc == 0) rc = ::syscall(SYS_close_range, report + 1, ~0U, 0U);
    }
    if (rc != 0) child_fail(c, stage_setup);
    ::execve(c.program, c.argv, c.envp);
    child_fail(c, stage_exec);
}

#if defined(__x86_64__)
// clone3 with CLONE_VM | CLONE_VFORK, the way posix_spawn clones: no page
// table is copied, so the cost does not grow with weft's memory. The child
// starts on the stack given in the args and calls fn(arg); it never returns
// here. Written in assembly because the child cannot return through a C
// frame it does not own.
extern "C" long weft_clone3_call(CloneArgs* args, std::size_t size, int (*fn)(void*), void* arg);
asm(R"(
    .text
    .globl weft_clone3_call
    .type weft_clone3_call, @function
weft_clone3_call:
    mov %rdx, %r8
    mov %rcx, %r9
    mov $435, %eax
    syscall
    test %rax, %rax
    jnz 1f
    xor %ebp, %ebp
    mov %r9, %rdi
    call *%r8
    mov %eax, %edi
    mov $60, %eax
    syscall
    hlt
1:  ret
    .size weft_clone3_call, .-weft_clone3_call
)");
constexpr bool k_shared_vm = true;
#else
// Elsewhere a plain clone3 (fork semantics): correct, slower with a large weft.
long weft_clone3_call(CloneArgs* args, std::size_t size, int (*fn)(void*), void* arg) {
    const long pid = ::syscall(SYS_clone3, args, size);
    if (pid == 0) ::_exit(fn(arg));
    return pid < 0 ? -errno : pid;
}
constexpr bool k_shared_vm = false;
#endif

// Blocks every signal for its lifetime: a handler running in a child that
// shares our memory would corrupt it. The child sets its own mask.
class AllSignalsBlocked {
  public:
    AllSignalsBlocked() {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &m_old);
    }
    AllSignalsBlocked(const AllSignalsBlocked&) = delete;
    AllSignalsBlocked& operator=(const AllSignalsBlocked&) = delete;
    ~AllSignalsBlocked() { pthread_sigmask(SIG_SETMASK, &m_old, nullptr); }

  private:
    sigset_t m_old;
};

// Start the child of `plan`; its pid and its pidfd, or the errno as a
// negative number. The child runs on `stack`, in this frame: with
// CLONE_VFORK we are suspended until it has called execve or exited. Into a
// cgroup, clone3 (the only call that takes one); otherwise glibc's clone,
// which also works where a seccomp filter refuses clone3 (older container
// runtimes).
pid_t clone_child(ChildPlan& plan, int cgroup_fd, int& pidfd) {
    alignas(64) char stack[16 * 1024];
    AllSignalsBlocked blocked;
    if (cgroup_fd < 0) {
        const int pid = ::clone(child_main, stack + sizeof stack,
                                CLONE_VM | CLONE_VFORK | CLONE_PIDFD | SIGCHLD, &plan, &pidfd);
        return pid < 0 ? -errno : pid;
    }
    CloneArgs args{};
    args.flags =
        k_clone_pidfd | k_clone_vfork | k_clone_into_cgroup | (k_shared_vm ? k_clone_vm : 0);
    args.pidfd = reinterpret_cast<std::uintptr_t>(&pidfd);
    args.exit_signal = SIGCHLD;
    if (k_shared_vm) {
        args.stack = reinterpret_cast<std::uintptr_t>(stack);
        args.stack_size = sizeof stack;
    }
    args.cgroup = static_cast<std::uint64_t>(cgroup_fd);
    return static_cast<pid_t>(weft_clone3_call(&args, sizeof args, child_main, &plan));
}

// CLOCK_BOOTTIME in clock ticks, as /proc/PID/stat shows a start time; 0
// if it cannot be read.
long long boot_ticks() {
    static const long k_hz = ::sysconf(_SC_CLK_TCK);
    timespec ts;
    if (k_hz <= 0 || ::clock_gettime(CLOCK_BOOTTIME, &ts) != 0) return 0;
    const long long ns = static_cast<long long>(ts.tv_sec) * 1'000'000'000LL + ts.tv_nsec;
    return ns / (1'000'000'000LL / k_hz);
}

}  // namespace

Result<Child> spawn(const SpawnRequest& r) {
    if (r.argv.empty() || r.argv[0].empty())
        return make_error(Errc::exec, "cannot run an empty command");
    auto program = resolve_program(r);
    if (!program) return program.error();

    enum : std::size_t { out_read, out_write, err_read, err_write };
    FdGuard fds;
    if (auto ok = make_pipe(fds[out_read], fds[out_write]); !ok) return ok.error();
    if (auto ok = make_pipe(fds[err_read], fds[err_write]); !ok) return ok.error();
    // stdin is moved first, so any fd will do; the script is moved last,
    // after 0, 1 and 2 were overwritten: it must not sit there.
    FdGuard moved;
    const int stdin_fd = r.stdin_fd;
    int script_fd = r.script_fd;
    if (r.script_fd >= 0 && r.script_fd < 3) {
        script_fd = moved[0] = fcntl(r.script_fd, F_DUPFD_CLOEXEC, k_script_fd + 1);
        if (script_fd < 0)
            return make_error(Errc::exec, "cannot run '" + r.argv[0] + "': " + errno_text(errno));
    }
    int report[2] = {-1, -1};
    if (!k_shared_vm && pipe2(report, O_CLOEXEC) != 0)
        return make_error(Errc::exec, "cannot create a pipe: " + errno_text(errno));

    std::vector<char*> argv = c_strings(r.argv);
    std::vector<char*> envp;
    if (r.env_view.empty()) {
        envp = c_strings(r.env);
    } else {
        envp.reserve(r.env_view.size() + 1);
        for (const char* e : r.env_view) envp.push_back(const_cast<char*>(e));
        envp.push_back(nullptr);
    }
    ChildPlan plan{g_nofile_raised ? &g_child_nofile : nullptr,
                   program->c_str(),
                   argv.data(),
                   envp.data(),
                   r.cwd.empty() ? nullptr : r.cwd.c_str(),
                   r.stdin_path.empty() ? "/dev/null" : r.stdin_path.c_str(),
                   stdin_fd,
                   fds[out_write],
                   fds[err_write],
                   script_fd,
                   report[1],
                   {0, 0}};
    int pidfd = -1;
    const long long before = boot_ticks();
    pid_t pid = clone_child(plan, r.cgroup_fd, pidfd);
    // clone3 refused (a seccomp filter, an old kernel, a cgroup that takes
    // no process): no cgroup, then.
    const bool in_cgroup = r.cgroup_fd >= 0 && pid >= 0;
    const int cgroup_errno = r.cgroup_fd >= 0 && pid < 0 ? -pid : 0;
    if (r.cgroup_fd >= 0 && !in_cgroup) pid = clone_child(plan, -1, pidfd);
    if (report[1] >= 0) ::close(report[1]);
    close(fds.release(out_write));
    close(fds.release(err_write));
    if (pid < 0) {
        if (report[0] >= 0) ::close(report[0]);
        return make_error(Errc::exec, "cannot run '" + r.argv[0] + "': " + errno_text(-pid));
    }
    // CLONE_VFORK: the child has called execve or exited by now.
    int failed[2] = {plan.failed[0], plan.failed[1]};
    if (report[0] >= 0) {
        ssize_t n;
        while ((n = ::read(report[0], failed, sizeof failed)) < 0 && errno == EINTR) {
        }
        ::close(report[0]);
        if (n != static_cast<ssize_t>(sizeof failed)) failed[0] = 0;
    }
    if (failed[0] != 0) {
        ::close(pidfd);
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        std::string msg = "cannot run '" + r.argv[0] + "': ";
        if (failed[0] == stage_chdir)
            msg += "working directory '" + r.cwd + "': " + errno_text(failed[1]);
        else
            msg += errno_text(failed[1]);
        return make_error(Errc::exec, msg);
    }

    Child c;
    c.pid = pid;
    c.pidfd = pidfd;
    c.in_cgroup = in_cgroup;
    c.cgroup_errno = cgroup_errno;
    // The kernel stamps the child's start (CLOCK_BOOTTIME, shown in clock
    // ticks) inside clone: when the clock showed the same tick before and
    // after, that is the start time, and /proc need not be read (an open,
    // a read and a close per step); else the tick changed meanwhile.
    const long long after = boot_ticks();
    c.start_time = before == after && before > 0 ? before : process_start_time(pid);
    c.stdout_fd = fds.release(out_read);
    c.stderr_fd = fds.release(err_read);
    return c;
}

Result<int> sealed_memfd(const char* name, std::string_view content) {
    const int fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (fd < 0) return make_error(Errc::exec, "cannot create a memfd: " + errno_text(errno));
    std::size_t done = 0;
    while (done < content.size()) {
        // pwrite leaves the offset at 0, where the reader starts.
        const ssize_t n =
            ::pwrite(fd, content.data() + done, content.size() - done, static_cast<off_t>(done));
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            const int err = errno;
            ::close(fd);
            return make_error(Errc::exec, "cannot write a memfd: " + errno_text(err));
        }
        done += static_cast<std::size_t>(n);
    }
    if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL) != 0) {
        const int err = errno;
        ::close(fd);
        return make_error(Errc::exec, "cannot seal a memfd: " + errno_text(err));
    }
    return fd;
}

void close_fds(Child& c) {
    for (int* fd : {&c.pidfd, &c.stdout_fd, &c.stderr_fd}) {
        if (*fd >= 0) close(*fd);
        *fd = -1;
    }
}

namespace {

ExitStatus status_of(const siginfo_t& info) {
    ExitStatus st;
    if (info.si_code == CLD_EXITED) {
        st.exit_code = info.si_status;
    } else {
        st.signal = info.si_status;  // CLD_KILLED or CLD_DUMPED
    }
    return st;
}

// waitid retried on EINTR; -1 with errno otherwise.
int wait_id(idtype_t type, pid_t pid, siginfo_t& info, int options) {
    for (;;) {
        info = {};
        int rc = waitid(type, static_cast<id_t>(pid), &info, options);
        if (rc == 0 || errno != EINTR) return rc;
    }
}

}  // namespace

std::optional<ExitStatus> try_reap(pid_t pid) {
    siginfo_t info;
    if (wait_id(P_PID, pid, info, WEXITED | WNOHANG) != 0) return ExitStatus{};  // ECHILD
    if (info.si_pid == 0) return std::nullopt;
    return status_of(info);
}

void reap_untracked(const std::function<bool(pid_t)>& tracked, bool thorough) {
    // Peek (WNOWAIT) at whichever child has exited; reap it if untracked.
    siginfo_t info;
    for (;;) {
        if (wait_id(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT) != 0) return;  // no children
        if (info.si_pid == 0) return;                                           // none exited
        if (tracked(info.si_pid)) break;
        wait_id(P_PID, info.si_pid, info, WEXITED | WNOHANG);
    }
    if (!thorough) return;
    // The kernel keeps answering with that same tracked zombie until its owner
    // reaps it, hiding any other: ask each untracked child in turn instead.
    for (pid_t child : detail::own_children()) {
        if (!tracked(child)) wait_id(P_PID, child, info, WEXITED | WNOHANG);
    }
}

std::vector<Adoptee> adopted_children(const std::function<bool(pid_t)>& tracked) {
    std::vector<Adoptee> out;
    for (pid_t child : detail::own_children()) {
        if (tracked(child)) continue;
        auto st = detail::read_proc_stat(child);
        if (st && st->state != 'Z') out.push_back({child, st->start_time, st->pgid, st->sid});
    }
    return out;
}

void raise_open_file_limit() {
    struct rlimit lim {};
    if (g_nofile_raised || ::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max)
        return;
    const struct rlimit before = lim;
    lim.rlim_cur = lim.rlim_max;
    if (::setrlimit(RLIMIT_NOFILE, &lim) != 0) return;
    g_child_nofile = before;
    g_nofile_raised = true;
}

Result<void> become_child_subreaper() {
    if (prctl(PR_SET_CHILD_SUBREAPER, 1UL, 0UL, 0UL, 0UL) != 0) {
        return make_error(Errc::exec, "cannot become a child subreaper: " + errno_text(errno));
    }
    return {};
}

const char* signal_name(int sig) {
    // Built once: sigabbrev_np ("KILL") has no real-time names (NULL).
    static const std::array<std::string, NSIG> k_names = [] {
        std::array<std::string, NSIG> names;
        for (int i = 0; i < NSIG; ++i) {
            const char* abbrev = sigabbrev_np(i);
            names[static_cast<std::size_t>(i)] =
                abbrev ? std::string("SIG") + abbrev : "SIG" + std::to_string(i);
        }
        return names;
    }();
    if (sig >= 0 && sig < NSIG) return k_names[static_cast<std::size_t>(sig)].c_str();
    thread_local std::string other;
    other = "SIG" + std::to_string(sig);
    return other.c_str();
}

Result<ReadEnd> read_available(int fd, std::string& out, std::size_t max_bytes) {
    char buf[65536];
    std::size_t total = 0;
    while (total < max_bytes) {
        std::size_t want = std::min(sizeof buf, max_bytes - total);
        ssize_t n = read(fd, buf, want);
        if (n > 0) {
            out.append(buf, static_cast<std::size_t>(n));
            total += static_cast<std::size_t>(n);
            continue;
        }
        if (n == 0) return ReadEnd::eof;
        if (errno == EINTR) continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) return ReadEnd::open;
        return make_error(Errc::io, "cannot read from a child's pipe: " + errno_text(errno));
    }
    return ReadEnd::open;
}

}  // namespace weft::exec
