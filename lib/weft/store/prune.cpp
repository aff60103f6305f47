// Retention (SPEC §1 `retention`, §5): which runs of a workflow go, and
// deleting them with everything that belongs to them.
#include <algorithm>
#include <chrono>
#include <optional>
#include <thread>
#include <unordered_set>

#include "weft/store/sqlite_db.hpp"

namespace weft::store {
namespace {

// The newest run of each workflow: max(id) per workflow comes from the
// (workflow) index alone (it ends with the rowid).
constexpr const char* k_run_workflows =
    "SELECT workflow, file FROM runs WHERE id IN (SELECT max(id) FROM runs GROUP BY workflow)"
    " ORDER BY workflow";
// ?2: the runs kept by count. The subquery finds the newest run beyond them
// (OFFSET ?2) by scanning the (workflow) index backwards; every run up to it
// goes. Runs without any time are never too old.
constexpr const char* k_prune_candidates =
    "SELECT id, event_id FROM runs WHERE workflow = ?1 AND status NOT IN ('queued', 'running')"
    " AND id < (SELECT max(id) FROM runs WHERE workflow = ?1)"
    " AND (id <= coalesce((SELECT id FROM runs WHERE workflow = ?1 ORDER BY id DESC"
    " LIMIT 1 OFFSET ?2), 0) OR coalesce(started, ended) < ?3)"
    " ORDER BY id";
// A run's child runs (schema 6: a step that ran another workflow), which go
// with it whatever their own workflow keeps.
constexpr const char* k_child_runs =
    "SELECT id, event_id FROM runs WHERE parent_run = ?1 AND status NOT IN ('queued', 'running')";
constexpr const char* k_count_run_logs = "SELECT count(*) FROM logs WHERE run_id = ?1";
constexpr const char* k_runs_of_event = "SELECT id FROM runs WHERE event_id = ?1";
// Children first and explicitly, rather than by ON DELETE CASCADE: the count
// of log lines comes from the log batches, and attempts_by_run (schema 7)
// finds a run's attempts.
// One batch of a run's log lines (the logs_by_run index finds them).
constexpr const char* k_delete_log_batch =
    "DELETE FROM logs WHERE seq IN (SELECT seq FROM logs WHERE run_id = ?1 LIMIT ?2)";
constexpr std::int64_t k_log_batch = 2000;
constexpr const char* k_run_status = "SELECT status FROM runs WHERE id = ?1";
constexpr const char* k_delete_run_attempts = "DELETE FROM attempts WHERE run_id = ?1";
constexpr const char* k_delete_run_steps = "DELETE FROM steps WHERE run_id = ?1";
constexpr const char* k_delete_run = "DELETE FROM runs WHERE id = ?1";
// An event stays while a run refers to it or a queue entry (schema 4) waits
// with it: queue.event_id references events(id), so its delete would fail the
// foreign key, and the whole prune with it. The queue has no index on
// event_id; it is short, and the foreign key check scans it all the same.
constexpr const char* k_delete_event =
    "DELETE FROM events WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM runs WHERE event_id = ?1)"
    " AND NOT EXISTS (SELECT 1 FROM queue WHERE event_id = ?1)";
// Events offered to the workflow that started no run of any workflow (filtered,
// skipped, dropped, merged: schema 6's event_outcomes) and wait in no queue:
// kept like runs, the newest ?2 of them and none older than ?3 (a log stream
// that a `match:` filters would otherwise grow the database without end).
constexpr const char* k_runless_events =
    "SELECT e.id FROM events e JOIN event_outcomes o ON o.event_id = e.id AND o.workflow = ?1"
    " WHERE NOT EXISTS (SELECT 1 FROM runs WHERE event_id = e.id)"
    " AND NOT EXISTS (SELECT 1 FROM queue WHERE event_id = e.id)"
    " AND (e.time < ?3 OR e.id <= coalesce((SELECT o2.event_id FROM event_outcomes o2"
    " WHERE o2.workflow = ?1 AND NOT EXISTS (SELECT 1 FROM runs WHERE event_id = o2.event_id)"
    " AND NOT EXISTS (SELECT 1 FROM queue WHERE event_id = o2.event_id)"
    " ORDER BY o2.event_id DESC LIMIT 1 OFFSET ?2), 0))"
    " ORDER BY e.id";
constexpr const char* k_event_queued = "SELECT EXISTS (SELECT 1 FROM queue WHERE event_id = ?1)";
// Whether prune can have anything to do: more than ?2 runs, a run older than
// ?3, or an event offered to the workflow (k_runless_events looks only at
// those). Mostly false after a `weft run`, and five times cheaper to compile
// than the two statements that choose.
constexpr const char* k_may_prune =
    "SELECT (SELECT count(*) > ?2 OR min(coalesce(started, ended)) < ?3 FROM runs"
    " WHERE workflow = ?1) OR EXISTS (SELECT 1 FROM event_outcomes WHERE workflow = ?1)";

// Step the cached statement `sql`, bound to `id`, to its end; the number of
// rows it changed, or (for a count) the first column of its row.
Result<std::int64_t> step_one(Store::Impl& db, const char* sql, RowId id, std::string_view what) {
    auto st = db.prepare(sql);
    if (!st) return st.error();
    st->bind(1, id);
    const int rc = st->step();
    if (rc == SQLITE_ROW) return st->int64(0);
    if (rc != SQLITE_DONE) return db.error(what, rc);
    return static_cast<std::int64_t>(db.changes());
}

// A write transaction of prune ends once it has run this long, well under
// the busy timeout (10 s) other writers wait for: a large prune is many short
// transactions (issue 17: one of 16 s made a concurrent `weft run` fail).
constexpr Duration k_transaction_budget = std::chrono::milliseconds(100);
// The pause between two of them. SQLite's busy handler lets a waiting writer
// sleep 100 ms at most between two tries, so it tries at least once in each
// pause: no writer waits for more than about one transaction and one pause.
constexpr Duration k_pause = std::chrono::milliseconds(110);

// Prune's writes as a chain of short write transactions (one, the caller's,
// when a transaction is open already).
class Slices {
  public:
    explicit Slices(Store::Impl& db) : m_db(db), m_outer(db.in_transaction()) {}

