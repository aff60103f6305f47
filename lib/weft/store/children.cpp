// Reads of the link between a sub-workflow's run and the step that called it
// (runs.parent_run, runs.parent_step; schema 6), for `weft show`, `weft logs`
// and `last`.
#include "weft/store/sqlite_db.hpp"

namespace weft::store {

namespace {

// runs_by_parent (schema 6) answers this one.
constexpr const char* k_child_runs =
    "SELECT coalesce(parent_step, ''), id FROM runs WHERE parent_run = ?1 ORDER BY id";
constexpr const char* k_newest_top_run =
    "SELECT id FROM runs WHERE parent_run IS NULL ORDER BY id DESC LIMIT 1";

}  // namespace

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
    const int rc = st->step();
    if (rc == SQLITE_DONE) return std::optional<RowId>();
    if (rc != SQLITE_ROW) return db.error("read the newest run", rc);
    return std::optional<RowId>(st->int64(0));
}

}  // namespace weft::store
