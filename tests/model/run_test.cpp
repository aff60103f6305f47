#include "weft/model/run.hpp"

#include <doctest/doctest.h>

#include <string>

#include "weft/model/json.hpp"

using namespace weft::model;

TEST_CASE("model::run") {
    SUBCASE("state names") {
        CHECK(std::string(to_string(RunState::interrupted)) == "interrupted");
        CHECK(std::string(to_string(StepState::up_to_date)) == "up-to-date");
        CHECK(parse_step_state("up-to-date") == StepState::up_to_date);
        CHECK(parse_run_state("queued") == RunState::queued);
        CHECK(!parse_run_state("up-to-date"));
        CHECK(!parse_step_state("done"));
    }
    SUBCASE("every name reads back as its state") {
        for (int i = 0; i <= static_cast<int>(RunState::interrupted); ++i)
            CHECK(parse_run_state(to_string(static_cast<RunState>(i))) == static_cast<RunState>(i));
        for (int i = 0; i <= static_cast<int>(StepState::interrupted); ++i)
            CHECK(parse_step_state(to_string(static_cast<StepState>(i))) ==
                  static_cast<StepState>(i));
    }
    SUBCASE("dump_json is compact and never throws on bytes that are not UTF-8") {
        CHECK(dump_json(Json{{"a", 1}, {"b", "x\xff"}}) == "{\"a\":1,\"b\":\"x\xef\xbf\xbd\"}");
    }
}
