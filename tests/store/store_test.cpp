#include "weft/store/store.hpp"

#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "support/store.hpp"
#include "weft/report/json.hpp"

using namespace weft;
using namespace weft::store;
using nlohmann::json;
using weft::model::RowId;
using weft::model::RunState;
using weft::model::StepState;
using weft::test::at;
using weft::test::k_t0;
using weft::test::memory;
using weft::test::must;

namespace {

namespace fs = std::filesystem;

// A fresh directory under $TMPDIR (or /tmp), removed with its contents.
struct TempDir {
    fs::path path;
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/weft-store-XXXXXX";
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

unsigned mode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

// Fold the WAL a closed Store may leave beside `path` into the file itself,
// as `sqlite3 PATH 'PRAGMA wal_checkpoint(TRUNCATE)'` would: a test that
// patches the file's bytes needs all of the database in it.
void checkpoint(const std::string& path) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", nullptr, nullptr, nullptr) ==
          SQLITE_OK);
    sqlite3_close_v2(db);
}

std::string read_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

void write_file(const std::string& path, const std::string& text) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
}

// Overwrite the big-endian 32-bit header field at `offset` of a closed
// database file (60: user_version, 68: application_id).
void patch_header(const std::string& path, std::size_t offset, std::uint32_t value) {
    checkpoint(path);
    std::fstream f(path, std::ios::binary | std::ios::in | std::ios::out);
    REQUIRE(f.good());
    f.seekp(static_cast<std::streamoff>(offset));
    const char bytes[4] = {static_cast<char>(value >> 24), static_cast<char>(value >> 16),
                           static_cast<char>(value >> 8), static_cast<char>(value)};
    f.write(bytes, 4);
}

Store must_open(const std::string& path) {
    auto s = Store::open(path);
    if (!s) FAIL(s.error().message);
    return std::move(s).value();
}

RowId new_run(Store& s, const std::string& workflow, const std::string& kind = "manual",
              std::int64_t t = k_t0) {
    const RowId ev = must(s.add_event(kind, json::object(), at(t)));
    return must(s.create_run({.workflow = workflow,
                              .file = workflow + ".yaml",
                              .event_id = ev,
                              .started = at(t),
                              .owner = "owner-1"}));
}

}  // namespace

