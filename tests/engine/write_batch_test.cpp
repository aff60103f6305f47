#include "weft/engine/write_batch.hpp"

#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "engine/fakes.hpp"

using namespace weft;

// The group commit across loop iterations: a transaction whose waiters are
// only reports stays open for the window, one whose waiter unblocks work is
// committed at the next commit_due.
TEST_CASE("engine::WriteBatch: reports wait for the window, work does not") {
    auto store = store::Store::open_memory();
    REQUIRE(store);
    test::FakeClock clock;
    int stopped = 0;
    engine::WriteBatch batch(
        *store, [](const std::string&) {}, [&] { ++stopped; });
    std::vector<std::string> heard;
    const auto hear = [&](std::string what) { return [&heard, what] { heard.push_back(what); }; };

    SUBCASE("without a window, commit_due commits") {
        batch.begin();
        batch.when_committed(hear("started"), false);
        batch.commit_due();
        CHECK_FALSE(store->in_transaction());
        CHECK(heard == std::vector<std::string>{"started"});
    }
    batch.set_window(clock, Duration{2});
    SUBCASE("reports share one commit, made by the window's timer") {
        batch.begin();
        batch.when_committed(hear("a started"), false);
        batch.commit_due();
        CHECK(store->in_transaction());
        CHECK(heard.empty());
        batch.begin();  // the next iteration writes into the same transaction
        batch.when_committed(hear("a finished"), false);
        batch.commit_due();
        CHECK(heard.empty());
        REQUIRE(clock.advance());
        CHECK(clock.ms() == 2);
        CHECK_FALSE(store->in_transaction());
        CHECK(heard == std::vector<std::string>{"a started", "a finished"});
        CHECK_FALSE(clock.advance());  // one timer for the transaction
    }
    SUBCASE("an urgent waiter commits at the next commit_due, the reports before it in order") {
        batch.begin();
        batch.when_committed(hear("a finished"), false);
        batch.commit_due();
        batch.when_committed(hear("run ended"));
        batch.commit_due();
        CHECK_FALSE(store->in_transaction());
        CHECK(heard == std::vector<std::string>{"a finished", "run ended"});
        CHECK_FALSE(clock.advance());  // the timer went with the commit
    }
    SUBCASE("a commit made meanwhile (a run's rows) takes the timer with it") {
        batch.begin();
        batch.when_committed(hear("a started"), false);
        batch.commit_due();
        batch.commit();
        CHECK(heard == std::vector<std::string>{"a started"});
        CHECK_FALSE(clock.advance());
        batch.begin();  // a new transaction gets a new window
        batch.when_committed(hear("b started"), false);
        batch.commit_due();
        CHECK(heard.size() == 1);
        REQUIRE(clock.advance());
        CHECK(heard == std::vector<std::string>{"a started", "b started"});
    }
    SUBCASE("what follows a waiting report waits behind it") {
        batch.begin();
        batch.when_committed(hear("a started"), false);
        batch.commit_due();
        REQUIRE(batch.has_waiters());
        REQUIRE(store->commit());  // committed directly, as weft up's emit does
        batch.when_committed(hear("a's first line"), false);
        CHECK(heard.empty());
        batch.commit_due();
        CHECK(heard == std::vector<std::string>{"a started", "a's first line"});
    }
    CHECK(stopped == 0);
}
