// Opening the state database: file and directory creation, identity checks,
// pragmas, forward-only migrations, transactions.
//
// The schema is the SQL of k_migrations below, applied in order; PRAGMA
// user_version counts those applied, PRAGMA application_id = 'weft' marks
// the file as ours. Beside each migration, why its tables are as they are.
// Times are INTEGER milliseconds since the Unix epoch, UTC. JSON columns hold
// compact text dumped with invalid UTF-8 replaced.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <thread>

#include "weft/store/sqlite_db.hpp"

namespace weft::store {
namespace {

// 'weft' in ASCII: PRAGMA application_id marks a database as ours.
constexpr std::int64_t k_application_id = 0x77656674;

// Forward-only migrations: entry N-1 takes schema N-1 to N. Append, never edit.
constexpr const char* k_migrations[] = {
    // 1: the initial schema.
    //   events  AUTOINCREMENT: ids never reused, even after prune. kind:
    //     manual | file | schedule | stdin | workflow; time: when it happened
    //     (schedule: the scheduled instant); created: when it was recorded;
    //     payload: JSON (paths, line, json, schedule, workflow, params).
    //   runs    AUTOINCREMENT: run ids never reused. status: SPEC §4 run
    //     state; attempt: 1 + the number of resumes; owner: the lock token of
    //     the process that runs it; message: why it ended, when the status
    //     alone does not say. Each index implicitly ends with the rowid, so
    //     "newest first" scans an index backwards.
    //   steps   WITHOUT ROWID: a step update is one b-tree search, not index +
    //     table (the write benchmark's CPU time went from 0.23 s to 0.18 s).
    //     position: the order of add_steps; attempts: the highest attempt
    //     number started; signal: a name ("SIGKILL").
    //   attempts  pid_start_time: field 22 of /proc/PID/stat, so a reused pid
    //     is not taken for the attempt's process.
    //   logs    seq is the rowid: it increases in commit order (one writer at a
    //     time) and is the cursor of `logs --follow`. attempt_id has no
    //     foreign key on purpose: deleting an attempt would scan logs for it
    //     (no index on it). stream: 1 stdout, 2 stderr; text: bytes as
    //     produced, not necessarily UTF-8. logs_by_run serves a whole run in
    //     seq order and the cascade, logs_by_step one step in seq order.
    R"sql(
CREATE TABLE events (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    kind    TEXT    NOT NULL,
    time    INTEGER NOT NULL,
    payload TEXT    NOT NULL DEFAULT '{}',
    created INTEGER NOT NULL
);
CREATE TABLE runs (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow TEXT    NOT NULL,
    file     TEXT    NOT NULL,
    status   TEXT    NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events(id),
    attempt  INTEGER NOT NULL DEFAULT 1,
    params   TEXT    NOT NULL DEFAULT '{}',
    started  INTEGER,
    ended    INTEGER,
    owner    TEXT,
    message  TEXT
);
CREATE INDEX runs_by_workflow ON runs(workflow);
CREATE INDEX runs_by_status ON runs(status);
CREATE INDEX runs_by_event ON runs(event_id);
CREATE TABLE steps (
    run_id    INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step      TEXT    NOT NULL,
    position  INTEGER NOT NULL,
    status    TEXT    NOT NULL DEFAULT 'pending',
    attempts  INTEGER NOT NULL DEFAULT 0,
    started   INTEGER,
    ended     INTEGER,
    exit_code INTEGER,
    signal    TEXT,
    outputs   TEXT    NOT NULL DEFAULT '{}',
    message   TEXT,
    PRIMARY KEY (run_id, step)
) WITHOUT ROWID;
CREATE TABLE attempts (
    id             INTEGER PRIMARY KEY,
    run_id         INTEGER NOT NULL,
    step           TEXT    NOT NULL,
    number         INTEGER NOT NULL,
    status         TEXT    NOT NULL,
    started        INTEGER NOT NULL,
    ended          INTEGER,
    exit_code      INTEGER,
    signal         TEXT,
    pid            INTEGER,
    pid_start_time INTEGER,
    message        TEXT,
    FOREIGN KEY (run_id, step) REFERENCES steps(run_id, step) ON DELETE CASCADE
);
CREATE INDEX attempts_by_step ON attempts(run_id, step, number);
CREATE TABLE logs (
    seq        INTEGER PRIMARY KEY,
    run_id     INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,
    step       TEXT    NOT NULL,
    attempt_id INTEGER,
    time       INTEGER NOT NULL,
    stream     INTEGER NOT NULL,
    text       TEXT    NOT NULL
);
CREATE INDEX logs_by_run ON logs(run_id);
CREATE INDEX logs_by_step ON logs(run_id, step);
)sql",
    // 2: fingerprints of incremental steps (SPEC §1 sources/generates): the
    // last successful inputs of a step. fingerprint: hex XXH3-128 of its
    // definition, env and sources; outputs: given again when it is up to
    // date. run_id has no foreign key: pruning a run keeps what its steps
    // built.
    R"sql(
CREATE TABLE fingerprints (
    workflow    TEXT    NOT NULL,
    step        TEXT    NOT NULL,
    fingerprint TEXT    NOT NULL,
    outputs     TEXT    NOT NULL DEFAULT '{}',
    run_id      INTEGER NOT NULL,
    updated     INTEGER NOT NULL,
    PRIMARY KEY (workflow, step)
) WITHOUT ROWID;
)sql",
    // 3: the log cap's count (Store::append_logs): lines beyond the cap are
    // counted, not stored (bytes with their newlines); log_cap is the cap in
    // bytes, set once it was reached (a later weft may be given another). Per
    // attempt, not per step: each retry's log is kept, and one process
    // writes an attempt's whole log, so the count lives in its memory.
    R"sql(
ALTER TABLE attempts ADD COLUMN log_dropped_lines INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN log_dropped_bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE attempts ADD COLUMN log_cap INTEGER;
)sql",
    // 4: the engine's queue (events waiting for a run of a workflow) and the
    // last fire of each cron schedule (`weft up`, catch-up after downtime).
    R"sql(
