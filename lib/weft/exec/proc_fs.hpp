#pragma once
// Internal to weft::exec: reading /proc and errno text.
#include <sys/types.h>

#include <optional>
#include <string>
#include <vector>

namespace weft::exec::detail {

// The fields of /proc/PID/stat that exec uses.
struct ProcStat {
    pid_t pid = 0;
    char state = '?';  // R, S, D, Z, T, ...
    pid_t ppid = 0;
    pid_t pgid = 0;
    pid_t sid = 0;
    unsigned long long flags = 0;  // field 9: PF_* (PF_KTHREAD for kernel threads)
    long long start_time = 0;      // field 22
    // Fields 50 and 51: where the environment lies in the process's memory.
    // Both 0 while the process has no memory map of its own (a kernel thread,
    // an exiting process), while an execve has replaced its map but not yet
    // set up the new environment, and when we may not read its memory.
    // `has_env_bounds` is false if the kernel does not show them (< 3.5).
    unsigned long long env_start = 0;
    unsigned long long env_end = 0;
    bool has_env_bounds = false;
};

// /proc/`pid`/stat, or nullopt if the process is gone (or the file is odd).
std::optional<ProcStat> read_proc_stat(pid_t pid);

// The whole content of `path` into `out`; false if it cannot be read (a
// process that is gone, EACCES for another user's environ).
bool read_whole_file(const char* path, std::string& out);

// Pids listed as numeric entries of /proc (thread-group leaders).
std::vector<pid_t> all_pids();

// The caller's children, zombies included: /proc/self/task/*/children, or a
// scan of all of /proc when the kernel lacks CONFIG_PROC_CHILDREN.
std::vector<pid_t> own_children();

// strerror text for `err`, thread-safe.
std::string errno_text(int err);

}  // namespace weft::exec::detail