TEST_CASE("store::open") {
    TempDir tmp;

    SUBCASE("creates the file 0600 in a new directory 0700, in WAL mode") {
        const std::string dir = tmp.file("a/b/.weft");
        const std::string path = dir + "/state.db";
        const mode_t old = ::umask(0);  // the modes must not depend on the umask
        auto s = Store::open(path);
        ::umask(old);
        REQUIRE(s);
        CHECK(mode_of(path) == 0600);
        CHECK(mode_of(dir) == 0700);
        CHECK(must(s->schema_version()) == Store::latest_schema_version());
        must(s->add_event("manual", json::object(), at(k_t0)));
        CHECK(fs::exists(path + "-wal"));
        CHECK(mode_of(path + "-wal") == 0600);
        CHECK(mode_of(path + "-shm") == 0600);
        // Header bytes 18 and 19 (read and write format versions) are 2 in WAL mode.
        const std::string header = read_file(path).substr(0, 20);
        CHECK(header.substr(0, 16) == std::string("SQLite format 3\0", 16));
        CHECK(header[18] == 2);
        CHECK(header[19] == 2);
    }

    SUBCASE("an existing directory keeps its mode") {
        const std::string dir = tmp.file("shared");
        REQUIRE(::mkdir(dir.c_str(), 0755) == 0);
        must_open(dir + "/state.db");
        CHECK(mode_of(dir) == 0755);
        CHECK(mode_of(dir + "/state.db") == 0600);
    }

    SUBCASE("reopening keeps the data") {
        const std::string path = tmp.file("state.db");
        RowId run = 0;
        {
            Store s = must_open(path);
            run = new_run(s, "build");
        }
        Store s = must_open(path);
        auto row = must(s.get_run_row(run));
        REQUIRE(row);
        CHECK(row->workflow == "build");
        CHECK(must(s.schema_version()) == Store::latest_schema_version());
    }

    SUBCASE("an empty file becomes a weft database") {
        const std::string path = tmp.file("empty.db");
        write_file(path, "");
        Store s = must_open(path);
        CHECK(must(s.schema_version()) == Store::latest_schema_version());
        CHECK(must(s.list_runs()).empty());
        new_run(s, "w");
    }

    SUBCASE("a file that is not SQLite is refused and left alone") {
        const std::string path = tmp.file("garbage.db");
        const std::string garbage(4096, 'x');
        write_file(path, garbage);
        auto s = Store::open(path);
        REQUIRE(!s);
        CHECK(s.error().code == Errc::state);
        CHECK(s.error().message ==
              "cannot use state database " + path + ": not a weft database (not an SQLite file)");
        CHECK(read_file(path) == garbage);
    }

    SUBCASE("a database of a newer weft is refused") {
        const std::string path = tmp.file("newer.db");
        must_open(path);
        const int newer = Store::latest_schema_version() + 1;
        patch_header(path, 60, static_cast<std::uint32_t>(newer));
        auto s = Store::open(path);
        REQUIRE(!s);
        CHECK(s.error().code == Errc::state);
        CHECK(s.error().message == "cannot use state database " + path +
                                       ": created by a newer weft (schema " +
                                       std::to_string(newer) + ", this weft knows up to " +
                                       std::to_string(Store::latest_schema_version()) + ")");
    }

    SUBCASE("an SQLite database with other tables is refused") {
        const std::string path = tmp.file("foreign.db");
        must_open(path);
        // Version 0 and no application id, but tables: someone else's database.
        patch_header(path, 60, 0);
        patch_header(path, 68, 0);
        const std::string before = read_file(path);
        auto s = Store::open(path);
        REQUIRE(!s);
        CHECK(s.error().code == Errc::state);
        CHECK(s.error().message ==
              "cannot use state database " + path +
                  ": not a weft database (an SQLite database with other tables)");
        CHECK(read_file(path) == before);
    }

    SUBCASE("an SQLite database of another application is refused") {
        const std::string path = tmp.file("other-app.db");
        must_open(path);
        patch_header(path, 68, 0x12345678);
        auto s = Store::open(path);
        REQUIRE(!s);
        CHECK(s.error().message ==
              "cannot use state database " + path +
                  ": not a weft database (an SQLite database of another application)");
    }

    SUBCASE("a directory in place of the file is refused") {
        const std::string path = tmp.file("dir.db");
        REQUIRE(::mkdir(path.c_str(), 0700) == 0);
        auto s = Store::open(path);
        REQUIRE(!s);
        CHECK(s.error().code == Errc::state);
        CHECK(s.error().message.find(path) != std::string::npos);
    }

    SUBCASE("in memory") {
        Store s = memory();
        CHECK(s.path() == ":memory:");
        CHECK(must(s.schema_version()) == Store::latest_schema_version());
    }

    SUBCASE("a Store moves") {
        Store a = memory();
        const RowId run = new_run(a, "w");
        Store b = std::move(a);
        CHECK(must(b.get_run_row(run)));
    }
}

