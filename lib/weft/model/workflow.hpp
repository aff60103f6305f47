#pragma once
// The workflow file as plain values (SPEC §1). The loader fills these from
// YAML; expressions are kept as text here and parsed again where evaluated.
#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/model/json.hpp"
#include "weft/model/run.hpp"
#include "weft/util/diagnostic.hpp"
#include "weft/util/duration.hpp"

namespace weft::model {

using EnvList = std::vector<std::pair<std::string, std::string>>;  // in file order

struct SlurmOptions {
    std::string partition;
    std::optional<int> cpus;
    std::string mem;
    std::optional<Duration> time;
    std::string gres;
    std::string account;
    std::vector<std::string> extra_args;
};

struct Retry {
    int attempts = 1;
    Duration delay{0};
    double backoff = 1.0;
    std::optional<Duration> max_delay;
};

struct Matrix {
    // Axes in file order; each value is a YAML scalar, map or list as JSON.
    std::vector<std::pair<std::string, std::vector<Json>>> axes;
    std::vector<Json> include;  // objects
    std::vector<Json> exclude;  // objects
    Location loc;
    // A dynamic matrix (SPEC §9.1), evaluated when its step is ready: the
    // whole matrix as one expression, or axes whose list is one (those axes
    // are in `axes` with no values, in file order).
    std::optional<std::string> expr;
    std::map<std::string, std::string> axis_exprs;  // axis -> expression
    bool dynamic() const { return expr || !axis_exprs.empty(); }
};

// The most instances one matrix may expand to (GitHub Actions allows 256).
inline constexpr std::size_t k_max_matrix_instances = 4096;
// The size of the cartesian product of `m`'s axes plus its includes, capped
// at k_max_matrix_instances + 1 (so a matrix bomb is never multiplied out).
std::size_t matrix_size(const Matrix& m);

enum class RunsOn { local, slurm };

// A `uses` that names a workflow file to call (SPEC §9.1 "Sub-workflows"):
// a path starting `./`, `../` or `/` and ending `.yaml` or `.yml`.
bool is_workflow_path(std::string_view uses);

// The most calls that may nest (a parent calling a child calling ...).
inline constexpr int k_max_call_depth = 8;

struct Step {
    std::string id;
    Location loc;  // the step's key
    std::vector<std::string> needs;
    std::vector<Location> needs_loc;
    std::optional<std::string> run;
    std::optional<std::string> uses;
    Location uses_loc;
    Json with;  // the plugin's inputs (an object), null when absent
    std::vector<std::pair<std::string, Location>> with_keys;  // its top-level keys, in file order
    std::optional<std::string> if_cond;
    Location if_loc;
    EnvList env;
    std::optional<std::string> shell;
    std::optional<std::string> working_directory;
    std::optional<std::string> timeout;  // a duration, or an expression giving one
    std::optional<Duration> kill_grace;
    std::optional<RunsOn> runs_on;
    std::optional<SlurmOptions> slurm;
    std::optional<Matrix> matrix;
    Retry retry;
    bool continue_on_error = false;
    std::vector<std::string> sources;
    std::vector<std::string> generates;
    // A step of `finally:` (SPEC §9.1): it starts once every step of
    // `steps` has ended, whatever their outcome. They follow those of
    // `steps` in Workflow::steps.
    bool finally = false;

