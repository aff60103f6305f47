#include "weft/engine/slurm_executor.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include "weft/engine/kill_point.hpp"
#include "weft/exec/slurm.hpp"
#include "weft/util/fs.hpp"
#include "weft/util/strings.hpp"

namespace weft::engine {

namespace {

// How often the poll reads the job files (exit code, output) and how often
// it asks squeue about every followed job at once: squeue costs the
// controller, so it is asked at most every 2 s whatever the number of jobs.
constexpr std::uint64_t k_job_poll_ms = 250;
constexpr Duration k_queue_every{2000};
// A job Slurm says has ended is believed only this long after its exit code
// file failed to appear: a shared filesystem may show files late.
constexpr Duration k_exit_code_grace{5000};

}  // namespace

struct SlurmExecutor::Job : Attempt {
    store::SlurmJobRef job;
    exec::slurm::JobSpec spec;                 // what submit sends
    long long out_offset = 0, err_offset = 0;  // of the job's stdout and stderr files
    std::string out_buf, err_buf;
    std::optional<TimePoint> gone_since;  // Slurm has said the job ended, no exit code yet
    bool submitting = false;              // until submit has run
};

SlurmExecutor::SlurmExecutor(uv_loop_s* loop, ExecHost& host, Clock& clock, std::string state_dir,
                             std::string slurm_dir, std::vector<std::string> base_env)
    : m_loop(loop),
      m_host(host),
      m_clock(clock),
      m_state_dir(std::move(state_dir)),
      m_slurm_dir(std::move(slurm_dir)) {
    // Not the marker of any attempt: the Slurm commands are weft's own.
    for (auto& e : base_env)
        if (e.compare(0, 17, "WEFT_ATTEMPT_KEY=") != 0) m_env.push_back(std::move(e));
}

SlurmExecutor::~SlurmExecutor() {
    close();
}

void SlurmExecutor::close() {
    m_timer.reset();
}

std::unique_ptr<Attempt> SlurmExecutor::new_attempt() {
    return std::make_unique<Job>();
}

// The job's files go to the shared job directory (written by start).
Result<void> SlurmExecutor::prepare(Attempt& a) {
    auto& j = static_cast<Job&>(a);
    const std::string run_dir = m_slurm_dir + "/run-" + std::to_string(a.run_id);
    j.job.name = exec::slurm::job_name(m_state_dir, a.run_id, a.step, a.number);
    j.job.dir = run_dir + "/" + file_safe(a.step) + "." + std::to_string(a.number);
    a.output_file = j.job.dir + "/outputs";
    a.script_path = "{script}";
    for (const auto& dir : {m_slurm_dir, run_dir})
        if (auto r = make_private_dir(dir); !r)
            return make_error(Errc::io, "cannot create the Slurm job directory " + dir + ": " +
                                            r.error().message);
    m_run_dirs[a.run_id].insert(run_dir);
    return {};
}

// The job's name and directory are recorded with the attempt, before the
// submission: a crash in between leaves a job that recovery finds by name.
void SlurmExecutor::recorded(Attempt& a) {
    m_host.job_known(a, static_cast<Job&>(a).job);
}

Result<void> SlurmExecutor::start(Attempt& a) {
    auto& j = static_cast<Job&>(a);
    auto& js = j.spec;
    js.name = j.job.name;
    js.dir = j.job.dir;
    std::error_code ec;
    const auto abs_cwd = std::filesystem::absolute(a.cwd, ec);
    js.cwd = ec ? a.cwd : abs_cwd.lexically_normal().string();
    js.argv = a.argv;
    js.script = a.script;
    js.env.assign(a.env.begin(), a.env.end());
    js.event_json = a.event_json;
    js.options = a.slurm_options;
    return exec::slurm::write_job(js);
}

// Submitted once the attempt is on disk.
void SlurmExecutor::follow(Attempt& a) {
    auto* j = static_cast<Job*>(&a);
    j->submitting = true;
    m_host.when_committed([this, j] { submit(j); });
    watch(j);
}

// Its log lines stored before the crash are not read twice: the files are
// read on from the bytes those lines took.
void SlurmExecutor::reattach(Attempt& a, const store::SlurmJobRef& job, long long out_offset,
                             long long err_offset) {
    auto* j = static_cast<Job*>(&a);
    j->job = job;
    j->out_offset = out_offset;
    j->err_offset = err_offset;
    a.output_file = job.dir + "/outputs";
    // Its directory is where it was written, whatever WEFT_SLURM_DIR says now.
    if (const auto parent = std::filesystem::path(job.dir).parent_path();
        parent.filename() == "run-" + std::to_string(a.run_id))
        m_run_dirs[a.run_id].insert(parent.string());
    watch(j);
    m_queue_asked = TimePoint{};
}

void SlurmExecutor::watch(Job* j) {
    m_jobs.push_back(j);
    if (!m_timer) {
        auto* h = m_timer.make();
        uv_timer_init(m_loop, h);
        h->data = this;
    }
    if (!uv_is_active(m_timer.base()))
        uv_timer_start(
            m_timer.get(), [](uv_timer_t* h) { static_cast<SlurmExecutor*>(h->data)->poll(); },
            k_job_poll_ms, k_job_poll_ms);
}

// scancel: Slurm signals the job's processes and ends it; the poll then
// settles it (a job not yet submitted never is).
bool SlurmExecutor::terminate(Attempt& a) {
    auto& j = static_cast<Job&>(a);
    if (!j.job.job.empty())
        if (auto r = exec::slurm::cancel(j.job.job, m_env); !r) m_host.note(a, r.error().message);
    m_queue_asked = TimePoint{};  // ask Slurm at the next poll
    return false;
}

// Every job of the run is settled and recorded: their files are no longer
// needed.
void SlurmExecutor::run_ended(model::RowId run) {
    auto it = m_run_dirs.find(run);
    if (it == m_run_dirs.end()) return;
    std::error_code e;
    for (const auto& d : it->second) std::filesystem::remove_all(d, e);
    m_run_dirs.erase(it);
}

// Jobs whose sbatch waited for the commit are never submitted: settled
// here, or they would wait forever.
void SlurmExecutor::store_failed() {
    for (Job* j : std::vector<Job*>(m_jobs.begin(), m_jobs.end()))
        if (j->submitting) {
            j->submitting = false;
            settle(j, std::nullopt, "not submitted: the state database failed");
        }
}

// sbatch, once the attempt that names the job is committed.
void SlurmExecutor::submit(Job* j) {
    j->submitting = false;
    if (j->cancelled || j->timed_out) return settle(j, std::nullopt, "");  // never submitted
    auto id = exec::slurm::submit(j->spec, m_env);
    kill_point("job-submitted");
    if (!id) {
        m_host.note(*j, id.error().message);
        return settle(j, std::nullopt, id.error().message);
    }
    j->job.job = *id;
    j->spec = {};  // the script and environment are in the job's files now
    m_host.job_known(*j, j->job);
}

void SlurmExecutor::read_output(Job& j, bool final) {
    exec::slurm::read_new(j.job.dir + "/stdout", j.out_offset, j.out_buf);
    m_host.output(j, 1, j.out_buf, final);
    exec::slurm::read_new(j.job.dir + "/stderr", j.err_offset, j.err_buf);
    m_host.output(j, 2, j.err_buf, final);
}

void SlurmExecutor::poll() {
    const TimePoint t = m_clock.now();
    std::optional<std::map<std::string, exec::slurm::QueueEntry>> queue;
    if (t - m_queue_asked >= k_queue_every) {
        m_queue_asked = t;
        if (auto q = exec::slurm::queue(m_env)) {
            queue.emplace();
            for (auto& e : *q) queue->emplace(e.id, std::move(e));
        } else if (!m_queue_warned) {  // jobs are still settled by their exit code files
            m_queue_warned = true;
            m_host.warning(q.error().message);
        }
    }
    for (Job* a : std::vector<Job*>(m_jobs.begin(), m_jobs.end())) {
        if (a->submitting) continue;
        read_output(*a, false);
        if (auto code = exec::slurm::read_exit_code(a->job.dir)) {
            // 128+N: a signal ended the step, perhaps Slurm's (a cancel outside
            // weft, its time limit, a node failure, a preemption, the OOM
            // killer): the job's state says which, once Slurm has settled it.
            if (*code > 128 && !a->cancelled && !a->timed_out && !a->job.job.empty()) {
                if (!a->gone_since) a->gone_since = t;
                const bool waited = t - *a->gone_since >= k_exit_code_grace;
                if (!queue && !waited) {
                    m_queue_asked = TimePoint{};
                    continue;
                }
                const auto it = queue ? queue->find(a->job.job)
                                      : std::map<std::string, exec::slurm::QueueEntry>::iterator{};
                if (queue && it != queue->end()) {
                    const auto& st = it->second.state;
                    if (exec::slurm::is_active(st) && !waited) continue;
                    if (!exec::slurm::is_active(st) && st != "COMPLETED" && st != "FAILED") {
                        settle(a, code,
                               exec::slurm::end_message(a->job.job, st, it->second.reason));
                        continue;
                    }
                }
            }
            settle(a, code, "");
            continue;
        }
        if (!queue) continue;
        // A job whose id was never learnt (weft died as it was submitted, and
        // recovery found no job of its name) is one Slurm does not know.
        const auto it = a->job.job.empty() ? queue->end() : queue->find(a->job.job);
        if (it != queue->end() && exec::slurm::is_active(it->second.state)) {
            a->gone_since.reset();
            continue;
        }
        // Ended (or forgotten) without an exit code: unless weft ended it, give
        // the shared directory time to show the file.
        if (!a->gone_since) a->gone_since = t;
        if (!a->cancelled && !a->timed_out && t - *a->gone_since < k_exit_code_grace) continue;
        std::optional<exec::slurm::QueueEntry> ended;
        if (it != queue->end())
            ended = it->second;
        else if (!a->job.job.empty())  // squeue forgot it: accounting, where there is any, may know
            if (auto acc = exec::slurm::accounting(a->job.job, m_env); acc && *acc) ended = **acc;
        if (ended && exec::slurm::is_active(ended->state)) continue;
        settle(a, std::nullopt,
               ended ? exec::slurm::end_message(a->job.job, ended->state, ended->reason)
                     : "Slurm job " + (a->job.job.empty() ? a->job.name : a->job.job) +
                           ": it is gone and left no exit code in " + a->job.dir);
    }
    if (m_jobs.empty()) uv_timer_stop(m_timer.get());
}

void SlurmExecutor::settle(Job* j, std::optional<int> exit_code, const std::string& failure) {
    read_output(*j, true);
    m_jobs.remove(j);
    ExecEnd end{exit_code, std::nullopt, failure, ""};
    if (exit_code == 0) {  // a job's files stay until its run ends
        std::ifstream f(j->output_file, std::ios::binary);
        std::stringstream ss;
        ss << f.rdbuf();
        end.outputs = ss.str();
    }
    m_host.ended(*j, end);
}

}  // namespace weft::engine
