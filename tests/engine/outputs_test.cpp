#include <doctest/doctest.h>

#include "weft/engine/outputs.hpp"

using weft::engine::parse_outputs;

TEST_CASE("engine::parse_outputs") {
    SUBCASE("key=value, later wins, values keep '=' and spaces") {
        auto o = parse_outputs("a=1\nb=x=y \n\na=2\n");
        REQUIRE(o);
        CHECK(*o == nlohmann::json{{"a", "2"}, {"b", "x=y "}});
    }
    SUBCASE("heredoc") {
        auto o = parse_outputs("msg<<EOF\nline 1\n\nline 3\nEOF\nz=1\n");
        REQUIRE(o);
        CHECK((*o)["msg"] == "line 1\n\nline 3");
        CHECK((*o)["z"] == "1");
    }
    SUBCASE("empty heredoc and CRLF") {
        auto o = parse_outputs("e<<X\r\nX\r\nk=v\r\n");
        REQUIRE(o);
        CHECK((*o)["e"] == "");
        CHECK((*o)["k"] == "v");
    }
    SUBCASE("errors name the line") {
        CHECK(parse_outputs("a=1\njunk\n").error().message ==
              "$WEFT_OUTPUT line 2: expected key=value or key<<DELIMITER");
        CHECK(parse_outputs("m<<EOF\nnever closed\n").error().message ==
              "$WEFT_OUTPUT line 1: delimiter 'EOF' of 'm' never comes");
        CHECK(parse_outputs("bad key=1\n").error().message ==
              "$WEFT_OUTPUT line 1: invalid key 'bad key'");
        CHECK_FALSE(parse_outputs("=1\n"));
    }
}
