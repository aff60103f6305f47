#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include "weft/util/mask.hpp"

using weft::Masker;

TEST_CASE("mask: every occurrence of every value") {
    Masker m;
    m.add("s3cret");
    m.add("tok");
    CHECK(m.apply("a s3cret and s3cret tok") == "a *** and *** ***");
    CHECK(m.apply("nothing here") == "nothing here");
}

TEST_CASE("mask: a value containing another is masked whole") {
    Masker m;
    m.add("ab");
    m.add("xxabyy");
    CHECK(m.apply("1 xxabyy 2 ab") == "1 *** 2 ***");
}

TEST_CASE("mask: multi-line values are masked whole and line by line") {
    Masker m;
    m.add("line-one\nline-two\r\n");
    CHECK(m.apply("line-one\nline-two\r\n") == "***");
    CHECK(m.apply("first: line-one") == "first: ***");
    CHECK(m.apply("line-two (second line)") == "*** (second line)");
}

TEST_CASE("mask: empty values mask nothing") {
    Masker m;
    m.add("");
    m.add("\n\n");
    CHECK(m.empty());
    CHECK(m.apply("text") == "text");
}

TEST_CASE("mask: a secret param's value as stored and shown") {
    auto masked = [](nlohmann::json v) {
        weft::mask_secret_param(v);
        return v;
    };
    CHECK(masked("s3cret") == "***");
    CHECK(masked(" ") == "***");
    CHECK(masked("") == "");     // hides nothing; a resume takes it back as it is
    CHECK(masked(42) == "***");  // not a string (a control request's): masked all the same
    CHECK(masked(nullptr) == "***");
}
