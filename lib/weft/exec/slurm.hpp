#pragma once
// The Slurm executor's side of the OS (SPEC §8, `runs-on: slurm`): a job's
// files in the shared job directory, and the Slurm commands weft runs
// (sbatch, squeue, scancel). The engine decides when; this module only knows
// how. Each command runs to its end before the call returns (they answer in
// milliseconds; a bound kills one that hangs on a dead controller).
//
// A job's directory holds:
//   job.sh     the batch script sbatch runs: sources `env`, enters the working
//              directory, runs the step's script with stdin /dev/null, then
//              writes `exit_code` (last, by rename: its presence means the step
//              ended and `outputs` is complete)
//   step.sh    the step's script; `env` its variables (0600: secrets travel in
//              it, never on a command line); `event.json` the event
//   stdout, stderr   the job's output, which the engine tails into the log
//   outputs    $WEFT_OUTPUT
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/model/workflow.hpp"
#include "weft/util/duration.hpp"
#include "weft/util/result.hpp"

namespace weft::exec::slurm {

// How long one Slurm command may take before it is killed.
inline constexpr Duration k_command_timeout{30'000};

struct JobSpec {
    std::string name;               // --job-name
    std::string dir;                // absolute; created 0700 by write_job
    std::string cwd;                // absolute working directory of the step
    std::vector<std::string> argv;  // the shell command, `{script}` for step.sh
    std::string script;             // the step's script text
    std::vector<std::pair<std::string, std::string>> env;  // to the env file
    std::string event_json;                                // the event, for $WEFT_EVENT_JSON
    model::SlurmOptions options;
};

// Create `spec.dir` and write job.sh, step.sh, env, event.json and an empty
// outputs file. The variables WEFT_OUTPUT and WEFT_EVENT_JSON are pointed at
// the job directory's files. A variable whose name is not a shell name is
// left out. Errc::io naming the file that could not be written.
Result<void> write_job(const JobSpec& spec);

// The sbatch command line for `spec` (exposed for tests): --parsable, the job
// name, --chdir, --output/--error into the job directory, --export=ALL, the
// `slurm:` options, then job.sh.
std::vector<std::string> sbatch_argv(const JobSpec& spec);

// Submit the job written by write_job with `env` as sbatch's environment.
// Returns the job id. Errc::exec with sbatch's own message when it refuses
// ("sbatch: error: invalid partition specified: nope") or cannot run.
Result<std::string> submit(const JobSpec& spec, const std::vector<std::string>& env);

// scancel `job`. Errc::exec with scancel's message when it fails.
Result<void> cancel(const std::string& job, const std::vector<std::string>& env);

struct QueueEntry {
    std::string id;
    std::string name;
    std::string state;   // PENDING, RUNNING, COMPLETED, NODE_FAIL, ...
    std::string reason;  // Slurm's reason, "None" when it gives none
};

// The caller's jobs Slurm still knows (`squeue --me --states=all`): running
// ones and those that ended less than MinJobAge (300 s by default) ago.
// Errc::exec when squeue fails.
Result<std::vector<QueueEntry>> queue(const std::vector<std::string>& env);
// Parse squeue's `%i|%j|%T|%r` lines (exposed for tests).
std::vector<QueueEntry> parse_queue(std::string_view text);

// What Slurm's accounting (`sacct`) says of `job`, for a job squeue no
// longer shows: nullopt when it does not know the job. Errc::exec when sacct
// fails, as it does on a cluster without accounting storage.
Result<std::optional<QueueEntry>> accounting(const std::string& job,
                                             const std::vector<std::string>& env);
// Parse sacct's `JobIDRaw|JobName|State` lines for `job` (exposed for tests).
std::optional<QueueEntry> parse_accounting(std::string_view text, const std::string& job);

// True for states in which the job may still run (PENDING, RUNNING,
// COMPLETING, SUSPENDED, REQUEUED, ...); false for the ends.
bool is_active(std::string_view state);

// What a job that ended without writing its exit code went through, for
// `weft show`: "Slurm job 12: node failure (NODE_FAIL)", "... out of memory
// (OUT_OF_MEMORY)", "... reached its Slurm time limit (TIMEOUT)", ...
std::string end_message(const std::string& job, std::string_view state, std::string_view reason);

// The exit code the job's wrapper wrote in `dir`, once it has.
std::optional<int> read_exit_code(const std::string& dir);

// Append to `buf` what `path` holds past `offset` (at most `max_bytes`) and
// advance `offset`. A file not yet there reads as empty.
void read_new(const std::string& path, long long& offset, std::string& buf,
              std::size_t max_bytes = 1 << 20);

// A weft duration as sbatch's --time: minutes rounded up, `D-HH:MM:00` (Slurm
// enforces limits to the minute).
std::string time_limit(Duration d);

// A name for a job that identifies the weft state, run, step and attempt:
// `weft-<run>-<step>-<attempt>-<hash of state_dir>`, step characters other
// than [A-Za-z0-9_.-] replaced by '_'.
std::string job_name(const std::string& state_dir, long long run, const std::string& step,
                     int attempt);

// `s` in single quotes for sh.
std::string sh_quote(std::string_view s);

}  // namespace weft::exec::slurm
