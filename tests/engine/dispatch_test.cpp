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

namespace {

// What the store says became of `event` for `workflow`: "run 3", "queued",
// "merged 7", or "" when nothing was recorded.
std::string outcome_of(store::Store& s, model::RowId event, const std::string& workflow) {
    auto events = s.list_events("", 0);
    REQUIRE(events);
    for (const auto& h : *events)
        if (h.event.id == event)
            for (const auto& o : h.outcomes)
                if (o.workflow == workflow)
                    return o.outcome == "run"      ? "run " + std::to_string(o.run)
                           : o.outcome == "merged" ? "merged " + std::to_string(o.merged_into)
                                                   : o.outcome;
    return "";
}

}  // namespace

TEST_CASE("engine::Dispatch: each event's outcome per workflow is recorded") {
    auto store = store::Store::open_memory();
    REQUIRE(store);
    engine::Dispatch d(*store, nullptr);
    d.workflows()["w"].wf = test::valid_workflow(
        "name: w\nconcurrency: {max-queued: 1}\nsteps: {s: {run: x}}\n", "w.yaml");
    d.workflows()["busy"].wf = test::valid_workflow(
        "name: busy\nconcurrency: {on-busy: skip}\nsteps: {s: {run: x}}\n", "busy.yaml");
    d.workflows()["busy"].running = 1;
    const auto a = d.fire(model::Event::manual(Json::object(), k_t), {"w", "busy"});
    CHECK(outcome_of(*store, a, "w") == "queued");
    CHECK(outcome_of(*store, a, "busy") == "skipped");
    const auto b = d.fire(model::Event::manual(Json::object(), k_t), {"w"});
    CHECK(outcome_of(*store, a, "w") == "dropped");  // max-queued: the oldest gives way
    CHECK(outcome_of(*store, b, "w") == "queued");
    CHECK(d.offer(d.workflows()["busy"], b, Json::object()).outcome == "skipped");
}

TEST_CASE("engine::Dispatch: a file event merges into the queued one only when asked") {
    auto store = store::Store::open_memory();
    REQUIRE(store);
    std::vector<Json> said;
    engine::Dispatch d(*store, [&](const Json& j) { said.push_back(j); });
    d.workflows()["w"].wf = test::valid_workflow("name: w\nsteps: {s: {run: x}}\n", "w.yaml");
    const auto a = d.fire(model::Event::file_change({"a"}, k_t), {"w"}, false, true);
    const auto b = d.fire(model::Event::file_change({"b"}, k_t), {"w"}, false, true);
    CHECK(outcome_of(*store, a, "w") == "queued");
    CHECK(outcome_of(*store, b, "w") == "merged " + std::to_string(a));
    auto ev = store->get_event(a);
    REQUIRE((ev && *ev));
    CHECK((*ev)->payload["paths"] == Json::array({"a", "b"}));
    REQUIRE(said.size() == 2);
    CHECK(said[1]["merged"] == true);
    CHECK(said[1]["id"] == a);
    CHECK(said[1]["event"] == b);
    auto q = store->queued("w", 0);
    REQUIRE(q);
    CHECK(q->size() == 1);
}

TEST_CASE("engine::Dispatch: trigger filters (stdin match and if, workflow if)") {
    auto store = store::Store::open_memory();
    REQUIRE(store);
    std::vector<Json> said;
    engine::Dispatch d(*store, [&](const Json& j) { said.push_back(j); });
    d.workflows()["alerts"].wf = test::valid_workflow(
        "name: alerts\nenv: {SKIP: noise}\non:\n  stdin:\n    match: '^ERROR\\b'\n"
        "    if: \"!contains(event.line, env.SKIP)\"\nsteps: {s: {run: x}}\n",
        "alerts.yaml");
    d.workflows()["all"].wf =
        test::valid_workflow("name: all\non: {stdin: }\nsteps: {s: {run: x}}\n", "all.yaml");
    d.workflows()["notify"].wf = test::valid_workflow(
        "name: notify\non:\n  workflow:\n    names: ['*']\n    status: [failure]\n"
        "    if: event.workflow.name != 'quiet'\nsteps: {s: {run: x}}\n",
        "notify.yaml");
    auto line = [&](const char* text) {
        return d.fire(model::Event::stdin_line(text, false, k_t), {"alerts", "all"}, true);
    };
    const auto hit = line("ERROR disk full");
    const auto miss = line("INFO ERROR later in the line");
    const auto noise = line("ERROR noise");
    CHECK(outcome_of(*store, hit, "alerts") == "queued");
    CHECK(outcome_of(*store, miss, "alerts") == "filtered");
    CHECK(outcome_of(*store, noise, "alerts") == "filtered");
    CHECK(outcome_of(*store, miss, "all") == "queued");
    CHECK(said.empty());  // quiet

    const auto loud = d.fire(model::Event::workflow_end("build", 3, "failure", k_t), {"notify"});
    const auto hush = d.fire(model::Event::workflow_end("quiet", 4, "failure", k_t), {"notify"});
    CHECK(outcome_of(*store, loud, "notify") == "queued");
    CHECK(outcome_of(*store, hush, "notify") == "filtered");
    // Every event is announced (SPEC §9.2); one no target passed says so.
    REQUIRE(said.size() == 2);
    CHECK(said[0]["id"] == loud);
    CHECK(!said[0].contains("filtered"));
    CHECK(said[1]["id"] == hush);
    CHECK(said[1]["workflows"].empty());
    CHECK(said[1]["filtered"] == Json::array({"notify"}));
}
