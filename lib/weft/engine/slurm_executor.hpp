#pragma once
// The Slurm executor (SPEC §8, `runs-on: slurm`): each attempt one batch
// job whose files live in the shared job directory (exec/slurm.hpp). A job
// is submitted once its attempt is committed, and followed by one timer for
// every job: it reads the jobs' files each k_job_poll_ms and asks squeue
// about all of them at once at most every k_queue_every. A job's own exit
// code file is the authority; Slurm's word is needed only for jobs that
// ended without writing one.
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "weft/engine/executor.hpp"
#include "weft/events/uv_handle.hpp"

namespace weft::engine {

class SlurmExecutor final : public Executor {
  public:
    // `state_dir` names the jobs; `slurm_dir` (absolute) holds their files;
    // `base_env` is the environment of the Slurm commands.
    SlurmExecutor(uv_loop_s* loop, ExecHost& host, Clock& clock, std::string state_dir,
                  std::string slurm_dir, std::vector<std::string> base_env);
    ~SlurmExecutor() override;

    std::unique_ptr<Attempt> new_attempt() override;
    Result<void> prepare(Attempt& a) override;
    void recorded(Attempt& a) override;
    Result<void> start(Attempt& a) override;
    void follow(Attempt& a) override;
    void reattach(Attempt& a, const store::SlurmJobRef& job, long long out_offset,
                  long long err_offset) override;
    bool terminate(Attempt& a) override;
    void run_ended(model::RowId run) override;
    void store_failed() override;
    void close() override;

    struct Job;

  private:
    void watch(Job* j);
    void submit(Job* j);
    void poll();
    void read_output(Job& j, bool final);
    void settle(Job* j, std::optional<int> exit_code, const std::string& failure);

    uv_loop_s* m_loop;
    ExecHost& m_host;
    Clock& m_clock;
    std::string m_state_dir, m_slurm_dir;
    std::vector<std::string> m_env;
    std::list<Job*> m_jobs;                                    // followed
    std::map<model::RowId, std::set<std::string>> m_run_dirs;  // one per shared directory
    events::UvHandle<uv_timer_t> m_timer;
    TimePoint m_queue_asked{};
    bool m_queue_warned = false;
};

}  // namespace weft::engine
