#pragma once
// Process liveness without guessing from pids: every weft process that runs
// workflows holds an exclusive flock on its own lock file in STATE_DIR/locks;
// the kernel drops it when the process dies, however it dies. A run records
// its owner's token (the file's name), so any later weft can tell whether the
// owner is still alive.
#include <optional>
#include <string>

#include "weft/store/store.hpp"
#include "weft/util/result.hpp"

namespace weft::engine {

class OwnerLock {
  public:
    // Create (or take from the spares of STATE_DIR/tmp) and lock
    // STATE_DIR/locks/PID-STARTTIME.lock. Errc::state on failure.
    static Result<OwnerLock> acquire(const std::string& state_dir);
    OwnerLock(OwnerLock&& o) noexcept;
    OwnerLock& operator=(OwnerLock&&) = delete;
    ~OwnerLock();  // unlocks the file and keeps it as a spare (spare.hpp) or removes it
    const std::string& token() const { return m_token; }

  private:
    OwnerLock(int fd, std::string path, std::string token, std::string tmp_dir)
        : m_fd(fd),
          m_path(std::move(path)),
          m_token(std::move(token)),
          m_tmp_dir(std::move(tmp_dir)) {}
    int m_fd = -1;
    std::string m_path;
    std::string m_token;
    std::string m_tmp_dir;  // STATE_DIR/tmp, where its spare goes
};

// At most one `weft up` per database (SPEC §5): an flock on
// STATE_DIR/engine.lock, which holds "PID TOKEN" of the engine.
class EngineLock {
  public:
    // Errc::state naming the running engine's pid when one holds the lock.
    static Result<EngineLock> acquire(const std::string& state_dir, const std::string& token);
    EngineLock(EngineLock&& o) noexcept : m_fd(o.m_fd) { o.m_fd = -1; }
    EngineLock& operator=(EngineLock&&) = delete;
    ~EngineLock();

  private:
    explicit EngineLock(int fd) : m_fd(fd) {}
    int m_fd = -1;
};

struct RunningEngine {
    long pid = 0;
    std::string token;  // its OwnerLock token: the control socket's name
};
// The engine running on the database of `state_dir`, if one is.
std::optional<RunningEngine> running_engine(const std::string& state_dir);

// True while the process that holds `token`'s lock lives. When it is dead,
// its lock and socket files are removed and every process left in its
// attempts' cgroups (exec/cgroup.hpp; the path is in the lock file) is
// killed.
bool owner_alive(const std::string& state_dir, const std::string& token);

// Crash recovery (SPEC §4): every run still `running` or `queued` whose owner
// is dead becomes `interrupted`, with its running steps and attempts, and the
// leftover processes of those attempts are killed (by their cgroup, and
// by pid start time and the attempt's environment marker). Slurm attempts are never cancelled:
// one whose job Slurm still knows (by id, or by name if the id was never
// written) or whose exit code file exists stays `running` for `weft resume` to
// follow (its step `interrupted`, with a message saying so); one whose job left
// no trace becomes `interrupted`. Returns how many runs it recovered.
// Its dead run's files (STATE_DIR/tmp/run-N) are removed too.
Result<int> recover_dead_runs(store::Store& store, const std::string& state_dir);

// Remove STATE_DIR/tmp/run-`run` and everything in it (a link is removed,
// never followed).
void remove_run_files(const std::string& state_dir, model::RowId run);

// For `weft prune`: remove every STATE_DIR/tmp/run-N whose run is neither
// running nor queued (a run that ended, or one a dead weft left). Returns
// how many it removed; none when the runs cannot be read.
int remove_dead_run_files(store::Store& store, const std::string& state_dir);

}  // namespace weft::engine
