#pragma once
// The local executor: each attempt one process group on this machine
// (exec/process.hpp), its stdout and stderr read from pipes into log lines
// (a plugin's stdout is its result, SPEC §7), its end seen through a pidfd,
// and whatever it leaves behind swept: SIGTERM at once, SIGKILL after the
// kill-grace. It is a child subreaper's reaper too: orphans of steps that
// no attempt leads are reaped on SIGCHLD.
#include <list>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "weft/engine/executor.hpp"
#include "weft/events/uv_handle.hpp"

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
    void close() override;

    struct Process;
    struct Sweep;

  private:
    void read_pipe(Process& p, int stream, bool final);
    void done(Process& p);
    void add_sweep(const Process& p);
    void run_sweep(Sweep* s);
    bool is_tracked(pid_t pid) const { return m_leaders.count(pid) > 0; }

    uv_loop_s* m_loop;
    ExecHost& m_host;
    Clock& m_clock;
    std::vector<std::string> m_base_env;
    std::unordered_map<pid_t, Process*> m_leaders;  // running attempts, by pid
    std::list<std::unique_ptr<Sweep>> m_sweeps;
    events::UvHandle<uv_signal_t> m_sigchld;
};

}  // namespace weft::engine