TEST_CASE("store::transactions") {
    Store s = memory();

    SUBCASE("commit keeps, rollback discards") {
        must(s.begin());
        CHECK(s.in_transaction());
        const RowId kept = new_run(s, "kept");
        must(s.commit());
        must(s.begin());
        const RowId dropped = new_run(s, "dropped");
        must(s.rollback());
        CHECK(!s.in_transaction());
        CHECK(must(s.get_run_row(kept)));
        CHECK(!must(s.get_run_row(dropped)));
    }

    SUBCASE("Transaction rolls back unless committed") {
        RowId dropped = 0, kept = 0;
        {
            auto tx = must(Transaction::begin(s));
            dropped = new_run(s, "dropped");
        }
        CHECK(!s.in_transaction());
        CHECK(!must(s.get_run_row(dropped)));
        {
            auto tx = must(Transaction::begin(s));
            kept = new_run(s, "kept");
            must(tx.commit());
        }
        CHECK(must(s.get_run_row(kept)));
    }

    SUBCASE("begin inside a transaction is refused") {
        must(s.begin());
        auto r = s.begin();
        REQUIRE(!r);
        CHECK(r.error().code == Errc::internal);
        CHECK(r.error().message == "state database :memory:: a transaction is already open");
        must(s.rollback());
    }

    SUBCASE("a failed write leaves the transaction and earlier writes usable") {
        must(s.begin());
        const RowId run = new_run(s, "w");
        const std::vector<std::string> steps{"a"};
        auto r = s.add_steps(run + 100, steps);
        REQUIRE(!r);
        CHECK(r.error().code == Errc::not_found);
        CHECK(r.error().message == "no run " + std::to_string(run + 100));
        CHECK(s.in_transaction());
        must(s.add_steps(run, steps));
        must(s.commit());
        CHECK(must(s.get_run(run))->steps.size() == 1);
    }

    SUBCASE("after refuse_writes every write fails and reads still work") {
        const RowId run = new_run(s, "w");
        s.refuse_writes();
        auto b = s.begin();
        REQUIRE(!b);
        CHECK(b.error().code == Errc::state);
        CHECK(b.error().message ==
              "state database :memory:: no more writes after an earlier failure");
        auto e = s.add_event("manual", json::object(), at(k_t0));
        REQUIRE(!e);
        CHECK(e.error().code == Errc::state);
        const std::vector<std::string> steps{"a"};
        CHECK(!s.add_steps(run, steps));
        CHECK(must(s.get_run(run))->steps.empty());
        CHECK(must(s.list_runs()).size() == 1);
    }

    SUBCASE("a failed write outside a transaction leaves nothing behind") {
        const RowId run = new_run(s, "w");
        const std::vector<std::string> steps{"a", "b", "a"};
        auto r = s.add_steps(run, steps);
        REQUIRE(!r);
        CHECK(r.error().code == Errc::invalid);
        CHECK(r.error().message == "run " + std::to_string(run) + " already has step 'a'");
        CHECK(!s.in_transaction());
        CHECK(must(s.get_run(run))->steps.empty());
    }
}

TEST_CASE("store::damage is reported, not read as a missing row") {
    TempDir dir;
    const std::string path = dir.file("state.db");
    {
        Store s = must(Store::open(path));
        must(s.begin());
        for (int i = 0; i < 400; ++i)
            new_run(s, "workflow-with-a-longish-name-" + std::to_string(i));
        must(s.commit());
    }
    checkpoint(path);
    // Garbage over the b-tree header and cell pointers of every page of the
    // second half of the file: the runs' leaves, written after the schema's
    // pages (which the open must still read).
    const auto size = fs::file_size(path);
    const std::size_t page = 4096;
    REQUIRE(size > 16 * page);
    {
        std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
        const std::string junk(64, '\xff');
        for (std::size_t p = size / page / 2; p < size / page; ++p) {
            f.seekp(static_cast<std::streamoff>(p * page + 8));
            f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
        }
    }
    auto s = Store::open(path);
    REQUIRE(s);  // page 1 is intact: the damage shows on reading the runs
    auto row = s->get_run_row(123456);
    REQUIRE(!row);
    CHECK(row.error().code == Errc::state);
    CHECK(row.error().message.find("database disk image is malformed") != std::string::npos);
    CHECK(row.error().message.find("the file is damaged") != std::string::npos);
}