    // A write transaction is open after this.
    Result<void> open() {
        if (m_scope) return {};
        auto scope = WriteScope::enter(m_db);
        if (!scope) return scope.error();
        m_scope.emplace(std::move(*scope));
        m_start = std::chrono::steady_clock::now();
        return {};
    }
    // Commit and pause when the transaction has used its budget.
    Result<void> yield() {
        if (!m_scope || m_outer || elapsed() < k_transaction_budget) return {};
        if (auto r = close(); !r) return r;
        std::this_thread::sleep_for(k_pause);
        return {};
    }
    Result<void> close() {
        if (!m_scope) return {};
        if (auto r = m_scope->commit(); !r) return r;
        m_scope.reset();
        m_longest = std::max(m_longest, elapsed());
        return {};
    }
    Duration longest() const { return m_longest; }

  private:
    Duration elapsed() const {
        return std::chrono::duration_cast<Duration>(std::chrono::steady_clock::now() - m_start);
    }

    Store::Impl& m_db;
    bool m_outer;
    std::optional<WriteScope> m_scope;
    std::chrono::steady_clock::time_point m_start;
    Duration m_longest{0};
};

// Whether run `id` may still go: it exists and is not queued or running.
Result<bool> prunable(Store::Impl& db, RowId id) {
    auto st = db.prepare(k_run_status);
    if (!st) return st.error();
    st->bind(1, id);
    const int rc = st->step();
    if (rc == SQLITE_DONE) return false;  // gone meanwhile
    if (rc != SQLITE_ROW) return db.error("prune run", rc);
    const std::string status = st->text(0);
    (void)st->step();
    return status != "queued" && status != "running";
}

// Delete run `id` with everything that belongs to it, in slices: its log
// lines in batches first, then its attempts, steps and row. Each transaction
// first checks that the run may still go: a `weft resume` may have taken it
// between two, and its log must stay from then on. True when the run went.
Result<bool> delete_run(Store::Impl& db, Slices& slices, RowId id, PruneResult& result) {
    for (;;) {
        if (auto r = slices.open(); !r) return r.error();
        auto ok = prunable(db, id);
        if (!ok) return ok.error();
        if (!*ok) return false;
        auto st = db.prepare(k_delete_log_batch);
        if (!st) return st.error();
        st->bind(1, id);
        st->bind(2, k_log_batch);
        if (const int rc = st->step(); rc != SQLITE_DONE) return db.error("prune log lines", rc);
        const std::int64_t n = db.changes();
        result.log_lines += n;
        if (n < k_log_batch) break;
        if (auto r = slices.yield(); !r) return r.error();
    }
    // Still the transaction of the last check.
    for (const char* sql : {k_delete_run_attempts, k_delete_run_steps, k_delete_run})
        if (auto r = step_one(db, sql, id, "prune run"); !r) return r.error();
    return true;
}

struct Candidate {
    RowId run;
    RowId event;
};

Result<std::vector<Candidate>> candidates(Store::Impl& db, std::string_view workflow,
                                          const Retention& keep, TimePoint now) {
    auto st = db.prepare(k_prune_candidates);
    if (!st) return st.error();
    st->bind_static(1, workflow);
    st->bind(2, keep.runs);
    st->bind(3, now - keep.age);
    std::vector<Candidate> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) out.push_back({st->int64(0), st->int64(1)});
    if (rc != SQLITE_DONE) return db.error("select runs to prune", rc);
    // Each run's children, and theirs, after it.
    std::unordered_set<RowId> chosen;
    for (const Candidate& c : out) chosen.insert(c.run);
    for (std::size_t i = 0; i < out.size(); ++i) {
        auto kids = db.prepare(k_child_runs);
        if (!kids) return kids.error();
        kids->bind(1, out[i].run);
        while ((rc = kids->step()) == SQLITE_ROW)
            if (chosen.insert(kids->int64(0)).second)
                out.push_back({kids->int64(0), kids->int64(1)});
        if (rc != SQLITE_DONE) return db.error("select child runs to prune", rc);
    }
    return out;
}

// Events of `runs` that no other run refers to and no queue entry waits with.
Result<std::int64_t> orphaned_events(Store::Impl& db, const std::vector<Candidate>& runs) {
    std::unordered_set<RowId> going;
    for (const Candidate& c : runs) going.insert(c.run);
    std::unordered_set<RowId> seen;
    std::int64_t count = 0;
    for (const Candidate& c : runs) {
        if (!seen.insert(c.event).second) continue;
        auto st = db.prepare(k_runs_of_event);
        if (!st) return st.error();
        st->bind(1, c.event);
        bool kept = false;
        int rc;
        while ((rc = st->step()) == SQLITE_ROW) kept = kept || !going.count(st->int64(0));
        if (rc != SQLITE_DONE) return db.error("count events to prune", rc);
        if (kept) continue;
        auto queued = step_one(db, k_event_queued, c.event, "count events to prune");
        if (!queued) return queued.error();
        if (*queued == 0) ++count;
    }
    return count;
}

Result<std::vector<RowId>> runless_events(Store::Impl& db, std::string_view workflow,
                                          const Retention& keep, TimePoint now) {
    auto st = db.prepare(k_runless_events);
    if (!st) return st.error();
    st->bind_static(1, workflow);
    st->bind(2, keep.runs);
    st->bind(3, now - keep.age);
    std::vector<RowId> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) out.push_back(st->int64(0));
    if (rc != SQLITE_DONE) return db.error("select events to prune", rc);
    return out;
}

}  // namespace

