// Retention (SPEC §1 `retention`, §5): which runs of a workflow go, and
// deleting them with everything that belongs to them.
#include <algorithm>
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
constexpr const char* k_count_run_logs = "SELECT count(*) FROM logs WHERE run_id = ?1";
constexpr const char* k_runs_of_event = "SELECT id FROM runs WHERE event_id = ?1";
// Children first and explicitly, rather than by ON DELETE CASCADE: the count
// of log lines comes from the first, and attempts have no index on run_id
// alone but (run_id, step, number) starts with it.
constexpr const char* k_delete_run_logs = "DELETE FROM logs WHERE run_id = ?1";
constexpr const char* k_delete_run_attempts = "DELETE FROM attempts WHERE run_id = ?1";
constexpr const char* k_delete_run_steps = "DELETE FROM steps WHERE run_id = ?1";
constexpr const char* k_delete_run = "DELETE FROM runs WHERE id = ?1";
// Schema 2 has no pending events that a run refers to: an event is pending
// until a run records it. Should events gain a state of their own (the
// engine's queue), this must keep those still waiting.
constexpr const char* k_delete_event =
    "DELETE FROM events WHERE id = ?1 AND NOT EXISTS (SELECT 1 FROM runs WHERE event_id = ?1)";

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
    return out;
}

// Events of `runs` that no other run refers to.
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
        if (!kept) ++count;
    }
    return count;
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
        result.events = *events;
        return result;
    }

    // Choose and delete under one write lock: a run cannot start or end in
    // between.
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto runs = candidates(db, workflow, keep, now);
    if (!runs) return runs.error();
    for (const Candidate& c : *runs) {
        auto n = step_one(db, k_delete_run_logs, c.run, "prune log lines");
        if (!n) return n.error();
        result.log_lines += *n;
        for (const char* sql : {k_delete_run_attempts, k_delete_run_steps, k_delete_run})
            if (auto r = step_one(db, sql, c.run, "prune run"); !r) return r.error();
        result.runs.push_back(c.run);
    }
    std::unordered_set<RowId> seen;
    for (const Candidate& c : *runs) {
        if (!seen.insert(c.event).second) continue;
        auto n = step_one(db, k_delete_event, c.event, "prune event");
        if (!n) return n.error();
        result.events += *n;
    }
    if (auto r = scope->commit(); !r) return r.error();
    return result;
}

}  // namespace weft::store
