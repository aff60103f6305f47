#pragma once
// The state database (SPEC §5): events, runs, steps, attempts and logs in one
// SQLite file. Every SQL statement weft runs lives in this module; sqlite3.h is
// included by its .cpp files only. The schema is documented at the top of
// schema.cpp.
//
// One Store is one connection, used by one thread. Any number of processes may
// open the same file: writes take the write lock with BEGIN IMMEDIATE and wait
// up to 10 s (busy_timeout) for another process's write to finish; reads never
// wait for writes (WAL).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "weft/model/json.hpp"
#include "weft/model/run.hpp"
#include "weft/util/duration.hpp"
#include "weft/util/result.hpp"
#include "weft/util/time.hpp"

namespace weft::store {

// The store speaks model's domain types (model/run.hpp, model/json.hpp);
// these declarations let the store's own code name them unqualified.
// Everything outside the store says model::.
using model::dump_json;
using model::parse_run_state;
using model::parse_step_state;
using model::RowId;
using model::RunState;
using model::StepState;
using model::to_string;

// A process a later weft may signal: pid plus its start time (field 22 of
// /proc/PID/stat, clock ticks since boot), so a reused pid is never mistaken.
struct ProcessRef {
    std::int64_t pid = 0;
    std::int64_t start_time = 0;
};

// The Slurm job of an attempt (`runs-on: slurm`, schema 5): its name (which
// identifies run, step and attempt), its directory in the shared job
// directory, and its id once sbatch gave one.
struct SlurmJobRef {
    std::string name{};
    std::string dir{};
    std::string job{};  // empty until submitted
};

struct EventRow {
    RowId id = 0;
    std::string kind{};  // manual, file, schedule, stdin, workflow
    TimePoint time{};    // when it happened (schedule: the scheduled instant)
    nlohmann::json payload = nlohmann::json::object();
    TimePoint created{};  // when it was recorded
};

// An event waiting for a run of `workflow` (the engine's queue).
struct QueuedRun {
    RowId id = 0;
    std::string workflow{};
    RowId event_id = 0;
    nlohmann::json params = nlohmann::json::object();  // secret ones masked
};

struct RunRow {
    RowId id = 0;
    std::string workflow{};
    std::string file{};
    RunState status = RunState::queued;
    RowId event_id = 0;
    std::string trigger{};  // the event's kind
    int attempt = 1;        // run.attempt; `weft resume` increments it
    nlohmann::json params = nlohmann::json::object();
    std::optional<TimePoint> started{};
    std::optional<TimePoint> ended{};
    std::string owner{};    // lock token of the process that runs (or ran) it
    std::string message{};  // why it ended, when the status alone does not say
};

struct AttemptRow {
    RowId id = 0;
    int number = 1;
    StepState status = StepState::running;
    TimePoint started{};
    std::optional<TimePoint> ended{};
    std::optional<int> exit_code{};
    std::optional<std::string> signal{};  // "SIGKILL"
    std::optional<ProcessRef> process{};
    std::optional<SlurmJobRef> slurm{};  // a Slurm attempt's job
    std::string message{};
    // Log lines beyond the log cap: not stored, only counted (schema 3).
    std::int64_t log_dropped_lines = 0;
    std::int64_t log_dropped_bytes = 0;     // newlines included
    std::optional<std::int64_t> log_cap{};  // the cap in bytes, once it was reached
};

struct StepRow {
    std::string id{};  // `build`, `test[suite=unit]`
    int position = 0;
    StepState status = StepState::pending;
    int attempts = 0;  // highest attempt number started (of attempt_rows)
    std::optional<TimePoint> started{};
    std::optional<TimePoint> ended{};
    std::optional<int> exit_code{};
    std::optional<std::string> signal{};
    nlohmann::json outputs = nlohmann::json::object();
    std::string message{};
    std::vector<AttemptRow> attempt_rows{};  // oldest first
};

struct RunDetail {
    RunRow run{};
    EventRow event{};
    std::vector<StepRow> steps{};  // in position order
};

// A run called by a step of another (schema 6: runs.parent_run/parent_step).
struct ChildRun {
    std::string step{};  // the calling step of the parent run
    RowId run = 0;
};

struct LogLine {
    RowId attempt_id = 0;  // 0: no attempt (a note of weft's own)
    RowId run_id = 0;
    std::string step{};
    TimePoint time{};
    int stream = 1;  // 1 stdout, 2 stderr
    std::string text{};
};

struct LogRow {
    std::int64_t seq = 0;  // increases in commit order: the cursor of `logs --follow`
    RowId attempt_id = 0;
    std::string step{};
    TimePoint time{};
    int stream = 1;
    std::string text{};
};

struct Fingerprint {
    std::string fingerprint{};
    nlohmann::json outputs = nlohmann::json::object();
    RowId run_id = 0;
};
// One poll of `weft logs --follow`: lines and the states that say whether more
// can come, read in one snapshot.
struct LogPage {
    std::vector<LogRow> lines{};
    std::optional<RunState> run{};    // absent: no such run (pruned meanwhile)
    std::optional<StepState> step{};  // the step asked for, when the run has it
};

// The log text stored per step attempt unless Store::set_log_cap says
// otherwise (SPEC §4): 10 MiB.
inline constexpr std::uint64_t k_default_log_cap = std::uint64_t{10} << 20;

// What a workflow's `retention` keeps of its history (SPEC §1); the defaults
// are SPEC's.
struct Retention {
    std::int64_t runs = 500;               // the newest runs kept
    Duration age = std::chrono::days{90};  // runs that started longer ago go
};

enum class DryRun { yes, no };

// What Store::prune deleted (or, in a dry run, would delete).
struct PruneResult {
    std::vector<RowId> runs{};  // oldest first
    std::int64_t log_lines = 0;
    std::int64_t events = 0;
    Duration longest_transaction{0};  // the longest of prune's write transactions
};

// A workflow that has runs, and the file its newest run was loaded from.
struct WorkflowFile {
    std::string workflow{};
    std::string file{};
};

// What became of an event for one workflow (schema 6, SPEC §9.2 `weft
// events`): outcome is run (with `run`), queued, merged (into event
// `merged_into`), skipped, dropped or filtered.
struct EventOutcome {
    std::string workflow{};
    std::string outcome{};
    RowId run = 0;
    RowId merged_into = 0;
};

// An event with what became of it, per workflow (by name).
struct EventHistory {
    EventRow event{};
    std::vector<EventOutcome> outcomes{};
};

struct NewRun {
    std::string workflow{};
    std::string file{};
    RowId event_id = 0;
    nlohmann::json params = nlohmann::json::object();
    TimePoint started{};
    std::string owner{};
    RunState status = RunState::running;
};

// Fields of a run to change with its status; absent ones keep their value.
struct RunUpdate {
    std::optional<TimePoint> started{};
    std::optional<TimePoint> ended{};
    std::optional<int> attempt{};
    std::optional<std::string> owner{};
    std::optional<std::string> message{};
};

// Fields of a step to change with its status; absent ones keep their value.
struct StepUpdate {
    std::optional<TimePoint> started{};
    std::optional<TimePoint> ended{};
    std::optional<int> exit_code{};
    std::optional<std::string> signal{};
    std::optional<std::string> message{};
};

struct AttemptEnd {
    StepState status = StepState::success;
    TimePoint ended{};
    std::optional<int> exit_code{};       // absent when a signal ended it
    std::optional<std::string> signal{};  // "SIGKILL"
    std::string message{};
};

struct RunFilter {
    std::optional<std::string> workflow{};
    std::optional<RunState> status{};
    std::optional<std::size_t> limit{};  // absent: all
};

class Store {
  public:
    // Open the state database at `path`, creating it (mode 0600, its
    // directory 0700) and migrating its schema forward as needed. Errc::state
    // naming `path` when it cannot be created or opened, is not a weft
    // database, or was created by a newer weft.
    static Result<Store> open(const std::string& path);
    // A private in-memory database with the current schema, for tests.
    static Result<Store> open_memory();
    // As open(), migrating no further than schema `version`: for tests of
    // the migrations.
    static Result<Store> open_at_version(const std::string& path, int version);

