// Schema 7 (issue 16): what a database of schema 6 holds survives the
// migration, and an attempt writes less than it did.
#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "support/store.hpp"
#include "support/temp_dir.hpp"
#include "weft/store/store.hpp"

using namespace weft;
using namespace weft::store;
using weft::model::RowId;
using weft::model::StepState;
using weft::test::at;
using weft::test::k_t0;
using weft::test::must;

namespace {

// Every row `sql` returns, one string per row with its columns joined by
// '|', read with a connection of its own.
std::vector<std::string> rows(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    sqlite3_stmt* st = nullptr;
    REQUIRE(sqlite3_prepare_v2(db, sql, -1, &st, nullptr) == SQLITE_OK);
    std::vector<std::string> out;
    while (sqlite3_step(st) == SQLITE_ROW) {
        std::string row;
        for (int i = 0; i < sqlite3_column_count(st); ++i) {
            if (i) row += '|';
            const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(st, i));
            row += text ? text : "";
        }
        out.push_back(row);
    }
    sqlite3_finalize(st);
    sqlite3_close_v2(db);
    return out;
}

void exec(const std::string& path, const char* sql) {
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr) == SQLITE_OK);
    CHECK(sqlite3_exec(db, sql, nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close_v2(db);
}

}  // namespace

TEST_CASE("store::migrate 6 to 7: attempts found by run, their count read from them") {
    weft::test::TempDir tmp;
    const std::string path = (tmp.path / "state.db").string();
    RowId run = 0, first = 0;
    {
        Store v6 = must(Store::open_at_version(path, 6));
        CHECK(must(v6.schema_version()) == 6);
        const RowId ev = must(v6.add_event("manual", nlohmann::json::object(), at(k_t0)));
        run = must(v6.create_run(
            {.workflow = "w", .file = "w.yaml", .event_id = ev, .started = at(k_t0)}));
        const std::vector<std::string> ids{"a", "b", "c"};
        must(v6.add_steps(run, ids));
        first = must(v6.start_attempt(run, "a", 1, at(k_t0)));
        must(v6.finish_attempt(first, {.status = StepState::failure, .ended = at(k_t0 + 1)}));
        must(v6.start_attempt(run, "a", 2, at(k_t0 + 2)));
        must(v6.start_attempt(run, "b", 1, at(k_t0 + 3)));
    }
    // The count as a weft of schema 6 kept it.
    exec(path,
         "UPDATE steps SET attempts = 2 WHERE step = 'a';"
         "UPDATE steps SET attempts = 1 WHERE step = 'b'");
    CHECK(rows(path,
               "SELECT name FROM sqlite_schema WHERE tbl_name = 'attempts' AND type = "
               "'index' ORDER BY name") == std::vector<std::string>{"attempts_by_step"});

    Store s = must(Store::open(path));
    CHECK(must(s.schema_version()) == 7);
    auto d = must(s.get_run(run)).value();
    REQUIRE(d.steps.size() == 3);
    CHECK(d.steps[0].attempts == 2);
    CHECK(d.steps[1].attempts == 1);
    CHECK(d.steps[2].attempts == 0);
    REQUIRE(d.steps[0].attempt_rows.size() == 2);
    CHECK(d.steps[0].attempt_rows[0].id == first);
    CHECK(d.steps[0].attempt_rows[0].status == StepState::failure);
    CHECK(d.steps[0].attempt_rows[1].number == 2);

    CHECK(rows(path,
               "SELECT name FROM sqlite_schema WHERE tbl_name = 'attempts' AND type = "
               "'index' ORDER BY name") == std::vector<std::string>{"attempts_by_run"});
    // A run's attempts in id order straight from the index, without a sort.
    const auto plan = rows(path,
                           "EXPLAIN QUERY PLAN SELECT id, step, number FROM attempts"
                           " WHERE run_id = 1 ORDER BY id");
    REQUIRE(plan.size() == 1);
    CHECK(plan[0].find("USING INDEX attempts_by_run (run_id=?)") != std::string::npos);

    // A new attempt is one row: the step's row is not written for it, and
    // the count comes from the attempts.
    must(s.start_attempt(run, "a", 3, at(k_t0 + 4)));
    CHECK(rows(path, "SELECT attempts FROM steps WHERE step = 'a'") ==
          std::vector<std::string>{"2"});
    CHECK(must(s.get_run(run))->steps[0].attempts == 3);
    // Opening again migrates nothing.
    Store again = must(Store::open(path));
    CHECK(must(again.schema_version()) == 7);
}
