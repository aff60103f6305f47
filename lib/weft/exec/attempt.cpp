// Finding and signalling the processes of an attempt through /proc
// (process.hpp). cgroup v1 machines have no cgroup.kill, hence the scan.
#include <signal.h>
#include <unistd.h>

#include <fmt/core.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <optional>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <unordered_set>

#include "weft/exec/proc_fs.hpp"
#include "weft/exec/process.hpp"

namespace weft::exec {
namespace {

using detail::ProcStat;

// `environ` (NUL-separated entries) holds exactly `entry`.
bool has_env_entry(std::string_view environ, std::string_view entry) {
    for (std::size_t pos = 0; pos < environ.size();) {
        std::size_t end = environ.find('\0', pos);
        if (end == std::string_view::npos) end = environ.size();
        if (environ.substr(pos, end - pos) == entry) return true;
        pos = end + 1;
    }
    return false;
}

using Clock = std::chrono::steady_clock;

constexpr unsigned long long k_pf_exiting = 0x00000004;  // PF_EXITING, <linux/sched.h>
constexpr unsigned long long k_pf_kthread = 0x00200000;  // PF_KTHREAD

// How long one scan waits, in all, for processes to finish an execve.
constexpr std::chrono::milliseconds k_exec_settle{500};

// Whether `pid` (started at `start_time`) holds `marker` in its environment.
//
// /proc/PID/environ reads empty while the process is inside an execve, from
// the moment its old memory map is replaced until the new image's environment
// is set up (the kernel shows env_end 0 then). A job that `sh -c 'sleep 1 &'`
// has just forked is usually there when its leader exits: taking it for one
// without the marker loses a setsid escapee, or leaves the group unvouched
// for once the leader is reaped, and its processes would outlive the step.
// So wait for that exec to finish, until `deadline` (set on the first wait:
// the scan's whole budget), instead of guessing.
bool carries_marker(pid_t pid, long long start_time, const std::string& marker, std::string& buf,
                    std::optional<Clock::time_point>& deadline) {
    if (marker.empty()) return false;
    const std::string path = fmt::format("/proc/{}/environ", pid);
    for (;;) {
        // Gone, or not ours to read (another user's).
        if (!detail::read_whole_file(path.c_str(), buf)) return false;
        if (!buf.empty()) return has_env_entry(buf, marker);
        auto st = detail::read_proc_stat(pid);
        if (!st || st->start_time != start_time || st->state == 'Z' || st->state == 'X') {
            return false;
        }
        // A kernel thread has no environment; an exiting process needs no signal.
        if ((st->flags & (k_pf_kthread | k_pf_exiting)) != 0 || !st->has_env_bounds) return false;
        if (st->env_end != 0 && st->env_start == st->env_end) return false;  // an empty environment
        auto now = Clock::now();
        if (!deadline) deadline = now + k_exec_settle;
        if (now >= *deadline) return false;
        // env_end 0: still inside the execve. Set meanwhile: read it again.
        if (st->env_end == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

struct Scan {
    std::vector<ProcStat> procs;  // live processes of the attempt, sorted by pid
    bool group_trusted = false;   // kill(-pid) reaches only the attempt's processes
};

Scan scan_attempt(pid_t pid, long long start_time, const std::string& marker) {
    const pid_t self = getpid();
    const long long leader_start = pid > 0 ? process_start_time(pid) : 0;
    const bool leader_ok = start_time > 0 && leader_start == start_time;

    // Every live process that could belong to the attempt: one started before
    // the attempt's leader cannot descend from it.
    std::unordered_map<pid_t, ProcStat> candidates;
    std::unordered_map<pid_t, std::vector<pid_t>> children;
    for (pid_t p : detail::all_pids()) {
        if (p == self) continue;
        auto st = detail::read_proc_stat(p);
        if (!st || st->state == 'Z' || st->state == 'X') continue;
        if (st->start_time < start_time) continue;
        candidates.emplace(p, *st);
        children[st->ppid].push_back(p);
    }

    std::vector<pid_t> found;
    std::string buf;
    std::optional<Clock::time_point> settle_deadline;
    bool marked_in_group = false;
    for (const auto& [p, st] : candidates) {
        if (carries_marker(p, st.start_time, marker, buf, settle_deadline)) {
            found.push_back(p);
            if (st.pgid == pid) marked_in_group = true;
        }
    }
    Scan scan;
    // A group id stays allocated while the group has members, so once the
    // leader is reaped a marked member proves the group is still ours.
    scan.group_trusted = pid > 0 && (leader_ok || (leader_start == 0 && marked_in_group));
    if (scan.group_trusted) {
        for (const auto& [p, st] : candidates) {
            if (st.pgid == pid) found.push_back(p);
        }
    }
    if (leader_ok) found.push_back(pid);

    // Descendants of everything found, breadth first.
    std::unordered_set<pid_t> seen;
    for (std::size_t i = 0; i < found.size(); ++i) {
        pid_t p = found[i];
        if (!seen.insert(p).second) continue;
        if (auto it = children.find(p); it != children.end()) {
            found.insert(found.end(), it->second.begin(), it->second.end());
        }
    }
    for (pid_t p : seen) {
        // The leader may be a zombie, missing from the candidates.
        if (auto it = candidates.find(p); it != candidates.end()) scan.procs.push_back(it->second);
    }
    std::sort(scan.procs.begin(), scan.procs.end(),
              [](const ProcStat& a, const ProcStat& b) { return a.pid < b.pid; });
    return scan;
}

}  // namespace

long long process_start_time(pid_t pid) {
    if (pid <= 0) return 0;
    auto st = detail::read_proc_stat(pid);
    return st ? st->start_time : 0;
}

std::vector<pid_t> attempt_processes(pid_t pid, long long start_time, const std::string& marker) {
    std::vector<pid_t> pids;
    for (const ProcStat& st : scan_attempt(pid, start_time, marker).procs) pids.push_back(st.pid);
    return pids;
}

int signal_attempt(pid_t pid, long long start_time, const std::string& marker, int sig) {
    Scan scan = scan_attempt(pid, start_time, marker);
    // The group first, in one call: members forking meanwhile are caught too.
    bool group_signalled = scan.group_trusted && kill(-pid, sig) == 0;
    int count = 0;
    for (const ProcStat& st : scan.procs) {
        if (group_signalled && st.pgid == pid) {
            ++count;
        } else if (kill(st.pid, sig) == 0) {
            ++count;
        }
    }
    return count;
}

int kill_marked(const std::string& prefix) {
    int killed = 0;
    std::string buf;
    const pid_t self = ::getpid();
    for (int pass = 0; pass < 5; ++pass) {
        int found = 0;
        for (pid_t p : detail::all_pids()) {
            if (p == self) continue;
            const std::string path = fmt::format("/proc/{}/environ", p);
            if (!detail::read_whole_file(path.c_str(), buf)) continue;
            for (std::size_t pos = 0; pos < buf.size();) {
                std::size_t end = buf.find('\0', pos);
                if (end == std::string::npos) end = buf.size();
                if (std::string_view(buf).substr(pos, end - pos).substr(0, prefix.size()) ==
                    prefix) {
                    if (kill(p, SIGKILL) == 0) ++found;
                    break;
                }
                pos = end + 1;
            }
        }
        killed += found;
        if (found == 0) break;
    }
    return killed;
}

bool maybe_leftovers(pid_t pgid, const std::function<bool(pid_t)>& tracked) {
    // EPERM: a member we may not signal (setuid) is still a member.
    if (pgid > 0 && (kill(-pgid, 0) == 0 || errno == EPERM)) return true;
    for (pid_t child : detail::own_children()) {
        if (!tracked(child)) return true;
    }
    return false;
}

}  // namespace weft::exec
