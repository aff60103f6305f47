// What became of each event for each workflow it was offered to (schema 6,
// `weft events`, `weft trigger`). Written in the engine's open transaction,
// like the event itself; read in one short statement per page.
#include <algorithm>

#include "weft/store/sqlite_db.hpp"

namespace weft::store {
namespace {

constexpr const char* k_set_outcome =
    "INSERT OR REPLACE INTO event_outcomes(event_id, workflow, outcome, run_id, merged_into, time) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* k_list_events =
    "SELECT id, kind, time, payload FROM events ORDER BY id DESC LIMIT ?1";
constexpr const char* k_list_events_workflow =
    "SELECT e.id, e.kind, e.time, e.payload FROM events e WHERE EXISTS (SELECT 1 FROM "
    "event_outcomes o WHERE o.event_id = e.id AND o.workflow = ?2) OR EXISTS (SELECT 1 FROM runs "
    "r WHERE r.event_id = e.id AND r.workflow = ?2) ORDER BY e.id DESC LIMIT ?1";
constexpr const char* k_outcomes_of =
    "SELECT workflow, outcome, run_id, merged_into FROM event_outcomes WHERE event_id = ?1";
constexpr const char* k_runs_of_event = "SELECT id, workflow FROM runs WHERE event_id = ?1";
constexpr const char* k_last_event = "SELECT coalesce(max(id), 0) FROM events";
constexpr const char* k_stdin_event_after =
    "SELECT EXISTS (SELECT 1 FROM events WHERE id > ?1 AND kind = 'stdin'"
    " AND json_extract(payload, '$.line') = ?2)";

}  // namespace

Result<void> Store::set_outcome(RowId event, std::string_view workflow, const EventOutcome& o) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto st = db.prepare(k_set_outcome);
    if (!st) return st.error();
    st->bind(1, event);
    st->bind(2, workflow);
    st->bind(3, o.outcome);
    st->bind(4, o.run ? std::optional<std::int64_t>(o.run) : std::nullopt);
    st->bind(5, o.merged_into ? std::optional<std::int64_t>(o.merged_into) : std::nullopt);
    st->bind(6, now());
    if (const int rc = st->step(); rc != SQLITE_DONE)
        return db.error("record an event outcome", rc);
    return scope->commit();
}

Result<std::vector<EventHistory>> Store::list_events(std::string_view workflow, std::size_t limit) {
    Impl& db = *m_impl;
    auto tx = ReadScope::enter(db);
    if (!tx) return tx.error();
    std::vector<EventHistory> out;
    {
        auto st = db.prepare(workflow.empty() ? k_list_events : k_list_events_workflow);
        if (!st) return st.error();
        st->bind(1, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
        if (!workflow.empty()) st->bind(2, workflow);
        for (int rc; (rc = st->step()) != SQLITE_DONE;) {
            if (rc != SQLITE_ROW) return db.error("list events", rc);
            EventHistory h;
            h.event.id = st->int64(0);
            h.event.kind = st->text(1);
            h.event.time = st->time(2);
            h.event.payload = parse_json_text(st->text(3), nlohmann::json::object());
            out.push_back(std::move(h));
        }
    }
    for (auto& h : out) {
        auto st = db.prepare(k_outcomes_of);
        if (!st) return st.error();
        st->bind(1, h.event.id);
        for (int rc; (rc = st->step()) != SQLITE_DONE;) {
            if (rc != SQLITE_ROW) return db.error("list event outcomes", rc);
            EventOutcome o;
            o.workflow = st->text(0);
            o.outcome = st->text(1);
            o.run = st->opt_int64(2).value_or(0);
            o.merged_into = st->opt_int64(3).value_or(0);
            h.outcomes.push_back(std::move(o));
        }
        // A run is the outcome of its event for its workflow: the engine
        // writes no row for it (a queued row it replaces).
        auto runs = db.prepare(k_runs_of_event);
        if (!runs) return runs.error();
        runs->bind(1, h.event.id);
        for (int rc; (rc = runs->step()) != SQLITE_DONE;) {
            if (rc != SQLITE_ROW) return db.error("list the runs of an event", rc);
            const std::string wf = runs->text(1);
            auto it = std::find_if(h.outcomes.begin(), h.outcomes.end(),
                                   [&](const EventOutcome& o) { return o.workflow == wf; });
            if (it == h.outcomes.end()) it = h.outcomes.insert(h.outcomes.end(), {.workflow = wf});
            *it = {.workflow = wf, .outcome = "run", .run = runs->int64(0)};
        }
        std::sort(
            h.outcomes.begin(), h.outcomes.end(),
            [](const EventOutcome& a, const EventOutcome& b) { return a.workflow < b.workflow; });
    }
    return out;
}

Result<RowId> Store::last_event_id() {
    Impl& db = *m_impl;
    auto st = db.prepare(k_last_event);
    if (!st) return st.error();
    if (const int rc = st->step(); rc != SQLITE_ROW) return db.error("read the last event", rc);
    return st->int64(0);
}

Result<bool> Store::has_stdin_event(RowId after, std::string_view line) {
    Impl& db = *m_impl;
    auto st = db.prepare(k_stdin_event_after);
    if (!st) return st.error();
    st->bind(1, after);
    st->bind(2, line);
    if (const int rc = st->step(); rc != SQLITE_ROW) return db.error("look for an event", rc);
    return st->int64(0) != 0;
}

}  // namespace weft::store
