// Every write of the state database. Each method runs in the caller's open
// transaction, or else in its own (WriteScope).
#include <algorithm>

#include "weft/store/sqlite_db.hpp"
#include "weft/util/size.hpp"

namespace weft::store {
namespace {

constexpr const char* k_insert_event =
    "INSERT INTO events(kind, time, payload, created) VALUES (?1, ?2, ?3, ?4)";
constexpr const char* k_insert_run =
    "INSERT INTO runs(workflow, file, status, event_id, params, started, owner)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* k_update_run =
    "UPDATE runs SET status = ?2, started = coalesce(?3, started), ended = coalesce(?4, ended),"
    " attempt = coalesce(?5, attempt), owner = coalesce(?6, owner), message = coalesce(?7, message)"
    " WHERE id = ?1";
constexpr const char* k_reopen_run =
    "UPDATE runs SET status = 'running', attempt = ?2, owner = ?3, ended = NULL, message = NULL"
    " WHERE id = ?1";
constexpr const char* k_next_position =
    "SELECT coalesce(max(position) + 1, 0) FROM steps WHERE run_id = ?1";
constexpr const char* k_insert_step =
    "INSERT INTO steps(run_id, step, position) VALUES (?1, ?2, ?3)";
constexpr const char* k_update_step =
    "UPDATE steps SET status = ?3, started = coalesce(?4, started), ended = coalesce(?5, ended),"
    " exit_code = coalesce(?6, exit_code), signal = coalesce(?7, signal),"
    " message = coalesce(?8, message) WHERE run_id = ?1 AND step = ?2";
constexpr const char* k_set_outputs =
    "UPDATE steps SET outputs = ?3 WHERE run_id = ?1 AND step = ?2";
constexpr const char* k_reset_step =
    "UPDATE steps SET status = 'pending', started = NULL, ended = NULL, exit_code = NULL,"
    " signal = NULL, message = NULL, outputs = '{}' WHERE run_id = ?1 AND step = ?2";
constexpr const char* k_insert_attempt =
    "INSERT INTO attempts(run_id, step, number, status, started, pid, pid_start_time)"
    " VALUES (?1, ?2, ?3, 'running', ?4, ?5, ?6)";
constexpr const char* k_set_process =
    "UPDATE attempts SET pid = ?2, pid_start_time = ?3 WHERE id = ?1";
constexpr const char* k_set_slurm = "UPDATE attempts SET slurm = ?2 WHERE id = ?1";
constexpr const char* k_finish_attempt =
    "UPDATE attempts SET status = ?2, ended = ?3, exit_code = ?4, signal = ?5, message = ?6"
    " WHERE id = ?1";
constexpr const char* k_set_fingerprint =
    "INSERT OR REPLACE INTO fingerprints(workflow, step, fingerprint, outputs, run_id, updated)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* k_clear_fingerprint =
    "DELETE FROM fingerprints WHERE workflow = ?1 AND step = ?2";
constexpr const char* k_insert_log =
    "INSERT INTO logs(run_id, step, attempt_id, time, stream, text) VALUES (?1, ?2, ?3, ?4, ?5, "
    "?6)";
constexpr const char* k_count_dropped =
    "UPDATE attempts SET log_dropped_lines = log_dropped_lines + ?2,"
    " log_dropped_bytes = log_dropped_bytes + ?3, log_cap = ?4 WHERE id = ?1";

std::string no_run(RowId run) {
    return "no run " + std::to_string(run);
}
std::string no_step(RowId run, std::string_view step) {
    return "no step '" + std::string(step) + "' in run " + std::to_string(run);
}

// Step the cached statement `sql` once, after `bind` filled its parameters.
// A foreign key violation is Errc::not_found with the message `missing()`.
template <class Bind, class Missing>
Result<void> write(Store::Impl& db, const char* sql, std::string_view what, Bind&& bind,
                   Missing&& missing) {
    if (db.writes_refused) return db.refused();
    auto st = db.prepare(sql);
    if (!st) return st.error();
    bind(*st);
    const int rc = st->step();
    if (rc == SQLITE_DONE) return {};
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return make_error(Errc::not_found, missing());
    return db.error(what, rc);
}

// As write(), for an UPDATE of one row: no row changed is Errc::not_found.
template <class Bind, class Missing>
Result<void> update(Store::Impl& db, const char* sql, std::string_view what, Bind&& bind,
                    Missing&& missing) {
    if (auto r = write(db, sql, what, bind, missing); !r) return r;
    if (db.changes() == 0) return make_error(Errc::not_found, missing());
    return {};
}

}  // namespace

Result<RowId> Store::add_event(std::string_view kind, const nlohmann::json& payload,
                               TimePoint time) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    const std::string payload_text = json_text(payload);
    auto r = write(
        db, k_insert_event, "add event",
        [&](Statement& st) {
            st.bind(1, kind);
            st.bind(2, time);
            st.bind_static(3, payload_text);
            st.bind(4, now());
        },
        [] { return std::string(); });
    if (!r) return r.error();
    const RowId id = sqlite3_last_insert_rowid(db.db);
    if (auto c = scope->commit(); !c) return c.error();
    return id;
}