TEST_CASE("store::a small WAL outlives the close, a big one is checkpointed") {
    TempDir dir;
    const std::string path = dir.file("state.db");
    RowId run = 0;
    {
        Store s = must(Store::open(path));
        run = new_run(s, "small");
    }
    // Kept (no checkpoint, and no new WAL for the next weft to sync), and
    // read back by the next connection.
    CHECK(fs::exists(path + "-wal"));
    {
        Store s = must(Store::open(path));
        CHECK(must(s.get_run_row(run))->workflow == "small");
        must(s.begin());
        for (int i = 0; i < 5000; ++i)
            new_run(s, "a-workflow-with-a-longish-name-" + std::to_string(i));
        must(s.commit());
    }
    CHECK(!fs::exists(path + "-wal"));
    Store s = must(Store::open(path));
    CHECK(must(s.get_run_row(run))->workflow == "small");
}

TEST_CASE("store::runs") {
    Store s = memory();

    SUBCASE("round trip") {
        const RowId ev = must(s.add_event("file", json{{"paths", {"src/a.c"}}}, at(k_t0)));
        const RowId run = must(s.create_run({.workflow = "build",
                                             .file = "workflows/build.yaml",
                                             .event_id = ev,
                                             .params = json{{"mode", "release"}},
                                             .started = at(k_t0 + 5),
                                             .owner = "pid-1-token",
                                             .status = RunState::queued}));
        CHECK(run > 0);
        auto row = must(s.get_run_row(run)).value();
        CHECK(row.id == run);
        CHECK(row.workflow == "build");
        CHECK(row.file == "workflows/build.yaml");
        CHECK(row.status == RunState::queued);
        CHECK(row.event_id == ev);
        CHECK(row.trigger == "file");
        CHECK(row.attempt == 1);
        CHECK(row.params == json{{"mode", "release"}});
        CHECK(row.started == at(k_t0 + 5));
        CHECK(!row.ended);
        CHECK(row.owner == "pid-1-token");

        must(s.set_run_status(run, RunState::failure,
                              {.ended = at(k_t0 + 900), .message = "2 steps failed"}));
        row = must(s.get_run_row(run)).value();
        CHECK(row.status == RunState::failure);
        CHECK(row.ended == at(k_t0 + 900));
        CHECK(row.started == at(k_t0 + 5));  // absent fields keep their value
        CHECK(row.owner == "pid-1-token");
        CHECK(row.message == "2 steps failed");

        must(s.reopen_run(run, 2, "pid-2-token"));
        row = must(s.get_run_row(run)).value();
        CHECK(row.status == RunState::running);
        CHECK(row.attempt == 2);
        CHECK(row.owner == "pid-2-token");
        CHECK(!row.ended);
        CHECK(row.message.empty());

        auto event = must(s.get_event(ev)).value();
        CHECK(event.kind == "file");
        CHECK(event.time == at(k_t0));
        CHECK(event.payload == json{{"paths", {"src/a.c"}}});
    }

    SUBCASE("missing rows") {
        auto r = s.set_run_status(42, RunState::success);
        REQUIRE(!r);
        CHECK(r.error().code == Errc::not_found);
        CHECK(r.error().message == "no run 42");
        auto c =
            s.create_run({.workflow = "w", .file = "w.yaml", .event_id = 7, .started = at(k_t0)});
        REQUIRE(!c);
        CHECK(c.error().message == "no event 7");
        CHECK(!must(s.get_run_row(42)));
        CHECK(!must(s.get_run(42)));
        CHECK(!must(s.get_event(42)));
    }

    SUBCASE("list_runs: newest first, filters, limit") {
        const RowId a1 = new_run(s, "a");
        const RowId b1 = new_run(s, "b", "schedule");
        const RowId a2 = new_run(s, "a");
        const RowId a3 = new_run(s, "a");
        must(s.set_run_status(a1, RunState::success));
        must(s.set_run_status(b1, RunState::success));
        must(s.set_run_status(a3, RunState::failure));

        auto ids = [](const std::vector<RunRow>& rows) {
            std::vector<RowId> out;
            for (const auto& r : rows) out.push_back(r.id);
            return out;
        };
        CHECK(ids(must(s.list_runs())) == std::vector<RowId>{a3, a2, b1, a1});
        CHECK(ids(must(s.list_runs({.workflow = "a"}))) == std::vector<RowId>{a3, a2, a1});
        CHECK(ids(must(s.list_runs({.status = RunState::success}))) == std::vector<RowId>{b1, a1});
        CHECK(ids(must(s.list_runs({.workflow = "a", .status = RunState::success}))) ==
              std::vector<RowId>{a1});
        CHECK(ids(must(s.list_runs({.limit = 2}))) == std::vector<RowId>{a3, a2});
        CHECK(ids(must(s.list_runs({.workflow = "a", .limit = 1}))) == std::vector<RowId>{a3});
        CHECK(ids(must(s.list_runs({.limit = 0}))).empty());
        CHECK(ids(must(s.list_runs({.workflow = "nope"}))).empty());
        CHECK(ids(must(s.runs_with_status(RunState::running))) == std::vector<RowId>{a2});
        CHECK(must(s.list_runs({.workflow = "b"})).front().trigger == "schedule");
    }
}

