// Every read of the state database. Reads run as short transactions that end
// before the method returns: a reader that held one open (`logs --follow`)
// would keep the WAL from being checkpointed.
#include <algorithm>
#include <unordered_map>

#include "weft/store/sqlite_db.hpp"

namespace weft::store {
namespace {

#define WEFT_RUN_COLUMNS                                                                       \
    "SELECT r.id, r.workflow, r.file, r.status, r.event_id, coalesce(e.kind, ''), r.attempt, " \
    "r.params, r.started, r.ended, coalesce(r.owner, ''), coalesce(r.message, '') "            \
    "FROM runs r LEFT JOIN events e ON e.id = r.event_id "

// One statement per filter combination, so each can use its index
// (an `?1 IS NULL OR workflow = ?1` predicate would defeat it).
constexpr const char* k_list_runs = WEFT_RUN_COLUMNS "ORDER BY r.id DESC LIMIT ?3";
constexpr const char* k_list_runs_workflow =
    WEFT_RUN_COLUMNS "WHERE r.workflow = ?1 ORDER BY r.id DESC LIMIT ?3";
constexpr const char* k_list_runs_status =
    WEFT_RUN_COLUMNS "WHERE r.status = ?2 ORDER BY r.id DESC LIMIT ?3";
constexpr const char* k_list_runs_both =
    WEFT_RUN_COLUMNS "WHERE r.workflow = ?1 AND r.status = ?2 ORDER BY r.id DESC LIMIT ?3";
constexpr const char* k_get_run = WEFT_RUN_COLUMNS "WHERE r.id = ?1";
constexpr const char* k_any_run_with_status = "SELECT 1 FROM runs WHERE status = ?1 LIMIT 1";
#undef WEFT_RUN_COLUMNS

constexpr const char* k_get_event =
    "SELECT id, kind, time, payload, created FROM events WHERE id = ?1";
constexpr const char* k_get_fingerprint =
    "SELECT fingerprint, outputs, run_id FROM fingerprints WHERE workflow = ?1 AND step = ?2";
// steps.attempts is not read: schema 7 no longer writes it (get_run counts).
constexpr const char* k_get_steps =
    "SELECT step, position, status, started, ended, exit_code, signal, outputs, "
    "coalesce(message, '') FROM steps WHERE run_id = ?1 ORDER BY position";
constexpr const char* k_get_attempts =
    "SELECT id, step, number, status, started, ended, exit_code, signal, pid, pid_start_time, "
    "coalesce(message, ''), log_dropped_lines, log_dropped_bytes, log_cap, slurm FROM attempts "
    "WHERE run_id = ?1 ORDER BY id";
constexpr const char* k_get_step_status =
    "SELECT status FROM steps WHERE run_id = ?1 AND step = ?2";
constexpr const char* k_get_logs =
    "SELECT seq, coalesce(attempt_id, 0), step, time, stream, text FROM logs "
    "WHERE run_id = ?1 AND seq > ?2 ORDER BY seq LIMIT ?3";
constexpr const char* k_get_step_logs =
    "SELECT seq, coalesce(attempt_id, 0), step, time, stream, text FROM logs "
    "WHERE run_id = ?1 AND step = ?4 AND seq > ?2 ORDER BY seq LIMIT ?3";

// SQLite reads a corrupt b-tree page unpredictably: sometimes as an error,
// sometimes as no row or a row of garbage. Before weft believes a missing
// row or a value it does not know, it checks `table` (and its indexes) and
// reports damage as damage. Only on those paths: a lookup that finds what it
// expects costs nothing more.
Result<void> check_damage(const Store::Impl& db, const char* table, std::string_view what) {
    const std::string sql = std::string("PRAGMA quick_check(") + table + ")";
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db.db, sql.c_str(), -1, &stmt, nullptr);
    std::string verdict;
    if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
        const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
        verdict = text ? text : "";
        rc = SQLITE_OK;
    }
    sqlite3_finalize(stmt);
    if (rc != SQLITE_OK) return db.error(what, rc);
    if (verdict != "ok") return db.error(what, SQLITE_CORRUPT);
    return {};
}

Error bad_value(const Store::Impl& db, const char* table, std::string_view what,
                const std::string& value) {
    if (auto c = check_damage(db, table, "read " + std::string(what)); !c) return c.error();
    return make_error(Errc::state, "state database " + db.path + ": unknown " + std::string(what) +
                                       " '" + value + "' (a newer weft wrote it?)");
}

Result<RunState> run_state(const Store::Impl& db, const std::string& name) {
    if (auto s = parse_run_state(name)) return *s;
    return bad_value(db, "runs", "run status", name);
}

Result<StepState> step_state(const Store::Impl& db, const std::string& name) {
    if (auto s = parse_step_state(name)) return *s;
    return bad_value(db, "steps", "step status", name);
}