CREATE TABLE queue (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    workflow TEXT    NOT NULL,
    event_id INTEGER NOT NULL REFERENCES events(id),
    params   TEXT    NOT NULL DEFAULT '{}',
    created  INTEGER NOT NULL
);
CREATE INDEX queue_by_workflow ON queue(workflow, id);
CREATE TABLE schedule_fires (
    workflow TEXT    NOT NULL,
    entry    TEXT    NOT NULL,
    last     INTEGER NOT NULL,
    PRIMARY KEY (workflow, entry)
) WITHOUT ROWID;
)sql",
    // 5: the Slurm job of an attempt (SPEC §8, `runs-on: slurm`): JSON
    // {"name", "dir", "job"}. The name and directory are written with the
    // attempt, before the submission, the job id once sbatch gave it, so
    // crash recovery finds the job by its name when the id was lost. NULL
    // for local attempts.
    R"sql(
ALTER TABLE attempts ADD COLUMN slurm TEXT;
)sql",
    // 6: 0.2 (SPEC §9.1, §9.2).
    //   runs.parent_run/parent_step: a sub-workflow's run (trigger `call`)
    //     names the run and step that called it; NULL for every other run.
    //     No foreign key: pruning keeps a child with its parent (prune.cpp
    //     removes them together).
    //   event_outcomes: what became of an event for each workflow it was
    //     offered to (`weft events`, `weft trigger`): outcome is one of run,
    //     queued, merged, skipped, dropped, filtered; run_id for `run`,
    //     merged_into (an event id) for `merged`. Deleted with its event.
    R"sql(
ALTER TABLE runs ADD COLUMN parent_run INTEGER;
ALTER TABLE runs ADD COLUMN parent_step TEXT;
CREATE INDEX runs_by_parent ON runs(parent_run) WHERE parent_run IS NOT NULL;
CREATE TABLE event_outcomes (
    event_id    INTEGER NOT NULL REFERENCES events(id) ON DELETE CASCADE,
    workflow    TEXT    NOT NULL,
    outcome     TEXT    NOT NULL,
    run_id      INTEGER,
    merged_into INTEGER,
    time        INTEGER NOT NULL,
    PRIMARY KEY (event_id, workflow)
) WITHOUT ROWID;
)sql",
    // 7: less written per attempt (issue 16). Every query of attempts asks
    //   for a run's (get_run, prune, the cascade from steps once prune has
    //   deleted them), so an index on run_id serves them all: its entries
    //   (run_id, id) are appended at the index's end, where (run_id, step,
    //   number) put each attempt into a page of its own. steps.attempts is
    //   no longer written: the attempt count is the highest number among the
    //   step's attempts, read with them (get_run); the UPDATE of the step per
    //   attempt that kept it is gone. The column stays, holding what older
    //   wefts wrote (the same number).
    R"sql(
DROP INDEX attempts_by_step;
CREATE INDEX attempts_by_run ON attempts(run_id);
)sql",
};

