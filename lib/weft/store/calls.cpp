// The link between a sub-workflow's run and the step that called it
// (runs.parent_run, runs.parent_step; schema 6): written by the engine, read
// by `weft resume` of the parent, `weft show`/`weft logs` and `last`. The
// runs_by_parent index answers the reads by parent.
#include "weft/store/sqlite_db.hpp"

namespace weft::store {
namespace {

constexpr const char* k_set_parent =
    "UPDATE runs SET parent_run = ?2, parent_step = ?3 WHERE id = ?1";
constexpr const char* k_last_child =
    "SELECT id FROM runs WHERE parent_run = ?1 AND parent_step = ?2 ORDER BY id DESC LIMIT 1";
constexpr const char* k_child_runs =
    "SELECT coalesce(parent_step, ''), id FROM runs WHERE parent_run = ?1 ORDER BY id";
constexpr const char* k_newest_top_run =
    "SELECT id FROM runs WHERE parent_run IS NULL ORDER BY id DESC LIMIT 1";

// The id a bound one-row query gives, nullopt for no row.
Result<std::optional<RowId>> one_id(Store::Impl& db, Statement& st, std::string_view what) {
    const int rc = st.step();
    if (rc == SQLITE_DONE) return std::optional<RowId>();
    if (rc != SQLITE_ROW) return db.error(what, rc);
    return std::optional<RowId>(st.int64(0));
}

}  // namespace

Result<void> Store::set_run_parent(RowId run, RowId parent, std::string_view step) {
    Impl& db = *m_impl;
    if (db.writes_refused) return db.refused();
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto st = db.prepare(k_set_parent);
    if (!st) return st.error();
    st->bind(1, run);
    st->bind(2, parent);
    st->bind(3, step);
    if (const int rc = st->step(); rc != SQLITE_DONE) return db.error("link a called run", rc);
    if (db.changes() == 0) return make_error(Errc::not_found, "no run " + std::to_string(run));
    return scope->commit();
}

Result<std::optional<RowId>> Store::last_child_run(RowId parent, std::string_view step) {
    Impl& db = *m_impl;
    auto st = db.prepare(k_last_child);
    if (!st) return st.error();
    st->bind(1, parent);
    st->bind(2, step);
    return one_id(db, *st, "read a called run");
}

Result<std::vector<ChildRun>> Store::child_runs(RowId run) {
    Impl& db = *m_impl;
    auto st = db.prepare(k_child_runs);
    if (!st) return st.error();
    st->bind(1, run);
    std::vector<ChildRun> out;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) out.push_back(ChildRun{st->text(0), st->int64(1)});
    if (rc != SQLITE_DONE) return db.error("read child runs", rc);
    return out;
}

Result<std::optional<RowId>> Store::newest_top_run() {
    Impl& db = *m_impl;
    auto st = db.prepare(k_newest_top_run);
    if (!st) return st.error();
    return one_id(db, *st, "read the newest run");
}

}  // namespace weft::store
