#pragma once
// The local executor: each attempt one process group on this machine
// (exec/process.hpp), started in a cgroup v2 of its own where weft can make
// one (exec/cgroup.hpp), its script on an inherited memfd, its stdout and stderr read from pipes
// into log lines (a plugin's stdout is its result, SPEC §7), its end seen through a pidfd (these
// three fds of every attempt in one epoll set of its own, which the loop polls as one fd), and
// whatever it leaves behind swept: SIGTERM at once, SIGKILL after the kill-grace. It is a child
// subreaper's reaper too: orphans of steps that no attempt leads are reaped every
// k_reap_every_ms while an attempt runs, when the last one ends, and while a sweep runs (not on
// SIGCHLD, which weft leaves at its default: a signal, its handler and its wake-up per step cost
// more than a peek at each end and a few a second).
#include <cstdint>
#include <list>
#include <memory>
#include <set>
#include <string>
#include <unordered_map>
#include <vector>

#include "weft/engine/executor.hpp"
#include "weft/events/uv_handle.hpp"
#include "weft/exec/cgroup.hpp"
#include "weft/exec/process.hpp"

namespace weft::engine {

class LocalExecutor final : public Executor {
  public:
    // `base_env`: weft's own environment, under every attempt's.
    LocalExecutor(uv_loop_s* loop, ExecHost& host, Clock& clock, std::vector<std::string> base_env);
    ~LocalExecutor() override;

    std::unique_ptr<Attempt> new_attempt() override;
    Result<void> prepare(Attempt& a) override;
    Result<void> start(Attempt& a) override;
    void follow(Attempt& a) override;
    void reattach(Attempt& a, const store::SlurmJobRef& job, long long out_offset,
                  long long err_offset) override;
    bool terminate(Attempt& a) override;
    void kill(Attempt& a) override;
    void kill_all() override;
    void run_ended(model::RowId run) override;
    void close() override;

    struct Process;
    struct Sweep;

  private:
    void watch(Process& p, int fd, std::uint64_t kind);
    void watched_changed();
    void start_reaping();
    void dispatch();
    void read_pipe(Process& p, int stream, bool final);
    void take_outputs(const Process& p, bool reusable, ExecEnd& end);
    void done(Process& p);
    void make_cgroup(Process& p, exec::SpawnRequest& sr);
    int signal_all(const Process& p, int sig);
    static int signal_sweep(pid_t pid, long long start_time, const std::string& marker,
                            const std::string& cgroup, int sig);
    void add_sweep(const Process& p);
    void sweep_adopted(const Process& ended);
    void run_sweep(Sweep* s);
    bool is_tracked(pid_t pid) const { return m_leaders.count(pid) > 0; }

    uv_loop_s* m_loop;
    ExecHost& m_host;
    Clock& m_clock;
    std::vector<std::string> m_base_env;
    std::vector<std::string> m_base_keys;           // the name of each m_base_env entry
    std::unordered_map<pid_t, Process*> m_leaders;  // running attempts, by pid
    std::list<std::unique_ptr<Sweep>> m_sweeps;
    // Without cgroups: processes steps left that weft's subreaper received,
    // with the attempts running when weft first saw each (SPEC §9.4).
    struct Adopted {
        long long start_time;
        pid_t pgid, sid;
        std::set<model::RowId> witnesses;
    };
    std::unordered_map<pid_t, Adopted> m_adopted;
    std::string m_cgroup_dir;   // exec::cgroup::owner_dir of this weft process
    bool m_no_cgroups = false;  // weft cannot make them here
    int m_cgroups_made = 0;     // names them a-1, a-2, ...
    // Empty cgroups that ended attempts left, for the next ones (make_cgroup).
    std::vector<exec::cgroup::Group> m_idle_cgroups;  // at most k_idle_cgroups
    // One epoll set for the fds of every followed attempt (watch()), polled by
    // the loop as one fd; m_watched finds an attempt by its Process::watch_id.
    int m_epfd = -1;
    events::UvHandle<uv_poll_t> m_epoll_poll;
    // While an attempt runs: reaps the orphans its processes leave.
    events::UvHandle<uv_timer_t> m_reap_timer;
    std::unordered_map<std::uint64_t, Process*> m_watched;
    std::uint64_t m_last_watch = 0;
    // Per run: $WEFT_OUTPUT files of ended attempts, emptied, for prepare()
    // to reuse rather than create one per attempt.
    struct OutputFiles {
        std::vector<std::string> free;
        int made = 0;  // names them out-1, out-2, ... (a reused run directory
                       // keeps the files of its last run under these names)
    };
    std::unordered_map<model::RowId, OutputFiles> m_output_pool;
};

}  // namespace weft::engine
