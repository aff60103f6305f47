#include <doctest/doctest.h>

#include "weft/model/event.hpp"

using namespace weft;
using Json = nlohmann::json;

namespace {

const TimePoint k_t = *parse_rfc3339("2026-03-01T10:00:00.250Z");

std::string dump(const model::Event& e) {
    return model::to_json(e).dump();
}

}  // namespace

// The payloads below are those `weft up` wrote before model::Event (hand-built
// JSON at each record() call), byte for byte: events already in a database
// and `event.*` in workflows read them.
TEST_CASE("model::Event to_json: one payload shape per kind") {
    CHECK(dump(model::Event::file_change({"src/a.c", "src/b.c"}, k_t)) ==
          R"({"kind":"file","paths":["src/a.c","src/b.c"],"time":"2026-03-01T10:00:00.250Z"})");
    CHECK(dump(model::Event::file_rescan(k_t)) ==
          R"({"kind":"file","paths":[],"rescan":true,"time":"2026-03-01T10:00:00.250Z"})");
    CHECK(
        dump(model::Event::cron_fire("0 3 * * * Europe/Paris", k_t, false)) ==
        R"({"cron":"0 3 * * * Europe/Paris","kind":"schedule","time":"2026-03-01T10:00:00.250Z"})");
    CHECK(
        dump(model::Event::cron_fire("0 3 * * *", k_t, true)) ==
        R"({"cron":"0 3 * * *","kind":"schedule","late":true,"time":"2026-03-01T10:00:00.250Z"})");
    CHECK(dump(model::Event::every_fire(std::chrono::minutes(90), k_t)) ==
          Json{{"kind", "schedule"},
               {"every", format_duration(std::chrono::minutes(90))},
               {"time", format_rfc3339(k_t)}}
              .dump());
    CHECK(dump(model::Event::every_fire(std::chrono::hours(1), k_t)) ==
          R"({"every":"1h","kind":"schedule","time":"2026-03-01T10:00:00.250Z"})");
    CHECK(dump(model::Event::stdin_line("hello world", false, k_t)) ==
          R"({"kind":"stdin","line":"hello world","time":"2026-03-01T10:00:00.250Z"})");
    CHECK(
        dump(model::Event::stdin_line(R"({"b": [1, 2], "a": "x"})", true, k_t)) ==
        R"({"json":{"a":"x","b":[1,2]},"kind":"stdin","line":"{\"b\": [1, 2], \"a\": \"x\"}","time":"2026-03-01T10:00:00.250Z"})");
    CHECK(
        dump(model::Event::workflow_end("build", 42, "failure", k_t)) ==
        R"({"kind":"workflow","time":"2026-03-01T10:00:00.250Z","workflow":{"name":"build","run":42,"status":"failure"}})");
    CHECK(
        dump(model::Event::manual(Json{{"x", "1"}, {"token", "***"}}, k_t)) ==
        R"({"kind":"manual","params":{"token":"***","x":"1"},"time":"2026-03-01T10:00:00.250Z"})");
    CHECK(dump(model::Event::manual(Json::object(), k_t)) ==
          R"({"kind":"manual","params":{},"time":"2026-03-01T10:00:00.250Z"})");
}

TEST_CASE("model::Event: the stored kind names") {
    CHECK(model::to_string(model::Event::Kind::file) == "file");
    CHECK(model::to_string(model::Event::Kind::schedule) == "schedule");
    CHECK(model::to_string(model::Event::Kind::stdin_record) == "stdin");
    CHECK(model::to_string(model::Event::Kind::workflow) == "workflow");
    CHECK(model::to_string(model::Event::Kind::manual) == "manual");
    CHECK(model::Event::cron_fire("* * * * *", k_t, false).time == k_t);
}
