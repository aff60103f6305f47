// Writes of the link between a sub-workflow's run and the step that called
// it (runs.parent_run, runs.parent_step; schema 6), and the read `weft
// resume` of the parent needs to find the child run again.
#include "weft/store/sqlite_db.hpp"

namespace weft::store {

namespace {

constexpr const char* k_set_parent =
    "UPDATE runs SET parent_run = ?2, parent_step = ?3 WHERE id = ?1";
// runs_by_parent (schema 6) answers this one.
constexpr const char* k_last_child =
    "SELECT id FROM runs WHERE parent_run = ?1 AND parent_step = ?2 ORDER BY id DESC LIMIT 1";

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
    const int rc = st->step();
    if (rc == SQLITE_DONE) return std::optional<RowId>();
    if (rc != SQLITE_ROW) return db.error("read a called run", rc);
    return std::optional<RowId>(st->int64(0));
}

}  // namespace weft::store
