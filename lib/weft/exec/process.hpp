#pragma once
// Local processes: our own spawner (clone3 into a new process group, and
// into a cgroup of its own where there is one,
// watched through a pidfd), reaping in one place as a child subreaper, and
// finding every process of an attempt — its group, its descendants, and the
// ones that left both but still carry the attempt's marker in their
// environment — so none outlives its step (SPEC §4, DESIGN.md §2).
//
// Plain POSIX/Linux calls only: the engine polls the fds returned here with
// its own loop. Needs Linux >= 5.11 (clone3 with CLONE_PIDFD and
// CLONE_INTO_CGROUP, close_range with CLOSE_RANGE_CLOEXEC).
#include <sys/types.h>

#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/util/result.hpp"

namespace weft::exec {

struct SpawnRequest {
    // The program and its arguments. An `argv[0]` without '/' is looked up in
    // the PATH of `env` (the parent's PATH if `env` has none); a relative one
    // with '/' is taken relative to `cwd`.
    std::vector<std::string> argv;
    std::vector<std::string> env;  // the complete environment, `KEY=VALUE` entries
    std::string cwd;               // working directory; empty: the caller's
    std::string stdin_path = {};   // file to read as stdin; empty: /dev/null
    int stdin_fd = -1;             // else this fd (the caller's, left open) as stdin
    int script_fd = -1;            // inherited as fd k_script_fd (/dev/fd/3) when >= 0
    int cgroup_fd = -1;            // started in this cgroup v2 (exec/cgroup.hpp) when >= 0
    // Or, when not empty, the complete environment as the caller's strings,
    // alive until spawn returns (no copy per spawn); `env` is then unused.
    std::vector<const char*> env_view = {};
};

// The fd number at which a SpawnRequest's script_fd reaches the child.
constexpr int k_script_fd = 3;

// A running process, owned by the caller: it must reap `pid` (try_reap) and
// close the fds (close_fds).
struct Child {
    pid_t pid = -1;            // also its process group id
    int pidfd = -1;            // readable once the process has exited
    int stdout_fd = -1;        // read ends of its stdout and stderr pipes,
    int stderr_fd = -1;        //   O_NONBLOCK | O_CLOEXEC
    long long start_time = 0;  // field 22 of /proc/PID/stat (clock ticks after boot)
    bool in_cgroup = false;    // started in SpawnRequest::cgroup_fd (false: clone3 refused)
    int cgroup_errno = 0;      // why clone3 refused the cgroup, when it did
};

// Start `r.argv` in a new process group (its own pid as pgid) with exactly
// `r.env`, stdin from `r.stdin_fd` or `r.stdin_path` (default /dev/null), stdout and stderr to
// fresh pipes, `r.script_fd` at k_script_fd, no other fd inherited, in the cgroup `r.cgroup_fd`
// from its first instruction (clone3 with CLONE_INTO_CGROUP: nothing it forks can start
// outside), an empty signal mask and every signal at its default disposition. Errc::exec
// naming the program (and `r.cwd` when it is the cause) with the system's reason when the process
// cannot be created: `cannot run 'foo': No such file or directory`, `cannot run 'ls': working
// directory '/x': Not a directory`.
Result<Child> spawn(const SpawnRequest& r);

// An anonymous file holding `content`, sealed against any change, for a
// child to read as /dev/fd/N (a script) or as stdin (a plugin's request): it
// never exists on disk, so a secret rendered into it stays in memory. Returns
// the fd (O_CLOEXEC, at offset 0), owned by the caller; Errc::exec on failure.
Result<int> sealed_memfd(const char* name, std::string_view content);

// Close the fds of `c` that are still open and set them to -1.
void close_fds(Child& c);

struct ExitStatus {
    std::optional<int> exit_code;  // set when the process exited
    std::optional<int> signal;     // set when a signal killed it
};

// Reap `pid` if it has exited, without blocking; nullopt while it runs. When
// `pid` is not (or no longer) a child of the caller, an ExitStatus with neither
// field set.
std::optional<ExitStatus> try_reap(pid_t pid);

// Reap, without blocking, exited children of the caller for which
// `tracked(pid)` is false: orphans reparented to a child subreaper. Tracked
// children are left for try_reap. `thorough`: also those the kernel hides
// behind an exited tracked child (a read of /proc/self/task/*/children);
// otherwise one system call when nothing is to be reaped, and a later call
// finds the hidden ones once that child is reaped.
void reap_untracked(const std::function<bool(pid_t)>& tracked, bool thorough);

// A live child of the caller that `tracked` does not know: a process a step
// left, reparented to the subreaper.
struct Adoptee {
    pid_t pid = 0;
    long long start_time = 0;
    pid_t pgid = 0;
    pid_t sid = 0;
};
std::vector<Adoptee> adopted_children(const std::function<bool(pid_t)>& tracked);

// Raise the caller's soft limit on open files to its hard limit (weft holds
// a few fds per running attempt); processes spawn() starts get the soft limit
// back that the caller had. Once per process; failures leave the limit as it was.
void raise_open_file_limit();

// Make the caller a child subreaper (PR_SET_CHILD_SUBREAPER): orphaned
// descendants are reparented to it rather than to init, so they stay visible
// and the caller must reap them (reap_untracked). Errc::exec if prctl fails.
Result<void> become_child_subreaper();

// Start time of `pid` (field 22 of /proc/PID/stat); 0 if there is no such
// process. A zombie still has its start time until it is reaped.
long long process_start_time(pid_t pid);

// Every live (not zombie) process of an attempt, except the caller, sorted:
// - members of process group `pid`;
// - descendants of `pid`, and of every process found, by their parent links;
// - processes whose environment (/proc/PID/environ) holds the exact entry
//   `marker` (e.g. `WEFT_ATTEMPT_KEY=123:4:build:1`), which catches those that
//   called setsid() and were reparented.
// `pid` and its group are trusted only while process_start_time(pid) ==
// `start_time` (so a reused pid is never taken for the attempt's); once `pid`
// is reaped, its group is trusted only if a process carrying `marker` is still
// in it (the group id cannot be reused while the group has members). Processes
// started before `start_time` are never included. Scans all of /proc. A
// process inside an execve has no readable environment until the new image's
// is set up: the scan waits for such execs to finish (500 ms at most in all),
// so a job that was just forked when its leader exited is not missed.
std::vector<pid_t> attempt_processes(pid_t pid, long long start_time, const std::string& marker);

// Send `sig` to every process of the attempt, as found by attempt_processes:
// kill(-pid) for the group when it is trusted, kill() for each other process,
// so no process receives `sig` twice. Returns how many processes were
// signalled. A process forking meanwhile can escape one call: repeat until
// attempt_processes is empty.
int signal_attempt(pid_t pid, long long start_time, const std::string& marker, int sig);

// Cheap check after a step's leader was reaped (it scans only the caller's own
// children, not /proc): true if process group `pgid` still has members, or the
// caller has a child for which `tracked(pid)` is false (an orphan reparented to
// the subreaper). False positives are possible (e.g. another step's orphan);
// confirm with attempt_processes.
// SIGKILL every process (but the caller) whose environment holds an entry
// starting with `prefix` (e.g. `WEFT_ATTEMPT_KEY=OWNER:`, every attempt of a
// dead weft process, whether or not their pids were recorded). Scans /proc
// until a pass finds none (at most a few passes); returns how many it killed.
int kill_marked(const std::string& prefix);

bool maybe_leftovers(pid_t pgid, const std::function<bool(pid_t)>& tracked);

// `SIGKILL`, `SIGTERM`, ...; `SIG<n>` for a number without a name (real-time
// signals included).
const char* signal_name(int sig);

enum class ReadEnd { open, eof };

// Append to `out` what non-blocking `fd` has available now, at most
// `max_bytes` (so one busy writer cannot starve an event loop). ReadEnd::eof
// once the writer side is closed and everything was read. Errc::io on a read
// error.
Result<ReadEnd> read_available(int fd, std::string& out, std::size_t max_bytes = 1 << 20);

}  // namespace weft::exec