    Store(Store&&) noexcept;
    Store& operator=(Store&&) noexcept;
    ~Store();

    const std::string& path() const;  // ":memory:" for open_memory()
    static int latest_schema_version();
    Result<int> schema_version();

    // Explicit write transaction (BEGIN IMMEDIATE: waits for another writer
    // up to busy_timeout). Every write method below works inside one (its
    // writes commit with the transaction) or outside (it commits its own).
    // Errc::internal when begin() finds a transaction already open.
    Result<void> begin();
    // From now on every write fails (Errc::state) without touching the
    // file; reads still work. For a writer that must not record anything
    // after a failed write (the engine after a full disk).
    void refuse_writes();
    Result<void> commit();
    Result<void> rollback();
    bool in_transaction() const;

    // --- writes (writes.cpp). Errc::not_found when the run, step or attempt
    // named does not exist; Errc::state when SQLite fails.

    Result<RowId> add_event(std::string_view kind, const nlohmann::json& payload, TimePoint time);
    Result<RowId> create_run(const NewRun& run);
    Result<void> set_run_status(RowId run, RunState status, const RunUpdate& fields = {});
    // `weft resume`: status running, `attempt`, `owner`; clears ended and message.
    Result<void> reopen_run(RowId run, int attempt, std::string_view owner);
    // Add `steps` to `run` as pending, positioned in the order given after any
    // steps the run already has.
    Result<void> add_steps(RowId run, std::span<const std::string> steps);
    Result<void> set_step(RowId run, std::string_view step, StepState status,
                          const StepUpdate& fields = {});
    // Replace the step's outputs with `outputs` (a JSON object).
    Result<void> set_step_outputs(RowId run, std::string_view step, const nlohmann::json& outputs);
    // Back to pending for a rerun: clears times, exit code, signal, message
    // and outputs; keeps the attempt count and the attempts.
    Result<void> reset_steps(RowId run, std::span<const std::string> steps);
    // Record attempt `number` of `step` as running (the step's attempt
    // count, StepRow::attempts, is the highest number recorded). Returns the
    // attempt id.
    Result<RowId> start_attempt(RowId run, std::string_view step, int number, TimePoint started,
                                std::optional<ProcessRef> process = {});
    Result<void> set_attempt_process(RowId attempt, ProcessRef process);
    Result<void> set_attempt_slurm(RowId attempt, const SlurmJobRef& job);
    Result<void> finish_attempt(RowId attempt, const AttemptEnd& end);
    // Append `lines` with one prepared statement (and one transaction when
    // none is open). Text is stored byte for byte, valid UTF-8 or not.
    //
    // The log cap: of each attempt's lines, only the first log_cap() bytes
    // (each line counted with its newline) are stored. The first line that
    // does not fit, and every later line of that attempt, is dropped and
    // counted in the attempt's log_dropped_lines and log_dropped_bytes, and
    // one note of weft's own ("weft: log cap 10 MiB reached; ...") is stored
    // in its place. Lines without an attempt (weft's own notes) are never
    // capped. What an attempt has stored is counted in this Store's memory,
    // which is right because one process writes an attempt's whole log;
    // finish_attempt() forgets the count.
    Result<void> append_logs(std::span<const LogLine> lines);
    // Cap the log text stored per attempt at `bytes` from now on; 0: no cap.
    void set_log_cap(std::uint64_t bytes);
    std::uint64_t log_cap() const;

