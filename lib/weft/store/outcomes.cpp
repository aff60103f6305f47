// What became of each event for each workflow it was offered to (schema 6,
// `weft events`, `weft trigger`). Written in the engine's open transaction,
// like the event itself; read in one short statement per page.
#include "weft/store/sqlite_db.hpp"

namespace weft::store {
namespace {

constexpr const char* k_set_outcome =
    "INSERT OR REPLACE INTO event_outcomes(event_id, workflow, outcome, run_id, merged_into, time) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* k_list_events =
    "SELECT id, kind, time, payload FROM events ORDER BY id DESC LIMIT ?1";
constexpr const char* k_list_events_workflow =
    "SELECT e.id, e.kind, e.time, e.payload FROM events e JOIN event_outcomes o "
    "ON o.event_id = e.id WHERE o.workflow = ?2 ORDER BY e.id DESC LIMIT ?1";
constexpr const char* k_outcomes_of =
    "SELECT workflow, outcome, run_id, merged_into FROM event_outcomes WHERE event_id = ?1 "
    "ORDER BY workflow";

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
    }
    return out;
}

}  // namespace weft::store
