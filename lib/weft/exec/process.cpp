#include "weft/exec/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstdlib>

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

const char* path_of(const std::vector<std::string>& env) {
    for (const std::string& e : env) {
        if (e.compare(0, 5, "PATH=") == 0) return e.c_str() + 5;
    }
    if (const char* p = std::getenv("PATH")) return p;
    return "/bin:/usr/bin";  // glibc's default when PATH is unset (confstr _CS_PATH)
}

// execvp's search done here: it must use the child's PATH and cwd, which
// posix_spawnp cannot (it searches the parent's PATH). Returns the path to
// exec, or the errno to report: EACCES if only non-executable files matched.
Result<std::string> resolve_program(const SpawnRequest& r) {
    const std::string& name = r.argv[0];
    if (name.find('/') != std::string::npos) return name;
    std::string_view path = path_of(r.env);
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

// posix_spawn reports a failed chdir and a failed exec with the same errno
// values; look at the directory to tell which one it was.
std::string spawn_failure(const SpawnRequest& r, int err) {
    std::string msg = "cannot run '" + r.argv[0] + "': ";
    if (!r.cwd.empty()) {
        int fd = open(r.cwd.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        int dir_err = errno;
        if (fd >= 0) {
            dir_err = faccessat(fd, ".", X_OK, 0) == 0 ? 0 : errno;
            close(fd);
        }
        if (dir_err != 0) return msg + "working directory '" + r.cwd + "': " + errno_text(dir_err);
    }
    return msg + errno_text(err);
}

std::vector<char*> c_strings(const std::vector<std::string>& v) {
    std::vector<char*> out;
    out.reserve(v.size() + 1);
    for (const std::string& s : v) out.push_back(const_cast<char*>(s.c_str()));
    out.push_back(nullptr);
    return out;
}

// sigfillset leaves out glibc's internal signals (32 and 33, below SIGRTMIN),
// and without them in the SETSIGDEF set glibc 2.36's spawn helper sets them to
// SIG_IGN, which survives exec (SigIgn 0x180000000 in the child's
// /proc/PID/status). sigaddset refuses them too, so set the bits directly:
// the child then starts as after fork + exec, every signal at SIG_DFL.
void add_glibc_internal_signals(sigset_t& set) {
    constexpr int k_bits = 8 * sizeof(set.__val[0]);
    for (int sig = 32; sig < SIGRTMIN; ++sig) {
        set.__val[(sig - 1) / k_bits] |= 1UL << ((sig - 1) % k_bits);
    }
}

class SpawnSetup {
  public:
    SpawnSetup() {
        posix_spawn_file_actions_init(&actions);
        posix_spawnattr_init(&attr);
    }
    SpawnSetup(const SpawnSetup&) = delete;
    SpawnSetup& operator=(const SpawnSetup&) = delete;
    ~SpawnSetup() {
        posix_spawn_file_actions_destroy(&actions);
        posix_spawnattr_destroy(&attr);
    }
    posix_spawn_file_actions_t actions;
    posix_spawnattr_t attr;
};

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

    SpawnSetup s;
    const char* input = r.stdin_path.empty() ? "/dev/null" : r.stdin_path.c_str();
    int rc = posix_spawn_file_actions_addopen(&s.actions, 0, input, O_RDONLY, 0);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&s.actions, fds[out_write], 1);
    if (rc == 0) rc = posix_spawn_file_actions_adddup2(&s.actions, fds[err_write], 2);
    if (rc == 0 && !r.cwd.empty())
        rc = posix_spawn_file_actions_addchdir_np(&s.actions, r.cwd.c_str());
    // Our fds are O_CLOEXEC, but a library's may not be: close everything.
    if (rc == 0) rc = posix_spawn_file_actions_addclosefrom_np(&s.actions, 3);

    // The engine ignores SIGPIPE and handles others; the child must start
    // clean (a SIG_IGN disposition survives exec, and sh cannot undo it).
    sigset_t empty_mask;
    sigset_t all_signals;
    sigemptyset(&empty_mask);
    sigfillset(&all_signals);
    add_glibc_internal_signals(all_signals);
    if (rc == 0) {
        rc = posix_spawnattr_setflags(
            &s.attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    }
    if (rc == 0) rc = posix_spawnattr_setpgroup(&s.attr, 0);
    if (rc == 0) rc = posix_spawnattr_setsigmask(&s.attr, &empty_mask);
    if (rc == 0) rc = posix_spawnattr_setsigdefault(&s.attr, &all_signals);
    if (rc != 0) return make_error(Errc::exec, "cannot run '" + r.argv[0] + "': " + errno_text(rc));

    std::vector<char*> argv = c_strings(r.argv);
    std::vector<char*> envp = c_strings(r.env);
    pid_t pid = -1;
    // glibc's posix_spawn uses clone(CLONE_VM | CLONE_VFORK): its cost does not
    // grow with our memory, and it returns the child's chdir/exec errno.
    rc = posix_spawn(&pid, program->c_str(), &s.actions, &s.attr, argv.data(), envp.data());
    if (rc != 0) return make_error(Errc::exec, spawn_failure(r, rc));

    close(fds.release(out_write));
    close(fds.release(err_write));

    Child c;
    c.pid = pid;
    // Nobody else reaps our children before we have opened the pidfd, so `pid`
    // still names this process (a zombie at worst).
    // Not glibc's pidfd_open: 2.36's <sys/pidfd.h> lacks extern "C" (fixed in
    // 2.37), so C++ callers get an undefined mangled symbol.
    c.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0U));
    if (c.pidfd < 0) {
        int err = errno;
        kill(pid, SIGKILL);
        while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {
        }
        return make_error(Errc::exec,
                          "cannot watch '" + r.argv[0] + "': pidfd_open: " + errno_text(err));
    }
    c.start_time = process_start_time(pid);
    c.stdout_fd = fds.release(out_read);
    c.stderr_fd = fds.release(err_read);
    return c;
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

void reap_untracked(const std::function<bool(pid_t)>& tracked) {
    // Peek (WNOWAIT) at whichever child has exited; reap it if untracked.
    siginfo_t info;
    for (;;) {
        if (wait_id(P_ALL, 0, info, WEXITED | WNOHANG | WNOWAIT) != 0) return;  // no children
        if (info.si_pid == 0) return;                                           // none exited
        if (tracked(info.si_pid)) break;
        wait_id(P_PID, info.si_pid, info, WEXITED | WNOHANG);
    }
    // The kernel keeps answering with that same tracked zombie until its owner
    // reaps it, hiding any other: ask each untracked child in turn instead.
    for (pid_t child : detail::own_children()) {
        if (!tracked(child)) wait_id(P_PID, child, info, WEXITED | WNOHANG);
    }
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