Result<RowId> Store::create_run(const NewRun& run) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    const std::string params =
        json_text(run.params.is_null() ? nlohmann::json::object() : run.params);
    auto r = write(
        db, k_insert_run, "create run",
        [&](Statement& st) {
            st.bind_static(1, run.workflow);
            st.bind_static(2, run.file);
            st.bind_static(3, to_string(run.status));
            st.bind(4, run.event_id);
            st.bind_static(5, params);
            st.bind(6, run.started);
            st.bind_static(7, run.owner);
        },
        [&] { return "no event " + std::to_string(run.event_id); });
    if (!r) return r.error();
    const RowId id = sqlite3_last_insert_rowid(db.db);
    if (auto c = scope->commit(); !c) return c.error();
    return id;
}

Result<void> Store::set_run_status(RowId run, RunState status, const RunUpdate& fields) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto r = update(
        db, k_update_run, "set run status",
        [&](Statement& st) {
            st.bind(1, run);
            st.bind_static(2, to_string(status));
            st.bind(3, fields.started);
            st.bind(4, fields.ended);
            st.bind(5, fields.attempt);
            st.bind_static(6, fields.owner);
            st.bind_static(7, fields.message);
        },
        [&] { return no_run(run); });
    if (!r) return r;
    return scope->commit();
}

Result<void> Store::reopen_run(RowId run, int attempt, std::string_view owner) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto r = update(
        db, k_reopen_run, "reopen run",
        [&](Statement& st) {
            st.bind(1, run);
            st.bind(2, attempt);
            st.bind_static(3, owner);
        },
        [&] { return no_run(run); });
    if (!r) return r;
    return scope->commit();
}

Result<void> Store::add_steps(RowId run, std::span<const std::string> steps) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    std::int64_t position = 0;
    {
        auto st = db.prepare(k_next_position);
        if (!st) return st.error();
        st->bind(1, run);
        const int rc = st->step();
        if (rc != SQLITE_ROW) return db.error("add steps", rc);
        position = st->int64(0);
    }
    auto st = db.prepare(k_insert_step);
    if (!st) return st.error();
    for (const std::string& step : steps) {
        st->bind(1, run);
        st->bind_static(2, step);
        st->bind(3, position++);
        const int rc = st->step();
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY) return make_error(Errc::not_found, no_run(run));
        if (rc == SQLITE_CONSTRAINT_PRIMARYKEY)
            return make_error(Errc::invalid,
                              "run " + std::to_string(run) + " already has step '" + step + "'");
        if (rc != SQLITE_DONE) return db.error("add steps", rc);
        st->reset();
    }
    return scope->commit();
}

