#include <doctest/doctest.h>

#include "weft/util/duration.hpp"
#include "weft/util/strings.hpp"
#include "weft/util/time.hpp"

using namespace weft;

TEST_CASE("util::parse_duration") {
    SUBCASE("valid") {
        CHECK(parse_duration("150ms")->count() == 150);
        CHECK(parse_duration("10s")->count() == 10'000);
        CHECK(parse_duration("5m")->count() == 300'000);
        CHECK(parse_duration("2h")->count() == 7'200'000);
        CHECK(parse_duration("1d")->count() == 86'400'000);
        CHECK(parse_duration("1h30m")->count() == 5'400'000);
        CHECK(parse_duration("1m30s250ms")->count() == 90'250);
        CHECK(parse_duration("0")->count() == 0);
        CHECK(parse_duration("0s")->count() == 0);
    }
    SUBCASE("invalid") {
        CHECK(parse_duration("10").error().message ==
              "invalid duration '10': missing unit (use e.g. 150ms, 10s, 5m, 2h, 1d, 1h30m)");
        CHECK(parse_duration("10x").error().message ==
              "invalid duration '10x': unknown unit 'x' (use e.g. 150ms, 10s, 5m, 2h, 1d, 1h30m)");
        CHECK(parse_duration("30m1h").error().message ==
              "invalid duration '30m1h': units must go from largest to smallest, each once (use "
              "e.g. 150ms, 10s, "
              "5m, 2h, 1d, 1h30m)");
        CHECK_FALSE(parse_duration(""));
        CHECK_FALSE(parse_duration("s"));
        CHECK_FALSE(parse_duration("-1s"));
        CHECK_FALSE(parse_duration("1.5s"));
        CHECK_FALSE(parse_duration("99999999999999999999d"));
    }
    SUBCASE("format") {
        CHECK(format_duration(Duration{5'400'000}) == "1h30m");
        CHECK(format_duration(Duration{150}) == "150ms");
        CHECK(format_duration(Duration{0}) == "0s");
    }
}

TEST_CASE("util::strings") {
    CHECK(edit_distance("needs", "nedds") == 1);
    CHECK(closest_match("nedds", {"run", "needs", "uses"}) == "needs");
    CHECK(closest_match("zzzzzz", {"run", "needs"}).empty());
    CHECK(join_quoted({"a", "b", "c"}) == "'a', 'b' or 'c'");
}

TEST_CASE("util::rfc3339") {
    auto t = parse_rfc3339("2026-11-26T14:53:35.123Z");
    REQUIRE(t);
    CHECK(format_rfc3339(*t) == "2026-11-26T14:53:35.123Z");
    CHECK(format_rfc3339(*parse_rfc3339("2026-03-29T03:00:00+02:00")) ==
          "2026-03-29T01:00:00.000Z");
    CHECK(format_rfc3339(*parse_rfc3339("2024-02-29T00:00:00-05:30")) ==
          "2024-02-29T05:30:00.000Z");
    CHECK_FALSE(parse_rfc3339("2026-02-30T00:00:00Z"));
    CHECK_FALSE(parse_rfc3339("2026-11-26T14:53:35"));
    CHECK(parse_rfc3339("2026-11-26").error().message ==
          "invalid time '2026-11-26': missing 'T' between date and time (expected RFC 3339, e.g. "
          "2026-11-26T14:53:35Z)");
}

TEST_CASE("util::json_nesting") {
    CHECK(json_nesting("1") == 0);
    CHECK(json_nesting("{\"a\": [1, {\"b\": []}]}") == 4);
    CHECK(json_nesting("\"[[[[\"") == 0);          // brackets in strings do not count
    CHECK(json_nesting("[\"\\\"[[\", []]") == 2);  // nor after an escaped quote
    CHECK(json_nesting(std::string(100000, '[')) == 100000);
}