constexpr int k_latest_version = static_cast<int>(std::size(k_migrations));

Error refuse(const std::string& path, const std::string& why) {
    return make_error(Errc::state, "cannot use state database " + path + ": " + why);
}

// Create `path`'s directory (0700) and `path` itself (0600) before SQLite
// opens it: SQLite would create the file 0644 (DESIGN.md §2). SQLite gives
// the -wal and -shm files the database file's mode.
Result<void> create_file(const std::string& path) {
    namespace fs = std::filesystem;
    const fs::path dir = fs::path(path).parent_path();
    std::error_code ec;
    if (!dir.empty() && !fs::exists(dir, ec)) {
        if (const fs::path up = dir.parent_path(); !up.empty()) {
            fs::create_directories(up, ec);
            if (ec)
                return refuse(path, "cannot create directory " + up.string() + ": " + ec.message());
        }
        if (::mkdir(dir.c_str(), 0700) == 0) {
            ::chmod(dir.c_str(), 0700);  // the umask may have taken bits
        } else if (errno != EEXIST) {
            return refuse(path,
                          "cannot create directory " + dir.string() + ": " + std::strerror(errno));
        }
    }
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd >= 0) {
        ::fchmod(fd, 0600);
        ::close(fd);
    } else if (errno != EEXIST) {
        return refuse(path, std::string("cannot create the file: ") + std::strerror(errno));
    }
    return {};
}

// Every command writes (recovery, at least): a database weft cannot write
// is refused with the reason, before SQLite reports it as "unable to open".
// In WAL mode SQLite also creates PATH-wal and PATH-shm beside it.
Result<void> check_writable(const std::string& path) {
    if (::access(path.c_str(), W_OK) != 0)
        return refuse(path, std::string("the file is read-only (") + std::strerror(errno) + ")");
    std::string dir = std::filesystem::path(path).parent_path().string();
    if (dir.empty()) dir = ".";
    const bool companions = ::access((path + "-wal").c_str(), W_OK) == 0 &&
                            ::access((path + "-shm").c_str(), W_OK) == 0;
    if (!companions && ::access(dir.c_str(), W_OK) != 0)
        return refuse(path, "its directory " + dir + " is read-only (" + std::strerror(errno) +
                                "); SQLite creates " + path + "-wal and -shm beside it");
    return {};
}

// Errc::state for a statement that failed on `db`; a file that is not SQLite
// gets the message users need.
Error read_error(Store::Impl& db, const char* what, int rc) {
    if ((rc & 0xff) == SQLITE_NOTADB)
        return refuse(db.path, "not a weft database (not an SQLite file)");
    return db.error(what, rc);
}

// One row of integers from `sql`, run once outside the statement cache;
// `what` names it in errors.
template <std::size_t N>
Result<std::array<std::int64_t, N>> query_ints(Store::Impl& db, const char* sql, const char* what) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v2(db.db, sql, -1, &stmt, nullptr);
    std::array<std::int64_t, N> values{};
    if (rc == SQLITE_OK) {
        rc = sqlite3_step(stmt);
        if (rc == SQLITE_ROW) {
            for (std::size_t i = 0; i < N; ++i)
                values[i] = sqlite3_column_int64(stmt, static_cast<int>(i));
            rc = SQLITE_OK;
        }
    }
    Result<std::array<std::int64_t, N>> out =
        rc == SQLITE_OK ? Result<std::array<std::int64_t, N>>(values)
                        : Result<std::array<std::int64_t, N>>(read_error(db, what, rc));
    sqlite3_finalize(stmt);
    return out;
}

// The schema version of a database that is weft's (or empty): Errc::state
// when it belongs to something else or to a newer weft. Reads only, in one
// read transaction so that all values come from one snapshot (another process
// may be creating the schema meanwhile). The two header pragmas compile in a
// few microseconds and read no schema; the count of tables (a statement
// thirty times dearer to compile) only when the file is not marked as weft's.
Result<int> check_identity(Store::Impl& db) {
    const bool own = !db.in_transaction();  // migrate() asks again under its write lock
    if (own)
        if (auto r = db.exec("BEGIN", "read the schema"); !r) return r.error();
    auto app = query_ints<1>(db, "PRAGMA application_id", "read the schema");
    auto version = query_ints<1>(db, "PRAGMA user_version", "read the schema");
    Result<std::array<std::int64_t, 1>> tables = std::array<std::int64_t, 1>{0};
    if (app && version && (*app)[0] == 0)
        tables = query_ints<1>(
            db, "SELECT count(*) FROM sqlite_schema WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
            "read the schema");
    if (own) (void)db.exec("COMMIT", "read the schema");
    if (!app) return app.error();
    if (!version) return version.error();
    if (!tables) return tables.error();
    const std::int64_t id = (*app)[0], v = (*version)[0];
    if (id != 0 && id != k_application_id)
        return refuse(db.path, "not a weft database (an SQLite database of another application)");
    if (id == 0 && (v != 0 || (*tables)[0] != 0))
        return refuse(db.path, "not a weft database (an SQLite database with other tables)");
    if (v > k_latest_version)
        return refuse(db.path, "created by a newer weft (schema " + std::to_string(v) +
                                   ", this weft knows up to " + std::to_string(k_latest_version) +
                                   ")");
    return static_cast<int>(v);
}

