#include <doctest/doctest.h>

#include "support/workflow.hpp"
#include "weft/engine/dispatch.hpp"

using namespace weft;
using Json = nlohmann::json;

namespace {

const TimePoint k_t = *parse_rfc3339("2026-03-01T10:00:00.250Z");

}  // namespace

// The announcements `weft up --json` printed before the trigger split, byte
// for byte (each kind had its own hand-built object).
TEST_CASE("engine::announcement: one line per event kind") {
    using model::Event;
    CHECK(engine::announcement(Event::file_change({"a.c", "b.c"}, k_t), 4, {"build"}).dump() ==
          R"({"id":4,"kind":"file","paths":["a.c","b.c"],"type":"event","workflows":["build"]})");
    CHECK(engine::announcement(Event::every_fire(std::chrono::hours(1), k_t), 5, {"w"}).dump() ==
          R"({"every":"1h","id":5,"kind":"schedule","type":"event","workflows":["w"]})");
    CHECK(
        engine::announcement(Event::cron_fire("0 3 * * * UTC", k_t, true), 6, {"w"}).dump() ==
        R"({"cron":"0 3 * * * UTC","id":6,"kind":"schedule","time":"2026-03-01T10:00:00.250Z","type":"event","workflows":["w"]})");
    CHECK(
        engine::announcement(Event::workflow_end("up", 3, "success", k_t), 7, {"a", "b"}).dump() ==
        R"({"after":"up","id":7,"kind":"workflow","type":"event","workflows":["a","b"]})");
    CHECK(engine::announcement(Event::manual(Json{{"x", "1"}}, k_t), 8, {"w"}).dump() ==
          R"({"id":8,"kind":"manual","type":"event","workflows":["w"]})");
}

TEST_CASE("engine::param_pairs: strings as they are, other values as JSON text") {
    const auto pairs = engine::param_pairs(Json{{"n", 3}, {"s", "x y"}, {"l", Json::array({1})}});
    CHECK(pairs ==
          std::vector<std::pair<std::string, std::string>>{{"l", "[1]"}, {"n", "3"}, {"s", "x y"}});
}

// Without an Engine, Dispatch records and queues but starts nothing: the
// queue limits can be watched in the store.
TEST_CASE("engine::Dispatch: record, announce, offer and max-queued") {
    auto store = store::Store::open_memory();
    REQUIRE(store);
    std::vector<Json> said;
    engine::Dispatch d(*store, [&](const Json& j) { said.push_back(j); });
    d.workflows()["w"].wf = test::valid_workflow(
        "name: w\nconcurrency: {max-queued: 2}\nsteps: {s: {run: x}}\n", "w.yaml");
    std::vector<model::RowId> ids;
    for (const char* p : {"a", "b", "c"})
        ids.push_back(d.fire(model::Event::file_change({p}, k_t), {"w"}));
    REQUIRE(ids.size() == 3);
    CHECK(ids[0] > 0);
    auto ev = store->get_event(ids[0]);
    REQUIRE((ev && *ev));
    CHECK((*ev)->kind == "file");
    CHECK((*ev)->payload == model::to_json(model::Event::file_change({"a"}, k_t)));
    CHECK((*ev)->time == k_t);
    auto q = store->queued("w", 0);
    REQUIRE(q);
    REQUIRE(q->size() == 2);  // the oldest gave way to the newest
    CHECK(q->front().event_id == ids[1]);
    CHECK(q->back().event_id == ids[2]);
    REQUIRE(said.size() == 4);
    CHECK(
        said[3].dump() ==
        R"j({"event":)j" + std::to_string(ids[0]) +
            R"j(,"message":"dropped from the queue (max-queued: 2)","type":"skip","workflow":"w"})j");
    CHECK(said[2]["id"] == ids[2]);  // announced, then offered

    // quiet: recorded and offered, not announced; an unknown target is skipped
    const auto quiet = d.fire(model::Event::stdin_line("x", false, k_t), {"w", "gone"}, true);
    CHECK(quiet > ids[2]);
    CHECK(said.size() == 5);  // only the max-queued skip of the oldest
    CHECK(said.back()["type"] == "skip");
}
