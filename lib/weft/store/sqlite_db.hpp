#pragma once
// Internal to weft::store: the connection, the cache of prepared statements
// and scoped transactions. The only header that includes sqlite3.h.
#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "weft/store/store.hpp"

namespace weft::store {

inline std::int64_t to_millis(TimePoint t) {
    return t.time_since_epoch().count();
}
inline TimePoint from_millis(std::int64_t ms) {
    return TimePoint{std::chrono::milliseconds{ms}};
}

// Compact JSON for a column; text that is not UTF-8 is replaced, never thrown on.
std::string json_text(const nlohmann::json& value);
// The column's JSON, or `fallback` when it does not parse.
nlohmann::json parse_json_text(std::string_view text, nlohmann::json fallback);

// A cached statement in use: bind, step, read columns. Resets the statement
// and clears its bindings when it goes out of scope, so no read transaction
// outlives the call that used it.
class Statement {
  public:
    explicit Statement(sqlite3_stmt* stmt) : m_stmt(stmt) {}
    Statement(Statement&& other) noexcept : m_stmt(other.m_stmt), m_rc(other.m_rc) {
        other.m_stmt = nullptr;
    }
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement& operator=(Statement&&) = delete;
    ~Statement() {
        if (m_stmt) {
            sqlite3_reset(m_stmt);
            sqlite3_clear_bindings(m_stmt);
        }
    }

    // Parameters are 1-based. A failed bind is reported by the next step().
    void bind(int i, std::int64_t v) { note(sqlite3_bind_int64(m_stmt, i, v)); }
    void bind(int i, int v) { note(sqlite3_bind_int64(m_stmt, i, v)); }
    void bind(int i, TimePoint t) { bind(i, to_millis(t)); }
    // Copies `text` (SQLITE_TRANSIENT): temporaries are safe to bind.
    void bind(int i, std::string_view text) {
        note(sqlite3_bind_text64(m_stmt, i, text.data(), text.size(), SQLITE_TRANSIENT,
                                 SQLITE_UTF8));
    }
    void bind(int i, const std::string& text) { bind(i, std::string_view(text)); }
    void bind(int i, const char* text) { bind(i, std::string_view(text)); }
    // Does not copy: `text` must outlive the next step().
    void bind_static(int i, std::string_view text) {
        note(sqlite3_bind_text64(m_stmt, i, text.data(), text.size(), SQLITE_STATIC, SQLITE_UTF8));
    }
    void bind_static(int i, const std::string& text) { bind_static(i, std::string_view(text)); }
    void bind_static(int i, const char* text) { bind_static(i, std::string_view(text)); }
    void bind_static(int i, const std::optional<std::string>& text) {
        if (text)
            bind_static(i, std::string_view(*text));
        else
            bind_null(i);
    }
    void bind_null(int i) { note(sqlite3_bind_null(m_stmt, i)); }
    template <class T>
    void bind(int i, const std::optional<T>& v) {
        if (v)
            bind(i, *v);
        else
            bind_null(i);
    }

    // SQLITE_ROW, SQLITE_DONE or an error code.
    int step() { return m_rc != SQLITE_OK ? m_rc : sqlite3_step(m_stmt); }
    // Reset for another set of bindings (the loop of append_logs).
    void reset() {
        sqlite3_reset(m_stmt);
        m_rc = SQLITE_OK;
    }

    bool is_null(int col) const { return sqlite3_column_type(m_stmt, col) == SQLITE_NULL; }
    std::int64_t int64(int col) const { return sqlite3_column_int64(m_stmt, col); }
    int integer(int col) const { return sqlite3_column_int(m_stmt, col); }
    std::optional<std::int64_t> opt_int64(int col) const {
        if (is_null(col)) return std::nullopt;
        return int64(col);
    }
    std::optional<int> opt_int(int col) const {
        if (is_null(col)) return std::nullopt;
        return integer(col);
    }
    // Bytes as stored, embedded NULs included.
    std::string text(int col) const {
        const auto* p = reinterpret_cast<const char*>(sqlite3_column_text(m_stmt, col));
        const int n = sqlite3_column_bytes(m_stmt, col);
        return p ? std::string(p, static_cast<std::size_t>(n)) : std::string();
    }
    std::optional<std::string> opt_text(int col) const {
        if (is_null(col)) return std::nullopt;
        return text(col);
    }
    TimePoint time(int col) const { return from_millis(int64(col)); }
    std::optional<TimePoint> opt_time(int col) const {
        if (is_null(col)) return std::nullopt;
        return time(col);
    }