Result<void> Store::set_step(RowId run, std::string_view step, StepState status,
                             const StepUpdate& fields) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto r = update(
        db, k_update_step, "set step",
        [&](Statement& st) {
            st.bind(1, run);
            st.bind_static(2, step);
            st.bind_static(3, to_string(status));
            st.bind(4, fields.started);
            st.bind(5, fields.ended);
            st.bind(6, fields.exit_code);
            st.bind_static(7, fields.signal);
            st.bind_static(8, fields.message);
        },
        [&] { return no_step(run, step); });
    if (!r) return r;
    return scope->commit();
}

Result<void> Store::set_step_outputs(RowId run, std::string_view step,
                                     const nlohmann::json& outputs) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    const std::string text = json_text(outputs.is_null() ? nlohmann::json::object() : outputs);
    auto r = update(
        db, k_set_outputs, "set step outputs",
        [&](Statement& st) {
            st.bind(1, run);
            st.bind_static(2, step);
            st.bind_static(3, text);
        },
        [&] { return no_step(run, step); });
    if (!r) return r;
    return scope->commit();
}

Result<void> Store::set_fingerprint(std::string_view workflow, std::string_view step,
                                    std::string_view fingerprint, const nlohmann::json& outputs,
                                    RowId run) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    const std::string text = json_text(outputs.is_null() ? nlohmann::json::object() : outputs);
    auto r = write(
        db, k_set_fingerprint, "set fingerprint",
        [&](Statement& st) {
            st.bind_static(1, workflow);
            st.bind_static(2, step);
            st.bind_static(3, fingerprint);
            st.bind_static(4, text);
            st.bind(5, run);
            st.bind(6, now());
        },
        [] { return std::string("set fingerprint"); });
    if (!r) return r;
    return scope->commit();
}

Result<void> Store::clear_fingerprint(std::string_view workflow, std::string_view step) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto r = write(
        db, k_clear_fingerprint, "clear fingerprint",
        [&](Statement& st) {
            st.bind_static(1, workflow);
            st.bind_static(2, step);
        },
        [] { return std::string("clear fingerprint"); });
    if (!r) return r;
    return scope->commit();
}

Result<void> Store::reset_steps(RowId run, std::span<const std::string> steps) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    for (const std::string& step : steps) {
        auto r = update(
            db, k_reset_step, "reset step",
            [&](Statement& st) {
                st.bind(1, run);
                st.bind_static(2, step);
            },
            [&] { return no_step(run, step); });
        if (!r) return r;
    }
    return scope->commit();
}

Result<RowId> Store::start_attempt(RowId run, std::string_view step, int number, TimePoint started,
                                   std::optional<ProcessRef> process) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto r = write(
        db, k_insert_attempt, "start attempt",
        [&](Statement& st) {
            st.bind(1, run);
            st.bind_static(2, step);
            st.bind(3, number);
            st.bind(4, started);
            if (process) {
                st.bind(5, process->pid);
                st.bind(6, process->start_time);
            }
        },
        [&] { return no_step(run, step); });
    if (!r) return r.error();
    const RowId id = sqlite3_last_insert_rowid(db.db);
    if (auto c = scope->commit(); !c) return c.error();
    return id;
}

Result<void> Store::set_attempt_slurm(RowId attempt, const SlurmJobRef& job) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    const std::string text = dump_json({{"name", job.name}, {"dir", job.dir}, {"job", job.job}});
    auto r = update(
        db, k_set_slurm, "set attempt slurm job",
        [&](Statement& st) {
            st.bind(1, attempt);
            st.bind(2, text);
        },
        [&] { return "no attempt " + std::to_string(attempt); });
    if (!r) return r;
    // The job runs elsewhere and outlives a power loss here: recovery must
    // find it by this row, so sbatch runs only once it is on the disk.
    db.sync_at_commit = true;
    return scope->commit();
}