    // A sub-workflow step: `uses` is a workflow file.
    bool calls() const { return uses && is_workflow_path(*uses); }
};

// One of a workflow's top-level `outputs` (SPEC §9.1): what a run of it
// gives the step that called it, evaluated at the run's end.
struct WorkflowOutput {
    std::string name;
    std::string expr;  // a template over steps, params and env
    Location loc;
};

struct Param {
    std::string name;
    std::optional<std::string> default_value;
    bool required = false;
    std::string description;
    bool secret = false;
};

enum class FileEvent { create, modify, remove, move };

struct FileTrigger {
    std::vector<std::string> paths;
    std::vector<std::string> ignore;
    bool gitignore = true;
    std::vector<FileEvent> events{FileEvent::create, FileEvent::modify, FileEvent::remove,
                                  FileEvent::move};
    Duration debounce{100};
    // `if:` (SPEC §9.2): an expression over `event` and `env`; an event it
    // does not pass is recorded as `filtered`.
    std::optional<std::string> if_cond;
    Location if_loc;
};

// The shortest `every:` interval (SPEC §9.4). cron's finest step is a
// minute and systemd's timers are accurate to a minute unless told
// otherwise; an interval under a second is a typo (`1ms` for `1m`) that
// would record an event and start a run hundreds of times a second.
inline constexpr Duration k_min_every = std::chrono::seconds{1};

struct ScheduleEntry {
    std::optional<std::string> cron;
    std::string timezone;           // empty: the machine's local zone
    std::optional<Duration> every;  // at least k_min_every
    Location loc;
    std::optional<std::string> if_cond;  // as FileTrigger::if_cond
    Location if_loc;
};

enum class StdinFormat { lines, json };
// `on.stdin.max-record` by default (SPEC §9.4); a longer record is cut there.
inline constexpr std::size_t k_stdin_max_record = std::size_t{1} << 20;

struct WorkflowTrigger {
    std::vector<std::string> names;
    // The ends that fire it: success, failure or cancelled (the loader
    // accepts no other state).
    std::vector<RunState> statuses{RunState::success};
    std::vector<Location> names_loc;     // of each entry of `names` (globs, SPEC §9.2)
    std::optional<std::string> if_cond;  // as FileTrigger::if_cond
    Location if_loc;
};

struct Triggers {
    std::optional<FileTrigger> file;
    std::vector<ScheduleEntry> schedule;
    std::optional<StdinFormat> stdin_format;
    std::size_t stdin_max_record = k_stdin_max_record;  // bytes, at least 1
    std::optional<std::string> stdin_if;                // as FileTrigger::if_cond
    Location stdin_if_loc;
    std::optional<std::string> stdin_match;  // a PCRE2 pattern searched in the record
    Location stdin_match_loc;
    std::optional<WorkflowTrigger> workflow;
    bool any() const { return file || !schedule.empty() || stdin_format || workflow; }
};

struct Defaults {
    std::string shell = "bash";
    std::optional<std::string> timeout;  // built-in default 6h
    Duration kill_grace{5000};
    std::string working_directory = ".";
    RunsOn runs_on = RunsOn::local;
    std::optional<SlurmOptions> slurm;
};

enum class OnBusy { queue, skip, cancel_running };

struct Concurrency {
    int limit = 1;
    OnBusy on_busy = OnBusy::queue;
    std::optional<int> max_queued;
};

enum class Catchup { none, latest, all };

// `on-restart` (SPEC §9.2): what the next `weft up` does with a run that a
// stopped or dead engine left `interrupted`.
enum class OnRestart { resume, leave };

struct Retention {
    int runs = 500;
    int days = 90;
};

struct Workflow {
    std::string file;
    std::string name;
    std::string description;
    Triggers on;
    EnvList env;
    // `env-file` (SPEC §9.1): dotenv files, relative to weft's working
    // directory, read when a run starts; their values come before `env`.
    std::vector<std::string> env_files;
    Location env_files_loc;
    std::vector<Param> params;
    Defaults defaults;
    Concurrency concurrency;
    std::optional<int> max_parallel;
    bool fail_fast = false;
    std::optional<Duration> timeout;
    Catchup catchup = Catchup::latest;
    Retention retention;
    OnRestart on_restart = OnRestart::resume;
    std::vector<Step> steps;
    std::vector<WorkflowOutput> outputs;

    const Step* find_step(std::string_view id) const;
    const Param* find_param(std::string_view name) const;
};

inline constexpr Duration k_default_step_timeout{6 * 3600 * 1000};

const char* to_string(FileEvent e);

}  // namespace weft::model