  private:
    void note(int rc) {
        if (rc != SQLITE_OK && m_rc == SQLITE_OK) m_rc = rc;
    }
    sqlite3_stmt* m_stmt;
    int m_rc = SQLITE_OK;
};

// The WAL's size in pages at which a commit asks for a checkpoint: SQLite's
// own default (wal_autocheckpoint), about 4 MB.
inline constexpr int k_checkpoint_pages = 1000;
// The WAL's size at which the writer checkpoints itself and restarts it,
// should the checkpoint thread never catch up (checkpointer.cpp): ~40 MB.
inline constexpr int k_checkpoint_pages_inline = 10 * k_checkpoint_pages;

// How long a connection waits for another's lock (sqlite3_busy_timeout).
int busy_timeout_ms();

// A thread that checkpoints the WAL for one Store (checkpointer.cpp).
class Checkpointer;
struct CheckpointerDeleter {
    void operator()(Checkpointer* c) const;
};

struct Store::Impl {
    sqlite3* db = nullptr;
    std::string path;
    bool writes_refused = false;  // Store::refuse_writes()
    // Set by a write that recovery needs after a power loss (a Slurm job's
    // name, which outlives this machine): the commit that ends its
    // transaction also syncs the WAL (synchronous=NORMAL syncs it only at
    // checkpoints). The durable state is a prefix of the commits, so every
    // earlier one becomes durable with it.
    bool sync_at_commit = false;
    bool file = false;       // on disk, in WAL mode (not open_memory)
    bool committed = false;  // a write transaction of this connection committed
    // Keyed by the address of the SQL text: every statement is a constant.
    std::unordered_map<const char*, sqlite3_stmt*> cache;
    // The log cap (Store::append_logs): bytes stored so far per attempt of
    // this process, until the attempt finishes.
    struct LogBudget {
        std::uint64_t stored = 0;
        bool capped = false;
    };
    std::uint64_t log_cap = k_default_log_cap;
    std::unordered_map<RowId, LogBudget> log_budgets;
    // Started by the first commit that finds the WAL at k_checkpoint_pages.
    std::unique_ptr<Checkpointer, CheckpointerDeleter> checkpointer;
    int checkpoint_asked_at = 0;  // the WAL's pages then; 0: not since it restarted
    int restart_tried_at = 0;     // the WAL's pages at a RESTART that was busy; 0: none

    Impl() = default;
    Impl(const Impl&) = delete;
    Impl& operator=(const Impl&) = delete;
    ~Impl();

    // The cached statement for `sql` (prepared once, SQLITE_PREPARE_PERSISTENT).
    Result<Statement> prepare(const char* sql);
    // Step the cached statement `sql` once, ignoring any row (BEGIN, COMMIT).
    Result<void> run(const char* sql, std::string_view what);
    // COMMIT, then the WAL's fdatasync if sync_at_commit was set.
    Result<void> commit();
    // fdatasync of the -wal file (none is not a failure): every commit so far
    // is then durable. Errc::state when the sync fails.
    Result<void> sync_wal();
    // Run SQL text without parameters, uncached (pragmas, migrations).
    Result<void> exec(const char* sql, std::string_view what);
    // Errc::state: "state database PATH: WHAT: <sqlite's message>".
    Error error(std::string_view what) const;
    Error error(std::string_view what, int rc) const;
    // Errc::state for a write after Store::refuse_writes().
    Error refused() const;
    bool in_transaction() const { return sqlite3_get_autocommit(db) == 0; }
    int changes() const { return sqlite3_changes(db); }
};

// From now on a commit that leaves the WAL at k_checkpoint_pages or more
// wakes the Store's checkpoint thread instead of checkpointing itself
// (checkpointer.cpp). For a database file in WAL mode.
void checkpoint_in_background(Store::Impl& impl);

// BEGIN IMMEDIATE when no transaction is open, else nothing: a write method's
// own transaction. Rolls back when it goes out of scope without commit().
class WriteScope {
  public:
    static Result<WriteScope> enter(Store::Impl& db);
    WriteScope(WriteScope&& other) noexcept : m_db(other.m_db) { other.m_db = nullptr; }
    WriteScope& operator=(WriteScope&&) = delete;
    ~WriteScope();
    Result<void> commit();

  private:
    explicit WriteScope(Store::Impl* db) : m_db(db) {}
    Store::Impl* m_db;  // null when an outer transaction owns the commit
};

// A deferred read transaction when none is open, so a query of several
// statements sees one snapshot; ended (COMMIT) as soon as it goes out of scope.
class ReadScope {
  public:
    static Result<ReadScope> enter(Store::Impl& db);
    ReadScope(ReadScope&& other) noexcept : m_db(other.m_db) { other.m_db = nullptr; }
    ReadScope& operator=(ReadScope&&) = delete;
    ~ReadScope();

  private:
    explicit ReadScope(Store::Impl* db) : m_db(db) {}
    Store::Impl* m_db;
};

}  // namespace weft::store
