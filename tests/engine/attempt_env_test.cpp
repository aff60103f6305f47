// The environment an attempt adds: a pure function of its inputs.
#include <doctest/doctest.h>

#include "weft/engine/attempt_env.hpp"

namespace {

struct Input {
    nlohmann::json env = {{"A", "1"}, {"WEFT_STEP", "overridden"}};
    std::map<std::string, std::string> secrets = {{"TOKEN", "s3cret"}, {"A", "from-secret"}};
    nlohmann::json event = {{"kind", "file"}, {"time", "2026-01-01T00:00:00Z"}};
    weft::engine::AttemptEnvInput in() const {
        return {&env, &secrets, 7, "wf", "build[os=linux]", 2, "/s/out", &event, "/s/event.json"};
    }
};

}  // namespace

TEST_CASE("engine::attempt_env") {
    Input x;
    SUBCASE("the step's env, then secrets, then weft's own variables") {
        const auto v = weft::engine::attempt_env(x.in());
        CHECK(v.at("A") == "from-secret");
        CHECK(v.at("TOKEN") == "s3cret");
        CHECK(v.at("WEFT_STEP") == "build[os=linux]");
        CHECK(v.at("WEFT_RUN_ID") == "7");
        CHECK(v.at("WEFT_WORKFLOW") == "wf");
        CHECK(v.at("WEFT_ATTEMPT") == "2");
        CHECK(v.at("WEFT_OUTPUT") == "/s/out");
        CHECK(v.at("WEFT_EVENT_KIND") == "file");
        CHECK(v.at("WEFT_EVENT_TIME") == "2026-01-01T00:00:00Z");
        CHECK(v.at("WEFT_EVENT_JSON") == "/s/event.json");
        CHECK(v.count("WEFT_EVENT_PATHS") == 0);
        CHECK(v.count("WEFT_EVENT_TRUNCATED") == 0);
        CHECK(weft::engine::attempt_env(x.in()) == v);  // the same inputs, the same result
    }
    SUBCASE("a manual event without time") {
        x.event = nlohmann::json::object();
        const auto v = weft::engine::attempt_env(x.in());
        CHECK(v.at("WEFT_EVENT_KIND") == "manual");
        CHECK(v.at("WEFT_EVENT_TIME").empty());
    }
    SUBCASE("paths one a line; a line that is not a string is its JSON") {
        x.event["paths"] = {"a.txt", "b c.txt"};
        x.event["line"] = nlohmann::json{{"k", 1}};
        const auto v = weft::engine::attempt_env(x.in());
        CHECK(v.at("WEFT_EVENT_PATHS") == "a.txt\nb c.txt");
        CHECK(v.at("WEFT_EVENT_LINE") == "{\"k\":1}");
    }
    SUBCASE("long values are cut after the last whole line that fits, and named") {
        const std::string line(1000, 'p');
        nlohmann::json paths = nlohmann::json::array();
        for (int i = 0; i < 100; ++i) paths.push_back(line);  // 100,099 bytes joined
        x.event["paths"] = paths;
        // One line longer than the bound, ending in a two-byte character
        // that straddles it: cut before the character.
        x.event["line"] = std::string(weft::engine::k_event_env_max - 1, 'x') + "\xc3\xa9";
        const auto v = weft::engine::attempt_env(x.in());
        const auto& p = v.at("WEFT_EVENT_PATHS");
        CHECK(p.size() <= weft::engine::k_event_env_max);
        CHECK(p.size() == 65 * 1001 - 1);  // 65 whole lines
        CHECK(p.back() == 'p');
        CHECK(v.at("WEFT_EVENT_LINE") == std::string(weft::engine::k_event_env_max - 1, 'x'));
        CHECK(v.at("WEFT_EVENT_TRUNCATED") == "WEFT_EVENT_PATHS WEFT_EVENT_LINE");
    }
}
