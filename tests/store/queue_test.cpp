#include <doctest/doctest.h>

#include "weft/store/store.hpp"

using namespace weft;
using namespace weft::store;
using weft::model::RowId;
using weft::model::RunState;
using weft::model::StepState;

namespace {

template <class T>
T ok(Result<T> r) {
    if (!r) FAIL(r.error().message);
    return std::move(r).value();
}

TimePoint at(std::int64_t ms) {
    return TimePoint{std::chrono::milliseconds{ms}};
}

}  // namespace

TEST_CASE("store::queue") {
    auto s = ok(Store::open_memory());
    const RowId e1 = ok(s.add_event("file", {{"paths", {"a"}}}, at(1000)));
    const RowId e2 = ok(s.add_event("manual", nlohmann::json::object(), at(2000)));
    const RowId q1 = ok(s.enqueue("build", e1, nlohmann::json::object()));
    const RowId q2 = ok(s.enqueue("build", e2, {{"who", "x"}}));
    ok(s.enqueue("test", e2, nlohmann::json::object()));

    SUBCASE("oldest first, per workflow or all") {
        auto b = ok(s.queued("build", 0));
        REQUIRE(b.size() == 2);
        CHECK(b[0].id == q1);
        CHECK(b[0].event_id == e1);
        CHECK(b[1].params == nlohmann::json{{"who", "x"}});
        CHECK(ok(s.queued("build", 1)).size() == 1);
        CHECK(ok(s.queued("", 0)).size() == 3);
        CHECK(ok(s.queued_count("build")) == 2);
        CHECK(ok(s.queued_count("")) == 3);
        CHECK(ok(s.queued_count("nope")) == 0);
    }
    SUBCASE("dequeue once") {
        CHECK(s.dequeue(q2).ok());
        CHECK(s.dequeue(q2).error().code == Errc::not_found);
        CHECK(ok(s.queued_count("build")) == 1);
    }
    SUBCASE("an entry must name an event") {
        CHECK(!s.enqueue("build", 999, nlohmann::json::object()).ok());
    }
    SUBCASE("a queued event's payload can grow (merged file changes)") {
        CHECK(s.set_event_payload(e1, {{"paths", {"a", "b"}}}).ok());
        CHECK(ok(s.get_event(e1))->payload["paths"].size() == 2);
        CHECK(s.set_event_payload(999, nlohmann::json::object()).error().code == Errc::not_found);
    }
    SUBCASE("the transaction that creates a run can take the entry") {
        REQUIRE(s.begin().ok());
        CHECK(s.dequeue(q1).ok());
        REQUIRE(s.rollback().ok());
        CHECK(ok(s.queued_count("build")) == 2);  // rolled back: still queued
    }
}

TEST_CASE("store::last_fire") {
    auto s = ok(Store::open_memory());
    CHECK(!ok(s.last_fire("nightly", "0 3 * * *")).has_value());
    CHECK(s.set_last_fire("nightly", "0 3 * * *", at(5000)).ok());
    CHECK(s.set_last_fire("nightly", "0 3 * * * UTC", at(7000)).ok());
    CHECK(*ok(s.last_fire("nightly", "0 3 * * *")) == at(5000));
    CHECK(s.set_last_fire("nightly", "0 3 * * *", at(9000)).ok());
    CHECK(*ok(s.last_fire("nightly", "0 3 * * *")) == at(9000));
    CHECK(*ok(s.last_fire("nightly", "0 3 * * * UTC")) == at(7000));
}
