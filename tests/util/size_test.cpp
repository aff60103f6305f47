#include <doctest/doctest.h>

#include "weft/util/size.hpp"

using namespace weft;

TEST_CASE("util::parse_size") {
    SUBCASE("valid") {
        CHECK(*parse_size("4096") == 4096);
        CHECK(*parse_size("0") == 0);
        CHECK(*parse_size("10M") == 10u << 20);
        CHECK(*parse_size("10MiB") == 10u << 20);
        CHECK(*parse_size("10m") == 10u << 20);
        CHECK(*parse_size("512K") == 512u << 10);
        CHECK(*parse_size("512kib") == 512u << 10);
        CHECK(*parse_size("2G") == std::uint64_t{2} << 30);
        CHECK(*parse_size("7b") == 7);
    }
    SUBCASE("invalid") {
        CHECK(parse_size("").error().message ==
              "invalid size '': expected a number (use e.g. 10M, 512K, 4096)");
        CHECK(parse_size("10 MB").error().message ==
              "invalid size '10 MB': unknown unit ' MB' (use e.g. 10M, 512K, 4096)");
        CHECK_FALSE(parse_size("M"));
        CHECK_FALSE(parse_size("-1"));
        CHECK_FALSE(parse_size("99999999999999999999"));
    }
}

TEST_CASE("util::format_size") {
    CHECK(format_size(10u << 20) == "10 MiB");
    CHECK(format_size(3072) == "3 KiB");
    CHECK(format_size(std::uint64_t{1} << 30) == "1 GiB");
    CHECK(format_size(1500) == "1500 bytes");
    CHECK(format_size(1) == "1 byte");
    CHECK(format_size(0) == "0 bytes");
}
