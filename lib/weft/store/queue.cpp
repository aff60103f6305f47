// The engine's queue (events waiting for a run of a workflow) and the last
// fire of each cron schedule. Writes run in the caller's transaction, or in
// their own (WriteScope); reads are one short statement each.
#include "weft/store/sqlite_db.hpp"

namespace weft::store {
namespace {

constexpr const char* k_enqueue =
    "INSERT INTO queue(workflow, event_id, params, created) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* k_dequeue = "DELETE FROM queue WHERE id = ?1";
constexpr const char* k_queued =
    "SELECT id, workflow, event_id, params FROM queue WHERE ?1 = '' OR workflow = ?1 ORDER BY id "
    "LIMIT ?2";
constexpr const char* k_queued_count = "SELECT count(*) FROM queue WHERE ?1 = '' OR workflow = ?1";
constexpr const char* k_set_payload = "UPDATE events SET payload = ?2 WHERE id = ?1";
constexpr const char* k_last_fire =
    "SELECT last FROM schedule_fires WHERE workflow = ?1 AND entry = ?2";
constexpr const char* k_set_last_fire =
    "INSERT OR REPLACE INTO schedule_fires(workflow, entry, last) VALUES (?1, ?2, ?3)";

// Run `sql` once in a write scope after `bind`; the rows it changed.
template <class Bind>
Result<int> exec_write(Store::Impl& db, const char* sql, std::string_view what, Bind&& bind) {
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto st = db.prepare(sql);
    if (!st) return st.error();
    bind(*st);
    if (const int rc = st->step(); rc != SQLITE_DONE) return db.error(what, rc);
    const int changed = db.changes();
    if (auto c = scope->commit(); !c) return c.error();
    return changed;
}

}  // namespace

Result<RowId> Store::enqueue(std::string_view workflow, RowId event, const nlohmann::json& params) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto st = db.prepare(k_enqueue);
    if (!st) return st.error();
    const std::string text = json_text(params);
    st->bind(1, workflow);
    st->bind(2, event);
    st->bind_static(3, text);
    st->bind(4, now());
    if (const int rc = st->step(); rc != SQLITE_DONE) return db.error("enqueue", rc);
    const RowId id = sqlite3_last_insert_rowid(db.db);
    if (auto c = scope->commit(); !c) return c.error();
    return id;
}

Result<void> Store::dequeue(RowId entry) {
    auto n = exec_write(*m_impl, k_dequeue, "dequeue", [&](Statement& st) { st.bind(1, entry); });
    if (!n) return n.error();
    if (*n == 0) return make_error(Errc::not_found, "no queue entry " + std::to_string(entry));
    return {};
}

Result<std::vector<QueuedRun>> Store::queued(std::string_view workflow, std::size_t limit) {
    Impl& db = *m_impl;
    auto st = db.prepare(k_queued);
    if (!st) return st.error();
    st->bind(1, workflow);
    st->bind(2, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
    std::vector<QueuedRun> out;
    for (int rc; (rc = st->step()) != SQLITE_DONE;) {
        if (rc != SQLITE_ROW) return db.error("read the queue", rc);
        QueuedRun q;
        q.id = st->int64(0);
        q.workflow = st->text(1);
        q.event_id = st->int64(2);
        q.params = parse_json_text(st->text(3), nlohmann::json::object());
        out.push_back(std::move(q));
    }
    return out;
}

Result<std::int64_t> Store::queued_count(std::string_view workflow) {
    Impl& db = *m_impl;
    auto st = db.prepare(k_queued_count);
    if (!st) return st.error();
    st->bind(1, workflow);
    if (const int rc = st->step(); rc != SQLITE_ROW) return db.error("count the queue", rc);
    return st->int64(0);
}

Result<void> Store::set_event_payload(RowId event, const nlohmann::json& payload) {
    const std::string text = json_text(payload);
    auto n = exec_write(*m_impl, k_set_payload, "update event", [&](Statement& st) {
        st.bind(1, event);
        st.bind_static(2, text);
    });
    if (!n) return n.error();
    if (*n == 0) return make_error(Errc::not_found, "no event " + std::to_string(event));
    return {};
}

Result<std::optional<TimePoint>> Store::last_fire(std::string_view workflow,
                                                  std::string_view entry) {
    Impl& db = *m_impl;
    auto st = db.prepare(k_last_fire);
    if (!st) return st.error();
    st->bind(1, workflow);
    st->bind(2, entry);
    const int rc = st->step();
    if (rc == SQLITE_DONE) return std::optional<TimePoint>();
    if (rc != SQLITE_ROW) return db.error("read a schedule", rc);
    return std::optional<TimePoint>(st->time(0));
}

Result<void> Store::set_last_fire(std::string_view workflow, std::string_view entry, TimePoint t) {
    auto n = exec_write(*m_impl, k_set_last_fire, "record a schedule fire", [&](Statement& st) {
        st.bind(1, workflow);
        st.bind(2, entry);
        st.bind(3, t);
    });
    if (!n) return n.error();
    return {};
}

}  // namespace weft::store