Result<RunRow> read_run(const Store::Impl& db, const Statement& st) {
    RunRow row;
    row.id = st.int64(0);
    row.workflow = st.text(1);
    row.file = st.text(2);
    auto status = run_state(db, st.text(3));
    if (!status) return status.error();
    row.status = *status;
    row.event_id = st.int64(4);
    row.trigger = st.text(5);
    row.attempt = st.integer(6);
    row.params = parse_json_text(st.text(7), nlohmann::json::object());
    row.started = st.opt_time(8);
    row.ended = st.opt_time(9);
    row.owner = st.text(10);
    row.message = st.text(11);
    return row;
}

// All rows of a prepared runs query.
Result<std::vector<RunRow>> read_runs(Store::Impl& db, Statement& st) {
    std::vector<RunRow> rows;
    int rc;
    while ((rc = st.step()) == SQLITE_ROW) {
        auto row = read_run(db, st);
        if (!row) return row.error();
        rows.push_back(std::move(*row));
    }
    if (rc != SQLITE_DONE) return db.error("list runs", rc);
    return rows;
}

std::int64_t sql_limit(std::optional<std::size_t> limit) {
    return limit ? static_cast<std::int64_t>(*limit) : -1;  // LIMIT -1: no limit
}

}  // namespace

Result<std::vector<RunRow>> Store::list_runs(const RunFilter& filter) {
    Impl& db = *m_impl;
    const char* sql = filter.workflow ? (filter.status ? k_list_runs_both : k_list_runs_workflow)
                                      : (filter.status ? k_list_runs_status : k_list_runs);
    auto st = db.prepare(sql);
    if (!st) return st.error();
    if (filter.workflow) st->bind_static(1, *filter.workflow);
    if (filter.status) st->bind(2, to_string(*filter.status));
    st->bind(3, sql_limit(filter.limit));
    return read_runs(db, *st);
}

Result<std::vector<RunRow>> Store::runs_with_status(RunState status) {
    // Every command asks (recovery) and there is mostly none: this costs a
    // sixth of compiling the listing.
    Impl& db = *m_impl;
    {
        auto st = db.prepare(k_any_run_with_status);
        if (!st) return st.error();
        st->bind_static(1, to_string(status));
        const int rc = st->step();
        if (rc == SQLITE_DONE) return std::vector<RunRow>();
        if (rc != SQLITE_ROW) return db.error("list runs", rc);
    }
    return list_runs({.status = status});
}

Result<std::optional<RunRow>> Store::get_run_row(RowId run) {
    Impl& db = *m_impl;
    auto st = db.prepare(k_get_run);
    if (!st) return st.error();
    st->bind(1, run);
    auto rows = read_runs(db, *st);
    if (!rows) return rows.error();
    if (rows->empty()) {
        if (auto c = check_damage(db, "runs", "read run " + std::to_string(run)); !c)
            return c.error();
        return std::optional<RunRow>();
    }
    return std::optional<RunRow>(std::move(rows->front()));
}

Result<std::optional<Fingerprint>> Store::get_fingerprint(std::string_view workflow,
                                                          std::string_view step) {
    Impl& db = *m_impl;
    auto st = db.prepare(k_get_fingerprint);
    if (!st) return st.error();
    st->bind(1, workflow);
    st->bind(2, step);
    const int rc = st->step();
    if (rc == SQLITE_DONE) return std::optional<Fingerprint>();
    if (rc != SQLITE_ROW) return db.error("get fingerprint", rc);
    Fingerprint f;
    f.fingerprint = st->text(0);
    f.outputs = parse_json_text(st->text(1), nlohmann::json::object());
    f.run_id = st->int64(2);
    return std::optional<Fingerprint>(std::move(f));
}

Result<std::optional<EventRow>> Store::get_event(RowId event) {
    Impl& db = *m_impl;
    auto st = db.prepare(k_get_event);
    if (!st) return st.error();
    st->bind(1, event);
    const int rc = st->step();
    if (rc == SQLITE_DONE) return std::optional<EventRow>();
    if (rc != SQLITE_ROW) return db.error("get event", rc);
    EventRow row;
    row.id = st->int64(0);
    row.kind = st->text(1);
    row.time = st->time(2);
    row.payload = parse_json_text(st->text(3), nlohmann::json::object());
    row.created = st->time(4);
    return std::optional<EventRow>(std::move(row));
}