// Migrate forward from schema `version` (check_identity's, read before)
// to schema `target` (k_latest_version but in tests).
Result<void> migrate(Store::Impl& db, int version, int target) {
    if (version >= target) return {};
    if (auto r = db.exec("BEGIN IMMEDIATE", "migrate"); !r) return r;
    // Another process may have migrated while this one waited for the lock.
    auto current = check_identity(db);
    for (int v = current ? *current : target; v < target; ++v) {
        const std::string what = "migrate to schema " + std::to_string(v + 1);
        if (auto r = db.exec(k_migrations[v], what); !r) {
            (void)db.exec("ROLLBACK", "rollback");
            return r;
        }
        const std::string set_version = "PRAGMA user_version = " + std::to_string(v + 1);
        if (auto r = db.exec(set_version.c_str(), what); !r) {
            (void)db.exec("ROLLBACK", "rollback");
            return r;
        }
    }
    if (!current) {
        (void)db.exec("ROLLBACK", "rollback");
        return current.error();
    }
    const std::string set_id = "PRAGMA application_id = " + std::to_string(k_application_id);
    if (auto r = db.exec(set_id.c_str(), "migrate"); !r) {
        (void)db.exec("ROLLBACK", "rollback");
        return r;
    }
    if (auto r = db.exec("COMMIT", "migrate"); !r) return r;
    db.committed = true;
    return {};
}

constexpr auto k_busy_timeout = std::chrono::milliseconds(10000);

}  // namespace

int busy_timeout_ms() {
    return static_cast<int>(k_busy_timeout.count());
}

namespace {

// PRAGMA journal_mode=WAL. Switching a new database needs an exclusive lock
// and SQLite reports SQLITE_BUSY at once, without the busy handler, while
// another process opening the same new file holds a shared one (seen with four
// concurrent openers): retry for up to the busy timeout.
Result<std::string> set_wal(Store::Impl& db) {
    const auto deadline = std::chrono::steady_clock::now() + k_busy_timeout;
    for (;;) {
        sqlite3_stmt* stmt = nullptr;
        int rc = sqlite3_prepare_v2(db.db, "PRAGMA journal_mode=WAL", -1, &stmt, nullptr);
        std::string value;
        if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
            value = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
            rc = SQLITE_OK;
        }
        Result<std::string> out =
            rc == SQLITE_OK ? Result<std::string>(value)
                            : Result<std::string>(read_error(db, "set WAL journal mode", rc));
        sqlite3_finalize(stmt);
        if ((rc & 0xff) != SQLITE_BUSY || std::chrono::steady_clock::now() >= deadline) return out;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
}

// Process-wide settings, before SQLite initialises itself (at the first
// open): without memory statistics, SQLite's allocations take no global
// mutex (7 % of the store's instructions per step). weft reads none of
// them. SQLITE_MISUSE when SQLite was already initialised (by a test's own
// connection): it then keeps its defaults, which are only slower.
void configure_library() {
    static const int once = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    (void)once;
}

enum class Storage { file, memory };

Result<void> configure(Store::Impl& db, Storage storage, int target = k_latest_version) {
    sqlite3_busy_timeout(db.db, static_cast<int>(k_busy_timeout.count()));
    // Identity first: a foreign database must not be switched to WAL. Read
    // once: the version read here decides whether to migrate, and a
    // migration reads it again under the write lock.
    auto version = check_identity(db);
    if (!version) return version.error();
    if (storage == Storage::file) {
        auto mode = set_wal(db);
        if (!mode) return mode.error();
        if (*mode != "wal")
            return refuse(db.path, "cannot switch to WAL journal mode (got " + *mode + ")");
        checkpoint_in_background(db);
    }
    // NORMAL: in WAL mode a commit is written to the WAL but not synced;
    // the WAL is synced at each checkpoint and when a connection that
    // committed closes (~Impl). A crash of weft (kill -9) loses
    // nothing committed (the kernel has it); a power loss or kernel crash
    // may lose the transactions since the last checkpoint, never the
    // database's consistency (ARCHITECTURE.md, "Durability"). With FULL,
    // an fdatasync per commit sat between a step's end and the start of
    // what it unblocks.
    if (auto r = db.exec("PRAGMA synchronous=NORMAL", "set synchronous"); !r) return r;
    if (auto r = db.exec("PRAGMA foreign_keys=ON", "enable foreign keys"); !r) return r;
    // Check each b-tree page as it is read: a damaged page is then always an
    // error, never read unpredictably (as no row, a row of garbage, or a
    // write into it that makes things worse).
    if (auto r = db.exec("PRAGMA cell_size_check=ON", "enable page checks"); !r) return r;
    return migrate(db, *version, target);
}

}  // namespace

