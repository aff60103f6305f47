#include "weft/engine/owner.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <vector>

#include "weft/engine/spare.hpp"
#include "weft/exec/cgroup.hpp"
#include "weft/exec/process.hpp"
#include "weft/exec/slurm.hpp"

extern char** environ;

namespace weft::engine {

Result<OwnerLock> OwnerLock::acquire(const std::string& state_dir) {
    const std::string dir = state_dir + "/locks";
    if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
        return make_error(Errc::state, "cannot create " + dir + ": " + std::strerror(errno));
    const pid_t pid = ::getpid();
    const std::string token =
        std::to_string(pid) + "-" + std::to_string(exec::process_start_time(pid));
    const std::string path = dir + "/" + token + ".lock";
    // Locked under a name no one reads, then renamed: a TOKEN.lock that
    // another weft can see is always locked already, so its recovery never
    // takes a starting process for a dead one (and removes its lock file).
    const std::string fresh = dir + "/." + token + ".new";
    // A spare file (spare.hpp) if there is one: an ended weft's lock file,
    // emptied. Its owner may still hold it for a moment (it gives the file
    // back, then exits), and so may a weft that found that owner dead: then
    // it is removed and a new file made.
    int fd = spare::take_file(state_dir + "/tmp", fresh);
    if (fd >= 0 && ::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        fd = -1;
    }
    if (fd < 0) {
        ::unlink(fresh.c_str());
        fd = ::open(fresh.c_str(), O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    }
    if (fd < 0)
        return make_error(Errc::state, "cannot create " + fresh + ": " + std::strerror(errno));
    // Where this process's attempt cgroups go, for a later weft to kill
    // whatever they hold should this one die (the later one may live in
    // another cgroup, so it could not compute the path itself).
    const std::string cgroups = exec::cgroup::owner_dir(token);
    if (::pwrite(fd, cgroups.data(), cgroups.size(), 0) != static_cast<ssize_t>(cgroups.size()) ||
        ::flock(fd, LOCK_EX | LOCK_NB) != 0 || ::rename(fresh.c_str(), path.c_str()) != 0) {
        const int err = errno;
        ::unlink(fresh.c_str());
        ::close(fd);
        return make_error(Errc::state, "cannot lock " + path + ": " + std::strerror(err));
    }
    return OwnerLock(fd, path, token, state_dir + "/tmp");
}

OwnerLock::OwnerLock(OwnerLock&& o) noexcept
    : m_fd(o.m_fd),
      m_path(std::move(o.m_path)),
      m_token(std::move(o.m_token)),
      m_tmp_dir(std::move(o.m_tmp_dir)) {
    o.m_fd = -1;
}

// The file leaves TOKEN.lock while still locked, as when it was removed: a
// weft that finds the name gone takes the owner for dead, which it is about
// to be, and one that opened it before sees it locked.
OwnerLock::~OwnerLock() {
    if (m_fd < 0) return;
    spare::give_file(m_tmp_dir, m_path, m_fd);
    ::close(m_fd);
}

Result<EngineLock> EngineLock::acquire(const std::string& state_dir, const std::string& token) {
    const std::string path = state_dir + "/engine.lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return make_error(Errc::state, "cannot create " + path + ": " + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        ::close(fd);
        const auto other = running_engine(state_dir);
        return make_error(
            Errc::state, "an engine already runs on this database" +
                             (other ? " (pid " + std::to_string(other->pid) + ")" : std::string()) +
                             "; one 'weft up' per state database");
    }
    const std::string text = std::to_string(::getpid()) + " " + token + "\n";
    if (::ftruncate(fd, 0) != 0 ||
        ::pwrite(fd, text.data(), text.size(), 0) != static_cast<ssize_t>(text.size())) {
        ::close(fd);
        return make_error(Errc::state, "cannot write " + path + ": " + std::strerror(errno));
    }
    return EngineLock(fd);
}

EngineLock::~EngineLock() {
    if (m_fd < 0) return;
    (void)::ftruncate(m_fd, 0);
    ::close(m_fd);
}

std::optional<RunningEngine> running_engine(const std::string& state_dir) {
    const std::string path = state_dir + "/engine.lock";
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    const bool held = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    char buf[256] = {};
    const ssize_t n = ::pread(fd, buf, sizeof buf - 1, 0);
    ::close(fd);
    if (!held || n <= 0) return std::nullopt;
    RunningEngine e;
    char token[200] = {};
    if (std::sscanf(buf, "%ld %199s", &e.pid, token) != 2) return std::nullopt;
    e.token = token;
    return e;
}

namespace {

// The attempt cgroups of a dead owner, as its lock file names them (or, for
// a lock written before weft used cgroups, where this process would put
// them): every process in them is killed, then they are removed.
void kill_owner_cgroups(int lock_fd, const std::string& token) {
    char buf[4096];
    const ssize_t n = ::pread(lock_fd, buf, sizeof buf - 1, 0);
    std::string dir = n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
    const std::string mount = exec::cgroup::mount_point();
    const std::string leaf = "/weft-" + token;
    // Only a path inside the cgroup mount and named for this owner.
    if (mount.empty() || dir.rfind(mount + "/", 0) != 0 || dir.size() < leaf.size() ||
        dir.compare(dir.size() - leaf.size(), leaf.size(), leaf) != 0 ||
        dir.find("/../") != std::string::npos)
        dir = exec::cgroup::owner_dir(token);
    exec::cgroup::kill_owner_dir(dir);
}

}  // namespace

bool owner_alive(const std::string& state_dir, const std::string& token) {
    if (token.empty() || token.find('/') != std::string::npos) return false;
    const std::string path = state_dir + "/locks/" + token + ".lock";
    const int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return false;
    const bool alive = ::flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    if (!alive) {  // a dead owner's files: tidy them, and end what its steps left
        kill_owner_cgroups(fd, token);
        ::unlink(path.c_str());
        ::unlink((state_dir + "/locks/" + token + ".sock").c_str());
    }
    ::close(fd);
    return alive;
}

namespace {

std::vector<std::string> env_of_process() {
    std::vector<std::string> env;
    for (char** e = environ; e && *e; ++e) env.emplace_back(*e);
    return env;
}

// The job of a Slurm attempt whose weft died, if it left a trace: its exit
// code file, or Slurm still knowing it (by id, or by name when weft died
// before it learnt the id). Nothing is ever cancelled or submitted here.
// When Slurm cannot be asked, the job is taken as alive: `weft resume`,
// which follows it, will know. `queue` is squeue's answer, asked once.
std::optional<store::SlurmJobRef> find_job(
    const store::SlurmJobRef& ref,
    std::optional<Result<std::vector<exec::slurm::QueueEntry>>>& queue) {
    if (exec::slurm::read_exit_code(ref.dir)) return ref;
    if (!queue) queue = exec::slurm::queue(env_of_process());
    if (!*queue) return ref;
    for (const auto& e : **queue)
        if (ref.job.empty() ? e.name == ref.name : e.id == ref.job) {
            auto found = ref;
            found.job = e.id;
            return found;
        }
    // Forgotten by squeue: accounting, where there is any, may still know
    // how it ended (`weft resume` then reports it).
    if (!ref.job.empty())
        if (auto acc = exec::slurm::accounting(ref.job, env_of_process()); acc && *acc) return ref;
    return std::nullopt;
}

}  // namespace

void remove_run_files(const std::string& state_dir, model::RowId run) {
    std::error_code ec;  // remove_all removes a link, never what it points to
    std::filesystem::remove_all(state_dir + "/tmp/run-" + std::to_string(run), ec);
}

int remove_dead_run_files(store::Store& store, const std::string& state_dir) {
    std::set<model::RowId> live;
    for (auto status : {model::RunState::running, model::RunState::queued}) {
        auto runs = store.runs_with_status(status);
        if (!runs) return 0;  // unsure which are alive: keep them all
        for (const auto& r : *runs) live.insert(r.id);
    }
    int removed = 0;
    DIR* d = ::opendir((state_dir + "/tmp").c_str());
    if (!d) return 0;
    std::vector<model::RowId> dead;
    while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        model::RowId id = 0;
        const char* first = name.c_str() + 4;
        const char* last = name.c_str() + name.size();
        if (name.rfind("run-", 0) != 0 || name.size() == 4 ||
            std::from_chars(first, last, id).ptr != last)
            continue;
        // A run another weft is creating has its directory before its row
        // commits: leave directories younger than a minute alone.
        struct stat st {};
        if (::fstatat(::dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            st.st_mtime > ::time(nullptr) - 60)
            continue;
        if (!live.count(id)) dead.push_back(id);
    }
    ::closedir(d);
    for (auto id : dead) {
        remove_run_files(state_dir, id);
        ++removed;
    }
    return removed;
}

Result<int> recover_dead_runs(store::Store& store, const std::string& state_dir) {
    // Processes of dead weft processes, found by the marker in their
    // environment: also those whose pids never reached the database (killed
    // between a spawn and its commit).
    if (DIR* d = ::opendir((state_dir + "/locks").c_str())) {
        std::vector<std::string> dead;
        while (const dirent* e = ::readdir(d)) {
            const std::string name = e->d_name;
            if (name.size() > 5 && name.compare(name.size() - 5, 5, ".lock") == 0) {
                const std::string token = name.substr(0, name.size() - 5);
                if (!owner_alive(state_dir, token)) dead.push_back(token);
            }
        }
        ::closedir(d);
        for (const auto& token : dead) exec::kill_marked("WEFT_ATTEMPT_KEY=" + token + ":");
    }
    int recovered = 0;
    std::optional<Result<std::vector<exec::slurm::QueueEntry>>> queue;  // asked once, when needed
    for (auto status : {model::RunState::running, model::RunState::queued}) {
        auto runs = store.runs_with_status(status);
        if (!runs) return runs.error();
        for (const auto& run : *runs) {
            if (owner_alive(state_dir, run.owner)) continue;
            auto detail = store.get_run(run.id);
            if (!detail) return detail.error();
            if (!*detail) continue;
            const auto t = now();
            // Slurm is asked before the write transaction: squeue may be slow,
            // and the transaction holds the database's write lock.
            std::map<model::RowId, std::optional<store::SlurmJobRef>> jobs;
            for (const auto& step : (*detail)->steps)
                for (const auto& a : step.attempt_rows)
                    if (a.status == model::StepState::running && a.slurm)
                        jobs[a.id] = find_job(*a.slurm, queue);
            auto tx = store::Transaction::begin(store);
            if (!tx) return tx.error();
            for (const auto& step : (*detail)->steps) {
                std::string left_running;  // a Slurm job left to run: why the step is interrupted
                for (const auto& a : step.attempt_rows) {
                    if (a.status != model::StepState::running) continue;
                    if (a.slurm) {
                        const auto& job = jobs[a.id];
                        if (job) {
                            if (job->job != a.slurm->job)
                                if (auto r = store.set_attempt_slurm(a.id, *job); !r)
                                    return r.error();
                            left_running = "Slurm job " +
                                           (job->job.empty() ? job->name : job->job) +
                                           " was left to finish; 'weft resume " +
                                           std::to_string(run.id) + "' collects it";
                            continue;
                        }
                        store::AttemptEnd end;
                        end.status = model::StepState::interrupted;
                        end.ended = t;
                        end.message = "weft process " + run.owner + " died and Slurm job " +
                                      (a.slurm->job.empty() ? a.slurm->name : a.slurm->job) +
                                      " left no trace";
                        if (auto r = store.finish_attempt(a.id, end); !r) return r.error();
                        continue;
                    }
                    if (a.process) {
                        const std::string marker =
                            "WEFT_ATTEMPT_KEY=" + run.owner + ":" + std::to_string(a.id);
                        exec::signal_attempt(static_cast<pid_t>(a.process->pid),
                                             a.process->start_time, marker, SIGKILL);
                    }
                    store::AttemptEnd end;
                    end.status = model::StepState::interrupted;
                    end.ended = t;
                    end.message = "weft process " + run.owner + " died";
                    if (auto r = store.finish_attempt(a.id, end); !r) return r.error();
                }
                if (step.status == model::StepState::running ||
                    step.status == model::StepState::pending) {
                    store::StepUpdate u;
                    if (step.status == model::StepState::running) u.ended = t;
                    if (!left_running.empty()) u.message = left_running;
                    if (auto r = store.set_step(run.id, step.id,
                                                step.status == model::StepState::running
                                                    ? model::StepState::interrupted
                                                    : model::StepState::pending,
                                                u);
                        !r)
                        return r.error();
                }
            }
            store::RunUpdate u;
            u.ended = t;
            u.message = "the weft process that ran it died";
            if (auto r = store.set_run_status(run.id, model::RunState::interrupted, u); !r)
                return r.error();
            if (auto r = tx->commit(); !r) return r.error();
            remove_run_files(state_dir, run.id);
            ++recovered;
        }
    }
    return recovered;
}

}  // namespace weft::engine