    // --- retention (prune.cpp)

    // Every workflow name with runs, in name order, with the file of its newest run.
    Result<std::vector<WorkflowFile>> run_workflows();
    // Prune the history of `workflow` as `keep` says at time `now`: a run goes
    // when `keep.runs` newer runs of the workflow exist, or when it started
    // more than `keep.age` before `now`; but never a queued or running run,
    // nor the workflow's newest. Each run goes with its steps, attempts,
    // outputs and log lines, and so does its event once no remaining run
    // refers to it and no queue entry waits with it. The deletes are many
    // write transactions of about 100 ms each, with pauses of 110 ms between
    // them for other writers (or all in the caller's transaction, if one is
    // open); a run that is queued or running again (resumed meanwhile) by one
    // of them stays, with what is left of its log.
    // DryRun::yes only counts, in one read transaction.
    Result<PruneResult> prune(std::string_view workflow, const Retention& keep, TimePoint now,
                              DryRun dry_run);

    // Incremental steps: the fingerprint a step last succeeded with, and its
    // outputs then. clear_fingerprint when it starts running again.
    Result<void> set_fingerprint(std::string_view workflow, std::string_view step,
                                 std::string_view fingerprint, const nlohmann::json& outputs,
                                 RowId run);
    Result<void> clear_fingerprint(std::string_view workflow, std::string_view step);
    // --- the engine's queue and schedules (queue.cpp). Events wait here for
    // a run, so a stopped engine handles them when it starts again.