Result<std::vector<WorkflowFile>> Store::run_workflows() {
    Impl& db = *m_impl;
    auto st = db.prepare(k_run_workflows);
    if (!st) return st.error();
    std::vector<WorkflowFile> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) out.push_back({st->text(0), st->text(1)});
    if (rc != SQLITE_DONE) return db.error("list workflows", rc);
    return out;
}

Result<PruneResult> Store::prune(std::string_view workflow, const Retention& keep, TimePoint now,
                                 DryRun dry_run) {
    Impl& db = *m_impl;
    PruneResult result;
    {
        auto st = db.prepare(k_may_prune);
        if (!st) return st.error();
        st->bind_static(1, workflow);
        st->bind(2, keep.runs);
        st->bind(3, now - keep.age);
        const int rc = st->step();
        if (rc != SQLITE_ROW) return db.error("select runs to prune", rc);
        if (st->int64(0) == 0) return result;
    }
    if (dry_run == DryRun::yes) {
        auto scope = ReadScope::enter(db);
        if (!scope) return scope.error();
        auto runs = candidates(db, workflow, keep, now);
        if (!runs) return runs.error();
        for (const Candidate& c : *runs) {
            auto n = step_one(db, k_count_run_logs, c.run, "count log lines");
            if (!n) return n.error();
            result.log_lines += *n;
            result.runs.push_back(c.run);
        }
        auto events = orphaned_events(db, *runs);
        if (!events) return events.error();
        auto runless = runless_events(db, workflow, keep, now);
        if (!runless) return runless.error();
        result.events = *events + static_cast<std::int64_t>(runless->size());
        return result;
    }

    // Choose in one snapshot, then delete in short write transactions. A run
    // chosen here is finished and not its workflow's newest; delete_run
    // checks again in each of its transactions that it is not queued or running.
    std::vector<Candidate> runs;
    std::vector<RowId> runless;
    {
        auto scope = ReadScope::enter(db);
        if (!scope) return scope.error();
        auto chosen = candidates(db, workflow, keep, now);
        if (!chosen) return chosen.error();
        runs = std::move(*chosen);
        auto events = runless_events(db, workflow, keep, now);
        if (!events) return events.error();
        runless = std::move(*events);
    }
    Slices slices(db);
    for (const Candidate& c : runs) {
        auto gone = delete_run(db, slices, c.run, result);
        if (!gone) return gone.error();
        if (*gone) result.runs.push_back(c.run);
        if (auto r = slices.yield(); !r) return r.error();
    }
    std::unordered_set<RowId> seen;
    std::vector<RowId> events;
    for (const Candidate& c : runs)
        if (seen.insert(c.event).second) events.push_back(c.event);
    for (RowId e : runless)
        if (seen.insert(e).second) events.push_back(e);
    for (RowId e : events) {
        if (auto r = slices.open(); !r) return r.error();
        // Its outcomes go with it (ON DELETE CASCADE).
        auto n = step_one(db, k_delete_event, e, "prune event");
        if (!n) return n.error();
        result.events += *n;
        if (auto r = slices.yield(); !r) return r.error();
    }
    if (auto r = slices.close(); !r) return r.error();
    result.longest_transaction = slices.longest();
    return result;
}

}  // namespace weft::store
