#include "weft/util/regex.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace weft;

TEST_CASE("util::Regex searches, and says when PCRE2 gives up") {
    auto re = Regex::compile("ERROR|FATAL");
    REQUIRE(re);
    CHECK(re->search("2026 ERROR disk full").value());
    CHECK_FALSE(re->search("INFO ok").value());
    CHECK_FALSE(re->search("").value());

    auto bad = Regex::compile("(unclosed");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message.find("at offset 9") != std::string::npos);

    // Catastrophic backtracking: an error, not "no match" (the `b` alternative
    // would have matched), and bounded by the match limit.
    auto slow = Regex::compile("(a+)+$|b");
    REQUIRE(slow);
    auto r = slow->search(std::string(40, 'a') + "b");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("match limit") != std::string::npos);
    CHECK(slow->search("b").value());
}
