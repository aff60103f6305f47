// Event outcomes (schema 6, Store::set_outcome / list_events) and what prune
// does with them and with child runs.
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "support/store.hpp"
#include "weft/store/store.hpp"

using namespace weft;
using weft::model::RowId;
using weft::test::at;
using weft::test::k_t0;
using weft::test::must;
using Json = nlohmann::json;

namespace {

RowId finished_run(store::Store& s, const std::string& workflow, RowId event, std::int64_t ms) {
    const RowId run = must(s.create_run(
        {.workflow = workflow, .file = workflow + ".yaml", .event_id = event, .started = at(ms)}));
    must(s.set_run_status(run, model::RunState::success, {.ended = at(ms + 1000)}));
    return run;
}

}  // namespace

TEST_CASE("store: event outcomes, newest event first, by workflow") {
    auto s = test::memory();
    const RowId a = must(s.add_event("stdin", Json{{"line", "x"}}, at(k_t0)));
    const RowId b = must(s.add_event("file", Json{{"paths", {"p"}}}, at(k_t0 + 1)));
    const RowId c = must(s.add_event("manual", Json::object(), at(k_t0 + 2)));
    must(s.set_outcome(a, "alerts", {.outcome = "filtered"}));
    must(s.set_outcome(a, "all", {.outcome = "queued"}));
    must(s.set_outcome(a, "all", {.outcome = "run", .run = 7}));  // replaces queued
    must(s.set_outcome(b, "build", {.outcome = "merged", .merged_into = 3}));
    auto all = must(s.list_events("", 0));
    REQUIRE(all.size() == 3);
    CHECK(all[0].event.id == c);
    CHECK(all[0].outcomes.empty());
    CHECK(all[1].event.kind == "file");
    REQUIRE(all[1].outcomes.size() == 1);
    CHECK(all[1].outcomes[0].merged_into == 3);
    REQUIRE(all[2].outcomes.size() == 2);
    CHECK(all[2].outcomes[0].workflow == "alerts");
    CHECK(all[2].outcomes[0].outcome == "filtered");
    CHECK(all[2].outcomes[1].outcome == "run");
    CHECK(all[2].outcomes[1].run == 7);
    CHECK(all[2].event.payload["line"] == "x");
    auto alerts = must(s.list_events("alerts", 0));
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].event.id == a);
    CHECK(alerts[0].outcomes.size() == 2);  // every workflow's, for the event shown
    CHECK(must(s.list_events("", 2)).size() == 2);

    // A run is its event's outcome for its workflow, with no row of its own,
    // and wins over a recorded `queued`.
    must(s.set_outcome(c, "w", {.outcome = "queued"}));
    const RowId run = finished_run(s, "w", c, k_t0);
    const RowId other = finished_run(s, "x", c, k_t0);
    auto ran = must(s.list_events("x", 0));
    REQUIRE(ran.size() == 1);
    REQUIRE(ran[0].outcomes.size() == 2);
    CHECK(ran[0].outcomes[0].workflow == "w");
    CHECK(ran[0].outcomes[0].outcome == "run");
    CHECK(ran[0].outcomes[0].run == run);
    CHECK(ran[0].outcomes[1].workflow == "x");
    CHECK(ran[0].outcomes[1].run == other);
}

TEST_CASE("store::prune: outcomes go with their events, child runs with their parent") {
    namespace fs = std::filesystem;
    const fs::path dir =
        fs::temp_directory_path() / ("weft_outcomes_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir);
    const std::string path = (dir / "st.db").string();
    RowId old_run = 0, child = 0, ev = 0;
    {
        auto s = must(store::Store::open(path));
        ev = must(s.add_event("manual", Json::object(), at(k_t0)));
        old_run = finished_run(s, "a", ev, k_t0);
        must(s.set_outcome(ev, "a", {.outcome = "run", .run = old_run}));
        const RowId child_ev = must(s.add_event("manual", Json::object(), at(k_t0)));
        child = finished_run(s, "sub", child_ev, k_t0);
        finished_run(s, "sub", must(s.add_event("manual", Json::object(), at(k_t0))), k_t0 + 5);
        finished_run(s, "a", must(s.add_event("manual", Json::object(), at(k_t0))), k_t0 + 10);
    }
    sqlite3* db = nullptr;
    REQUIRE(sqlite3_open(path.c_str(), &db) == SQLITE_OK);
    const std::string sql = "UPDATE runs SET parent_run = " + std::to_string(old_run) +
                            ", parent_step = 's' WHERE id = " + std::to_string(child);
    CHECK(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(db);
    auto s = must(store::Store::open(path));
    const auto dry = must(s.prune("a", {.runs = 1, .age = std::chrono::days{10000}}, at(k_t0 + 20),
                                  store::DryRun::yes));
    CHECK(dry.runs == std::vector<RowId>{old_run, child});
    const auto r = must(s.prune("a", {.runs = 1, .age = std::chrono::days{10000}}, at(k_t0 + 20),
                                store::DryRun::no));
    CHECK(r.runs == std::vector<RowId>{old_run, child});
    CHECK_FALSE(must(s.get_run_row(child)));
    CHECK_FALSE(must(s.get_event(ev)));
    for (const auto& h : must(s.list_events("", 0))) CHECK(h.event.id != ev);
    CHECK(must(s.list_events("a", 0)).size() ==
          1);  // the kept run's; the outcome went with its event
    fs::remove_all(dir);
}

TEST_CASE("store::prune: events that started no run are kept like runs") {
    auto s = test::memory();
    // Five filtered lines for `alerts`, the oldest two long ago; one queued
    // (never pruned while it waits) and one that ran.
    std::vector<RowId> filtered;
    for (int i = 0; i < 5; ++i) {
        const std::int64_t t = i < 2 ? k_t0 : k_t0 + 100 * 86'400'000LL;
        filtered.push_back(must(s.add_event("stdin", Json{{"line", "x"}}, at(t + i))));
        must(s.set_outcome(filtered.back(), "alerts", {.outcome = "filtered"}));
    }
    const RowId waiting = must(s.add_event("stdin", Json{{"line", "w"}}, at(k_t0)));
    must(s.set_outcome(waiting, "alerts", {.outcome = "queued"}));
    must(s.enqueue("alerts", waiting, Json::object()));
    const RowId ran = must(s.add_event("stdin", Json{{"line", "r"}}, at(k_t0)));
    finished_run(s, "alerts", ran, k_t0);
    // Another workflow's filtered event is not this prune's.
    const RowId others = must(s.add_event("stdin", Json{{"line", "o"}}, at(k_t0)));
    must(s.set_outcome(others, "other", {.outcome = "filtered"}));

    const TimePoint now = at(k_t0 + 101 * 86'400'000LL);
    const store::Retention keep{.runs = 2, .age = std::chrono::days{30}};
    // The newest two runless events stay; the others are too many or too old.
    CHECK(must(s.prune("alerts", keep, now, store::DryRun::yes)).events == 3);
    CHECK(must(s.prune("alerts", keep, now, store::DryRun::no)).events == 3);
    for (int i = 0; i < 3; ++i) CHECK_FALSE(must(s.get_event(filtered[i])));
    for (int i = 3; i < 5; ++i) CHECK(must(s.get_event(filtered[i])));
    CHECK(must(s.get_event(waiting)));
    CHECK(must(s.get_event(ran)));
    CHECK(must(s.get_event(others)));
    for (const auto& h : must(s.list_events("alerts", 0))) CHECK(h.event.id != filtered[0]);
}