    // `params` as the caller gives them: the engine gives secret ones masked
    // (`***`) and keeps their values in its memory (SPEC §9.4).
    Result<RowId> enqueue(std::string_view workflow, RowId event, const nlohmann::json& params);
    // Errc::not_found when the entry is gone.
    Result<void> dequeue(RowId entry);
    // Oldest first, at most `limit` (0: all); every workflow's when `workflow` is empty.
    Result<std::vector<QueuedRun>> queued(std::string_view workflow, std::size_t limit);
    Result<std::int64_t> queued_count(std::string_view workflow);
    // Replace an event's payload (file events merging into a queued one).
    Result<void> set_event_payload(RowId event, const nlohmann::json& payload);
    // The last fire handled of schedule `entry` of `workflow`.
    Result<std::optional<TimePoint>> last_fire(std::string_view workflow, std::string_view entry);
    Result<void> set_last_fire(std::string_view workflow, std::string_view entry, TimePoint t);

    // --- event outcomes (outcomes.cpp). Deleted with their event (ON DELETE
    // CASCADE).

    // Record (or replace) what became of `event` for `workflow`
    // (`o.workflow` is not read).
    Result<void> set_outcome(RowId event, std::string_view workflow, const EventOutcome& o);
    // Newest first, at most `limit` (0: all), with their outcomes by
    // workflow name: the rows recorded, and `run` for each run that records
    // the event (runs.event_id; it wins over a recorded `queued`). Only the
    // events offered to `workflow` when it is not empty. One read snapshot.
    Result<std::vector<EventHistory>> list_events(std::string_view workflow, std::size_t limit);
    // The newest event's id (0 for none).
    Result<RowId> last_event_id();
    // Whether a stdin event after `after` holds exactly `line` (`weft emit`:
    // was the record the engine never answered for recorded?).
    Result<bool> has_stdin_event(RowId after, std::string_view line);

    // --- queries (queries.cpp). Each is one short read transaction.

    // Newest first.
    Result<std::vector<RunRow>> list_runs(const RunFilter& filter = {});
    Result<std::vector<RunRow>> runs_with_status(RunState status);
    Result<std::optional<RunRow>> get_run_row(RowId run);
    Result<std::optional<RunDetail>> get_run(RowId run);
    Result<std::optional<EventRow>> get_event(RowId event);
    Result<std::optional<Fingerprint>> get_fingerprint(std::string_view workflow,
                                                       std::string_view step);
    // Log lines of `run` (of `step` only, when given) with seq > `after_seq`,
    // oldest first, at most `limit` (0: all). Poll with the last seq seen.
    Result<std::vector<LogRow>> get_logs(RowId run, std::optional<std::string_view> step = {},
                                         std::int64_t after_seq = 0, std::size_t limit = 0);
    // get_logs() with the run's state (and the step's, when given) read in
    // the same snapshot: when the run has ended in it, the lines after it
    // are the last ones. `weft logs --follow` polls this.
    Result<LogPage> poll_logs(RowId run, std::optional<std::string_view> step,
                              std::int64_t after_seq, std::size_t limit);

    // --- links of sub-workflows' runs to the steps that called them
    // (calls.cpp)

    // The runs that steps of `run` called (runs.parent_run), oldest first.
    Result<std::vector<ChildRun>> child_runs(RowId run);
    // The newest run that no other run called (`last`); nullopt when none.
    Result<std::optional<RowId>> newest_top_run();

    // `run` was called by step `step` (an instance id) of run `parent`.
    // Errc::not_found for no run `run`.
    Result<void> set_run_parent(RowId run, RowId parent, std::string_view step);
    // The newest run that step `step` of `parent` called; nullopt when none.
    Result<std::optional<RowId>> last_child_run(RowId parent, std::string_view step);

    struct Impl;

  private:
    explicit Store(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> m_impl;
};

// A write transaction that rolls back unless committed. The Store must stay
// where it is (not moved) while the Transaction lives.
//     auto tx = Transaction::begin(store); if (!tx) return tx.error();
//     ... writes ...; if (auto c = tx->commit(); !c) return c.error();
class Transaction {
  public:
    static Result<Transaction> begin(Store& store);
    Transaction(Transaction&& other) noexcept;
    Transaction& operator=(Transaction&&) = delete;
    ~Transaction();
    Result<void> commit();
    Result<void> rollback();

  private:
    explicit Transaction(Store& store) : m_store(&store) {}
    Store* m_store;  // null once committed or rolled back
};

// The event as a run sees it ($WEFT_EVENT_JSON, and "event" in `weft show
// --json`): the payload's members with "id", "kind" and "time" (a payload
// that is not an object sits under "payload").
nlohmann::json event_json(const EventRow& event);

}  // namespace weft::store