Result<std::optional<RunDetail>> Store::get_run(RowId run) {
    Impl& db = *m_impl;
    // One snapshot for the four statements.
    auto scope = ReadScope::enter(db);
    if (!scope) return scope.error();

    auto row = get_run_row(run);
    if (!row) return row.error();
    if (!*row) return std::optional<RunDetail>();
    RunDetail detail;
    detail.run = std::move(**row);

    auto event = get_event(detail.run.event_id);
    if (!event) return event.error();
    if (*event) detail.event = std::move(**event);

    std::unordered_map<std::string, std::size_t> index;
    {
        auto st = db.prepare(k_get_steps);
        if (!st) return st.error();
        st->bind(1, run);
        int rc;
        while ((rc = st->step()) == SQLITE_ROW) {
            StepRow step;
            step.id = st->text(0);
            step.position = st->integer(1);
            auto status = step_state(db, st->text(2));
            if (!status) return status.error();
            step.status = *status;
            step.started = st->opt_time(3);
            step.ended = st->opt_time(4);
            step.exit_code = st->opt_int(5);
            step.signal = st->opt_text(6);
            step.outputs = parse_json_text(st->text(7), nlohmann::json::object());
            step.message = st->text(8);
            index.emplace(step.id, detail.steps.size());
            detail.steps.push_back(std::move(step));
        }
        if (rc != SQLITE_DONE) return db.error("get steps", rc);
    }
    {
        auto st = db.prepare(k_get_attempts);
        if (!st) return st.error();
        st->bind(1, run);
        int rc;
        while ((rc = st->step()) == SQLITE_ROW) {
            AttemptRow attempt;
            attempt.id = st->int64(0);
            const std::string step = st->text(1);
            attempt.number = st->integer(2);
            auto status = step_state(db, st->text(3));
            if (!status) return status.error();
            attempt.status = *status;
            attempt.started = st->time(4);
            attempt.ended = st->opt_time(5);
            attempt.exit_code = st->opt_int(6);
            attempt.signal = st->opt_text(7);
            if (!st->is_null(8))
                attempt.process = ProcessRef{st->int64(8), st->opt_int64(9).value_or(0)};
            attempt.message = st->text(10);
            attempt.log_dropped_lines = st->int64(11);
            attempt.log_dropped_bytes = st->int64(12);
            attempt.log_cap = st->opt_int64(13);
            if (auto text = st->opt_text(14)) {
                const auto j = parse_json_text(*text, nlohmann::json::object());
                if (j.is_object())
                    attempt.slurm =
                        SlurmJobRef{j.value("name", ""), j.value("dir", ""), j.value("job", "")};
            }
            if (auto it = index.find(step); it != index.end()) {
                StepRow& owner = detail.steps[it->second];
                owner.attempts = std::max(owner.attempts, attempt.number);
                owner.attempt_rows.push_back(std::move(attempt));
            }
        }
        if (rc != SQLITE_DONE) return db.error("get attempts", rc);
    }
    return std::optional<RunDetail>(std::move(detail));
}

Result<std::vector<LogRow>> Store::get_logs(RowId run, std::optional<std::string_view> step,
                                            std::int64_t after_seq, std::size_t limit) {
    Impl& db = *m_impl;
    auto st = db.prepare(step ? k_get_step_logs : k_get_logs);
    if (!st) return st.error();
    st->bind(1, run);
    st->bind(2, after_seq);
    st->bind(3, limit == 0 ? std::int64_t{-1} : static_cast<std::int64_t>(limit));
    if (step) st->bind_static(4, *step);
    std::vector<LogRow> rows;
    int rc;
    while ((rc = st->step()) == SQLITE_ROW) {
        LogRow row;
        row.seq = st->int64(0);
        row.attempt_id = st->int64(1);
        row.step = st->text(2);
        row.time = st->time(3);
        row.stream = st->integer(4);
        row.text = st->text(5);
        rows.push_back(std::move(row));
    }
    if (rc != SQLITE_DONE) return db.error("get logs", rc);
    return rows;
}

Result<LogPage> Store::poll_logs(RowId run, std::optional<std::string_view> step,
                                 std::int64_t after_seq, std::size_t limit) {
    Impl& db = *m_impl;
    // One snapshot: lines committed with (or before) the run's end are in it
    // whenever the end is.
    auto scope = ReadScope::enter(db);
    if (!scope) return scope.error();
    LogPage page;
    auto row = get_run_row(run);
    if (!row) return row.error();
    if (*row) page.run = (*row)->status;
    if (step) {
        auto st = db.prepare(k_get_step_status);
        if (!st) return st.error();
        st->bind(1, run);
        st->bind_static(2, *step);
        const int rc = st->step();
        if (rc == SQLITE_ROW) {
            auto status = step_state(db, st->text(0));
            if (!status) return status.error();
            page.step = *status;
        } else if (rc != SQLITE_DONE) {
            return db.error("get step status", rc);
        }
    }
    auto lines = get_logs(run, step, after_seq, limit);
    if (!lines) return lines.error();
    page.lines = std::move(*lines);
    return page;
}

}  // namespace weft::store