TEST_CASE("store::steps") {
    Store s = memory();
    const RowId run = new_run(s, "ci");
    const std::vector<std::string> ids{"lint", "build", "test[suite=unit]"};
    must(s.add_steps(run, ids));

    SUBCASE("steps in position order, appended after existing ones") {
        const std::vector<std::string> more{"deploy"};
        must(s.add_steps(run, more));
        auto detail = must(s.get_run(run)).value();
        REQUIRE(detail.steps.size() == 4);
        CHECK(detail.steps[0].id == "lint");
        CHECK(detail.steps[1].id == "build");
        CHECK(detail.steps[2].id == "test[suite=unit]");
        CHECK(detail.steps[3].id == "deploy");
        CHECK(detail.steps[3].position == 3);
        CHECK(detail.steps[0].status == StepState::pending);
        CHECK(detail.steps[0].attempts == 0);
        CHECK(detail.steps[0].outputs == json::object());
        CHECK(detail.event.kind == "manual");
    }

    SUBCASE("attempts, outputs and the step's end") {
        const RowId a1 = must(s.start_attempt(run, "build", 1, at(k_t0 + 10)));
        must(s.set_attempt_process(a1, {.pid = 4242, .start_time = 987654}));
        must(s.set_step(run, "build", StepState::running, {.started = at(k_t0 + 10)}));
        must(s.finish_attempt(a1, {.status = StepState::failure,
                                   .ended = at(k_t0 + 20),
                                   .exit_code = 2,
                                   .message = "exit 2"}));
        const RowId a2 =
            must(s.start_attempt(run, "build", 2, at(k_t0 + 30), ProcessRef{4343, 987700}));
        must(s.finish_attempt(a2, {.status = StepState::failure,
                                   .ended = at(k_t0 + 40),
                                   .signal = "SIGKILL",
                                   .message = "timed out"}));
        must(s.set_step(run, "build", StepState::failure,
                        {.ended = at(k_t0 + 40), .signal = "SIGKILL", .message = "timed out"}));
        must(s.set_step_outputs(run, "lint", json{{"warnings", "3"}, {"report", "a\nb"}}));
        must(s.set_step(run, "lint", StepState::success,
                        {.started = at(k_t0), .ended = at(k_t0 + 5), .exit_code = 0}));

        auto detail = must(s.get_run(run)).value();
        const StepRow& lint = detail.steps[0];
        CHECK(lint.status == StepState::success);
        CHECK(lint.exit_code == 0);
        CHECK(!lint.signal);
        CHECK(lint.outputs == json{{"warnings", "3"}, {"report", "a\nb"}});
        CHECK(lint.attempt_rows.empty());

        const StepRow& build = detail.steps[1];
        CHECK(build.status == StepState::failure);
        CHECK(build.attempts == 2);
        CHECK(build.started == at(k_t0 + 10));
        CHECK(build.ended == at(k_t0 + 40));
        CHECK(!build.exit_code);
        CHECK(build.signal == "SIGKILL");
        CHECK(build.message == "timed out");
        REQUIRE(build.attempt_rows.size() == 2);
        const AttemptRow& first = build.attempt_rows[0];
        CHECK(first.id == a1);
        CHECK(first.number == 1);
        CHECK(first.status == StepState::failure);
        CHECK(first.started == at(k_t0 + 10));
        CHECK(first.ended == at(k_t0 + 20));
        CHECK(first.exit_code == 2);
        CHECK(!first.signal);
        REQUIRE(first.process);
        CHECK(first.process->pid == 4242);
        CHECK(first.process->start_time == 987654);
        CHECK(first.message == "exit 2");
        const AttemptRow& second = build.attempt_rows[1];
        CHECK(second.number == 2);
        CHECK(second.signal == "SIGKILL");
        CHECK(!second.exit_code);
        CHECK(second.process->pid == 4343);

        // resume: reset what did not succeed; attempts are kept.
        const std::vector<std::string> rerun{"build"};
        must(s.reset_steps(run, rerun));
        detail = must(s.get_run(run)).value();
        CHECK(detail.steps[1].status == StepState::pending);
        CHECK(!detail.steps[1].ended);
        CHECK(!detail.steps[1].signal);
        CHECK(detail.steps[1].attempts == 2);
        CHECK(detail.steps[1].attempt_rows.size() == 2);
        CHECK(detail.steps[0].outputs == json{{"warnings", "3"}, {"report", "a\nb"}});
    }

    SUBCASE("a running attempt has no end and no process until told") {
        const RowId a = must(s.start_attempt(run, "lint", 1, at(k_t0)));
        auto attempt = must(s.get_run(run))->steps[0].attempt_rows.at(0);
        CHECK(attempt.id == a);
        CHECK(attempt.status == StepState::running);
        CHECK(!attempt.ended);
        CHECK(!attempt.process);
    }

    SUBCASE("missing steps and attempts") {
        auto r = s.set_step(run, "nope", StepState::running);
        REQUIRE(!r);
        CHECK(r.error().code == Errc::not_found);
        CHECK(r.error().message == "no step 'nope' in run " + std::to_string(run));
        auto a = s.start_attempt(run, "nope", 1, at(k_t0));
        REQUIRE(!a);
        CHECK(a.error().message == "no step 'nope' in run " + std::to_string(run));
        auto f = s.finish_attempt(999, {.ended = at(k_t0)});
        REQUIRE(!f);
        CHECK(f.error().message == "no attempt 999");
        auto o = s.set_step_outputs(run + 1, "lint", json::object());
        REQUIRE(!o);
        CHECK(o.error().code == Errc::not_found);
    }
}