Result<void> Store::set_attempt_process(RowId attempt, ProcessRef process) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto r = update(
        db, k_set_process, "set attempt process",
        [&](Statement& st) {
            st.bind(1, attempt);
            st.bind(2, process.pid);
            st.bind(3, process.start_time);
        },
        [&] { return "no attempt " + std::to_string(attempt); });
    if (!r) return r;
    return scope->commit();
}

Result<void> Store::finish_attempt(RowId attempt, const AttemptEnd& end) {
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto r = update(
        db, k_finish_attempt, "finish attempt",
        [&](Statement& st) {
            st.bind(1, attempt);
            st.bind_static(2, to_string(end.status));
            st.bind(3, end.ended);
            st.bind(4, end.exit_code);
            st.bind_static(5, end.signal);
            st.bind_static(6, end.message);
        },
        [&] { return "no attempt " + std::to_string(attempt); });
    if (!r) return r;
    // Its log is complete: the log cap's count is no longer needed.
    db.log_budgets.erase(attempt);
    return scope->commit();
}

Result<void> Store::append_logs(std::span<const LogLine> lines) {
    if (lines.empty()) return {};
    Impl& db = *m_impl;
    auto scope = WriteScope::enter(db);
    if (!scope) return scope.error();
    auto st = db.prepare(k_insert_log);
    if (!st) return st.error();
    auto insert = [&](const LogLine& line, int stream, std::string_view text) -> Result<void> {
        st->bind(1, line.run_id);
        st->bind_static(2, line.step);
        if (line.attempt_id != 0)
            st->bind(3, line.attempt_id);
        else
            st->bind_null(3);
        st->bind(4, line.time);
        st->bind(5, stream);
        st->bind_static(6, text);
        const int rc = st->step();
        st->reset();
        if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
            return make_error(Errc::not_found, no_run(line.run_id));
        if (rc != SQLITE_DONE) return db.error("append logs", rc);
        return {};
    };
    struct Dropped {
        RowId attempt;
        std::int64_t lines;
        std::int64_t bytes;
    };
    std::vector<Dropped> dropped;  // of this call, per attempt: a batch holds few attempts
    std::string note;
    for (const LogLine& line : lines) {
        if (line.attempt_id != 0 && db.log_cap != 0) {
            Impl::LogBudget& budget = db.log_budgets[line.attempt_id];
            const std::uint64_t size = line.text.size() + 1;  // with its newline
            if (!budget.capped && size <= db.log_cap - budget.stored) {
                budget.stored += size;
            } else {
                if (!budget.capped) {
                    budget.capped = true;
                    note = "weft: log cap " + format_size(db.log_cap) +
                           " reached; later lines of this attempt are counted, not stored";
                    if (auto r = insert(line, 2, note); !r) return r;
                }
                auto it = std::find_if(dropped.begin(), dropped.end(), [&](const Dropped& d) {
                    return d.attempt == line.attempt_id;
                });
                if (it == dropped.end()) it = dropped.insert(it, {line.attempt_id, 0, 0});
                ++it->lines;
                it->bytes += static_cast<std::int64_t>(size);
                continue;
            }
        }
        if (auto r = insert(line, line.stream, line.text); !r) return r;
    }
    for (const Dropped& d : dropped) {
        // An attempt id without its row (never the engine's) has nowhere to
        // keep the count: no row changed is not an error.
        auto r = write(
            db, k_count_dropped, "count dropped log lines",
            [&](Statement& c) {
                c.bind(1, d.attempt);
                c.bind(2, d.lines);
                c.bind(3, d.bytes);
                c.bind(4, static_cast<std::int64_t>(db.log_cap));
            },
            [] { return std::string(); });
        if (!r) return r;
    }
    return scope->commit();
}

void Store::set_log_cap(std::uint64_t bytes) {
    m_impl->log_cap = bytes;
}

std::uint64_t Store::log_cap() const {
    return m_impl->log_cap;
}

}  // namespace weft::store
