#include <doctest/doctest.h>

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
