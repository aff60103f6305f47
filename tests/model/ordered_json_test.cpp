#include <doctest/doctest.h>

#include <string>

#include "weft/model/json.hpp"

using weft::model::OrderedJson;
using weft::model::parse_ordered_json;

TEST_CASE("model::parse_ordered_json keeps key order") {
    const OrderedJson v =
        parse_ordered_json(R"({"b": 1, "a": {"z": [1, {"y": 2, "x": 3}], "c": null}})");
    CHECK(v.dump() == R"({"b":1,"a":{"z":[1,{"y":2,"x":3}],"c":null}})");
    CHECK(parse_ordered_json("[]").dump() == "[]");
    CHECK(parse_ordered_json(" 1.5 ").get<double>() == 1.5);
    CHECK(parse_ordered_json(R"("s")") == "s");
}

TEST_CASE("model::parse_ordered_json: a repeated key keeps its first place and last value") {
    CHECK(parse_ordered_json(R"({"k": 1, "j": 2, "k": {"n": 3}})").dump() ==
          R"({"k":{"n":3},"j":2})");
}

TEST_CASE("model::parse_ordered_json of many keys") {
    std::string text = "{";
    for (int i = 0; i < 50000; ++i)
        text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
    text += "}";
    const OrderedJson v = parse_ordered_json(text);
    REQUIRE(v.size() == 50000);
    CHECK(v.begin().key() == "k0");
    auto last = v.end();
    --last;
    CHECK(last.key() == "k49999");
}

TEST_CASE("model::parse_ordered_json throws on text that is not JSON") {
    CHECK_THROWS_AS(parse_ordered_json("{\"a\": }"), OrderedJson::exception);
    CHECK_THROWS_AS(parse_ordered_json(""), OrderedJson::exception);
    CHECK_THROWS_AS(parse_ordered_json("[1] x"), OrderedJson::exception);
}