TEST_CASE("store::logs") {
    Store s = memory();
    const RowId run = new_run(s, "ci");
    const std::vector<std::string> ids{"a", "b"};
    must(s.add_steps(run, ids));
    const RowId att_a = must(s.start_attempt(run, "a", 1, at(k_t0)));
    const RowId att_b = must(s.start_attempt(run, "b", 1, at(k_t0)));
    static constexpr char k_raw[] = "bad \xff\xfe byte and a NUL \0 inside";
    const std::string nul_text(k_raw, sizeof k_raw - 1);
    const std::vector<LogLine> lines{
        {.attempt_id = att_a,
         .run_id = run,
         .step = "a",
         .time = at(k_t0 + 1),
         .stream = 1,
         .text = "a1"},
        {.attempt_id = att_b,
         .run_id = run,
         .step = "b",
         .time = at(k_t0 + 2),
         .stream = 2,
         .text = "b1"},
        {.attempt_id = att_a,
         .run_id = run,
         .step = "a",
         .time = at(k_t0 + 3),
         .stream = 2,
         .text = nul_text},
        {.attempt_id = 0,
         .run_id = run,
         .step = "b",
         .time = at(k_t0 + 4),
         .stream = 1,
         .text = "note"},
    };
    must(s.append_logs(lines));

    auto texts = [](const std::vector<LogRow>& rows) {
        std::vector<std::string> out;
        for (const auto& r : rows) out.push_back(r.text);
        return out;
    };

    SUBCASE("a whole run, oldest first") {
        auto rows = must(s.get_logs(run));
        CHECK(texts(rows) == std::vector<std::string>{"a1", "b1", nul_text, "note"});
        CHECK(rows[0].seq < rows[1].seq);
        CHECK(rows[0].attempt_id == att_a);
        CHECK(rows[3].attempt_id == 0);
        CHECK(rows[1].stream == 2);
        CHECK(rows[1].step == "b");
        CHECK(rows[1].time == at(k_t0 + 2));
    }

    SUBCASE("bytes that are not UTF-8 come back as given") {
        auto rows = must(s.get_logs(run, "a"));
        REQUIRE(rows.size() == 2);
        CHECK(rows[1].text == nul_text);
        CHECK(rows[1].text.size() == sizeof k_raw - 1);
    }

    SUBCASE("one step, after a seq, with a limit: polling for --follow") {
        CHECK(texts(must(s.get_logs(run, "b"))) == std::vector<std::string>{"b1", "note"});
        auto first = must(s.get_logs(run, std::nullopt, 0, 2));
        CHECK(texts(first) == std::vector<std::string>{"a1", "b1"});
        auto rest = must(s.get_logs(run, std::nullopt, first.back().seq));
        CHECK(texts(rest) == std::vector<std::string>{nul_text, "note"});
        CHECK(must(s.get_logs(run, std::nullopt, rest.back().seq)).empty());
        const std::vector<LogLine> more{
            {.run_id = run, .step = "a", .time = at(k_t0 + 9), .text = "late"}};
        must(s.append_logs(more));
        CHECK(texts(must(s.get_logs(run, std::nullopt, rest.back().seq))) ==
              std::vector<std::string>{"late"});
        CHECK(texts(must(s.get_logs(run, "b", rest.back().seq))).empty());
        CHECK(!s.in_transaction());
    }

    SUBCASE("lines of a missing run are refused") {
        const std::vector<LogLine> bad{
            {.run_id = run + 1, .step = "a", .time = at(k_t0), .text = "x"}};
        auto r = s.append_logs(bad);
        REQUIRE(!r);
        CHECK(r.error().message == "no run " + std::to_string(run + 1));
        CHECK(must(s.get_logs(run + 1)).empty());
    }
}