// A WAL at most this big survives the last close (see ~Impl).
constexpr off_t k_wal_kept_at_close = 1 << 20;

Store::Impl::~Impl() {
    // Its connection closes first: this one must be the last to close.
    checkpointer.reset();
    for (auto& [sql, stmt] : cache) sqlite3_finalize(stmt);
    if (!db) return;
    // The last connection to close checkpoints the WAL into the database
    // (an fdatasync of each) and deletes it; the next weft creates it again
    // (an fdatasync of it and of the directory). Four syncs were most of a
    // one-step run. While the WAL is small, syncing it alone keeps every
    // commit of this process durable at one sync; the next opener reads the
    // WAL back, and a connection that finds it big checkpoints as before.
    struct stat st {};
    const std::string wal = path + "-wal";
    if (file && ::stat(wal.c_str(), &st) == 0 && st.st_size <= k_wal_kept_at_close &&
        (!committed || sync_wal()))
        sqlite3_db_config(db, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
    sqlite3_close_v2(db);
}

Result<Statement> Store::Impl::prepare(const char* sql) {
    if (auto it = cache.find(sql); it != cache.end()) return Statement(it->second);
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) return error("prepare", rc);
    cache.emplace(sql, stmt);
    return Statement(stmt);
}

Result<void> Store::Impl::run(const char* sql, std::string_view what) {
    auto st = prepare(sql);
    if (!st) return st.error();
    if (const int rc = st->step(); rc != SQLITE_DONE && rc != SQLITE_ROW) return error(what, rc);
    return {};
}

Result<void> Store::Impl::commit() {
    if (auto r = run("COMMIT", "commit"); !r) return r;
    committed = true;
    if (!sync_at_commit) return {};
    sync_at_commit = false;
    return sync_wal();
}