TEST_CASE("store::concurrency") {
    TempDir tmp;
    const std::string path = tmp.file("state.db");
    Store writer = must_open(path);
    Store reader = must_open(path);
    const RowId before = new_run(writer, "before");

    must(writer.begin());
    const RowId pending = new_run(writer, "pending");

    // WAL: the reader is not blocked by the open write transaction and sees
    // the last committed state.
    CHECK(must(reader.get_run_row(before)));
    CHECK(!must(reader.get_run_row(pending)));
    CHECK(must(reader.list_runs()).size() == 1);

    // A second writer waits (busy_timeout) until the first commits.
    std::atomic<bool> done{false};
    Result<RowId> other = make_error(Errc::internal, "not run");
    std::thread t([&] {
        other = reader.add_event("manual", json::object(), at(k_t0));
        done = true;
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    CHECK(!done);
    must(writer.commit());
    t.join();
    REQUIRE(other);
    CHECK(must(writer.get_event(*other)));
    CHECK(must(reader.get_run_row(pending)));
    CHECK(must(reader.list_runs()).size() == 2);
}

TEST_CASE("store::concurrent_open") {
    // Several processes may open (and so create and migrate) one new
    // database at once; every one must end up with the same weft database.
    TempDir tmp;
    const std::string path = tmp.file("new/state.db");
    constexpr int k_openers = 4;
    std::vector<std::optional<Result<Store>>> results(k_openers);
    std::vector<std::thread> threads;
    for (int i = 0; i < k_openers; ++i)
        threads.emplace_back([&, i] { results[i].emplace(Store::open(path)); });
    for (auto& t : threads) t.join();
    for (auto& r : results) {
        REQUIRE(r);
        if (!*r) FAIL(r->error().message);
        CHECK(must((*r)->schema_version()) == Store::latest_schema_version());
    }
    new_run(results[0]->value(), "w");
    CHECK(must(results[3]->value().list_runs()).size() == 1);
}

TEST_CASE("store::fingerprints") {
    Store s = must(Store::open_memory());
    CHECK_FALSE(must(s.get_fingerprint("wf", "build")));
    must(s.set_fingerprint("wf", "build", "abc", json{{"size", "12"}}, 3));
    auto f = must(s.get_fingerprint("wf", "build"));
    REQUIRE(f);
    CHECK(f->fingerprint == "abc");
    CHECK(f->outputs == json{{"size", "12"}});
    CHECK(f->run_id == 3);
    // Per workflow and step: another workflow's step of the same id is apart.
    CHECK_FALSE(must(s.get_fingerprint("other", "build")));
    CHECK_FALSE(must(s.get_fingerprint("wf", "build[x=1]")));
    must(s.set_fingerprint("wf", "build", "def", json::object(), 4));
    CHECK(must(s.get_fingerprint("wf", "build"))->fingerprint == "def");
    must(s.clear_fingerprint("wf", "build"));
    CHECK_FALSE(must(s.get_fingerprint("wf", "build")));
    must(s.clear_fingerprint("wf", "never-set"));  // not an error
}

TEST_CASE("store::migration from schema 1 keeps the data and adds fingerprints") {
    TempDir tmp;
    const std::string path = tmp.file("v1.db");
    {
        Store v1 = must(Store::open_at_version(path, 1));
        must(v1.add_event("manual", json{{"k", "v"}}, at(k_t0)));
    }
    Store s = must(Store::open(path));
    CHECK(must(s.schema_version()) == Store::latest_schema_version());
    CHECK(must(s.get_event(1))->payload == json{{"k", "v"}});
    must(s.set_fingerprint("wf", "a", "x", json::object(), 1));
    CHECK(must(s.get_fingerprint("wf", "a")));
}

TEST_CASE("store::the Slurm job of an attempt (schema 5)") {
    TempDir tmp;
    const std::string path = tmp.file("v3.db");
    RowId run = 0;
    {
        Store v3 = must(Store::open_at_version(path, 3));
        const RowId ev = must(v3.add_event("manual", json::object(), at(k_t0)));
        run = must(v3.create_run(
            {.workflow = "wf", .file = "wf.yaml", .event_id = ev, .started = at(k_t0)}));
        const std::vector<std::string> ids{"local", "job"};
        must(v3.add_steps(run, ids));
        must(v3.start_attempt(run, "local", 1, at(k_t0)));
    }
    Store s = must(Store::open(path));
    CHECK(must(s.schema_version()) == Store::latest_schema_version());
    const RowId a = must(s.start_attempt(run, "job", 1, at(k_t0 + 1)));
    must(s.set_attempt_slurm(a, {.name = "weft-1-job-1-0000abcd", .dir = "/shared/run-1/job.1"}));
    auto detail = must(s.get_run(run)).value();
    CHECK_FALSE(detail.steps[0].attempt_rows[0].slurm);
    REQUIRE(detail.steps[1].attempt_rows[0].slurm);
    CHECK(detail.steps[1].attempt_rows[0].slurm->name == "weft-1-job-1-0000abcd");
    CHECK(detail.steps[1].attempt_rows[0].slurm->job.empty());
    must(s.set_attempt_slurm(
        a, {.name = "weft-1-job-1-0000abcd", .dir = "/shared/run-1/job.1", .job = "17"}));
    detail = must(s.get_run(run)).value();
    CHECK(detail.steps[1].attempt_rows[0].slurm->job == "17");
    CHECK(detail.steps[1].attempt_rows[0].slurm->dir == "/shared/run-1/job.1");
    const auto j = weft::report::run_detail_json(detail);
    CHECK(j["steps"][1]["slurm_job"] == "17");
    CHECK_FALSE(j["steps"][0].contains("slurm_job"));
    CHECK(s.set_attempt_slurm(9999, {}).error().message == "no attempt 9999");
}