Result<void> Store::Impl::sync_wal() {
    // SQLite has written the frames with pwrite: syncing the file through a
    // descriptor of ours makes them durable. A memory database has no file.
    const std::string wal = path + "-wal";
    const int fd = ::open(wal.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? Result<void>() : error("sync the WAL", SQLITE_IOERR_FSYNC);
    const int rc = ::fdatasync(fd);
    ::close(fd);
    if (rc != 0) return error("sync the WAL", SQLITE_IOERR_FSYNC);
    return {};
}

Result<void> Store::Impl::exec(const char* sql, std::string_view what) {
    const int rc = sqlite3_exec(db, sql, nullptr, nullptr, nullptr);
    if (rc != SQLITE_OK) return error(what, rc);
    return {};
}

Error Store::Impl::error(std::string_view what) const {
    return error(what, sqlite3_extended_errcode(db));
}

Error Store::Impl::error(std::string_view what, int rc) const {
    // sqlite3_errmsg describes the last call; a failed bind is not one.
    const char* msg =
        db && sqlite3_extended_errcode(db) == rc ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    std::string text = "state database " + path + ": " + std::string(what) + ": " + msg;
    if ((rc & 0xff) == SQLITE_CORRUPT)
        text +=
            " (the file is damaged: restore a backup, or move it aside and weft starts a new one)";
    else if ((rc & 0xff) == SQLITE_READONLY)
        text += " (read-only)";
    return make_error(Errc::state, text);
}

Result<WriteScope> WriteScope::enter(Store::Impl& db) {
    if (db.writes_refused) return db.refused();
    if (db.in_transaction()) return WriteScope(nullptr);
    if (auto r = db.run("BEGIN IMMEDIATE", "begin write transaction"); !r) return r.error();
    return WriteScope(&db);
}

Result<void> WriteScope::commit() {
    if (!m_db) return {};
    if (auto r = m_db->commit(); !r) return r;
    m_db = nullptr;
    return {};
}

WriteScope::~WriteScope() {
    if (m_db && m_db->in_transaction()) (void)m_db->exec("ROLLBACK", "rollback");
}

Result<ReadScope> ReadScope::enter(Store::Impl& db) {
    if (db.in_transaction()) return ReadScope(nullptr);
    if (auto r = db.run("BEGIN", "begin read transaction"); !r) return r.error();
    return ReadScope(&db);
}

ReadScope::~ReadScope() {
    if (!m_db || !m_db->in_transaction()) return;
    if (!m_db->run("COMMIT", "end read transaction")) (void)m_db->exec("ROLLBACK", "rollback");
}

Store::Store(std::unique_ptr<Impl> impl) : m_impl(std::move(impl)) {}
Store::Store(Store&&) noexcept = default;
Store& Store::operator=(Store&&) noexcept = default;
Store::~Store() = default;

Result<Store> Store::open(const std::string& path) {
    return open_at_version(path, k_latest_version);
}

Result<Store> Store::open_at_version(const std::string& path, int version) {
    configure_library();
    if (auto r = create_file(path); !r) return r.error();
    if (auto r = check_writable(path); !r) return r.error();
    auto impl = std::make_unique<Impl>();
    impl->path = path;
    const int rc = sqlite3_open_v2(
        path.c_str(), &impl->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE, nullptr);
    if (rc != SQLITE_OK) return refuse(path, std::string("cannot open: ") + sqlite3_errstr(rc));
    const int target = std::clamp(version, 0, k_latest_version);
    impl->file = true;
    if (auto r = configure(*impl, Storage::file, target); !r) return r.error();
    return Store(std::move(impl));
}

Result<Store> Store::open_memory() {
    configure_library();
    auto impl = std::make_unique<Impl>();
    impl->path = ":memory:";
    const int rc = sqlite3_open_v2(
        ":memory:", &impl->db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE,
        nullptr);
    if (rc != SQLITE_OK)
        return refuse(impl->path, std::string("cannot open: ") + sqlite3_errstr(rc));
    if (auto r = configure(*impl, Storage::memory); !r) return r.error();
    return Store(std::move(impl));
}

const std::string& Store::path() const {
    return m_impl->path;
}

int Store::latest_schema_version() {
    return k_latest_version;
}

Result<int> Store::schema_version() {
    auto v = query_ints<1>(*m_impl, "PRAGMA user_version", "read the schema version");
    if (!v) return v.error();
    return static_cast<int>((*v)[0]);
}

bool Store::in_transaction() const {
    return m_impl->in_transaction();
}

void Store::refuse_writes() {
    m_impl->writes_refused = true;
}

Error Store::Impl::refused() const {
    return make_error(Errc::state,
                      "state database " + path + ": no more writes after an earlier failure");
}

Result<void> Store::begin() {
    if (m_impl->writes_refused) return m_impl->refused();
    if (m_impl->in_transaction())
        return make_error(Errc::internal,
                          "state database " + m_impl->path + ": a transaction is already open");
    return m_impl->run("BEGIN IMMEDIATE", "begin write transaction");
}

Result<void> Store::commit() {
    return m_impl->commit();
}

Result<void> Store::rollback() {
    // SQLite rolls back by itself after some errors (SQLITE_FULL, IOERR):
    // nothing left to undo is not a failure.
    if (!m_impl->in_transaction()) return {};
    return m_impl->run("ROLLBACK", "rollback");
}

Result<Transaction> Transaction::begin(Store& store) {
    if (auto r = store.begin(); !r) return r.error();
    return Transaction(store);
}

Transaction::Transaction(Transaction&& other) noexcept : m_store(other.m_store) {
    other.m_store = nullptr;
}

Transaction::~Transaction() {
    if (m_store) (void)m_store->rollback();
}

Result<void> Transaction::commit() {
    if (!m_store) return make_error(Errc::internal, "transaction already ended");
    auto r = m_store->commit();
    if (r) m_store = nullptr;  // on failure the destructor rolls back
    return r;
}

Result<void> Transaction::rollback() {
    if (!m_store) return make_error(Errc::internal, "transaction already ended");
    Store* store = m_store;
    m_store = nullptr;
    return store->rollback();
}

}  // namespace weft::store
