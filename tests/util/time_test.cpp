#include "weft/util/time.hpp"

#include <doctest/doctest.h>
#include <stdlib.h>

#include <string>

using namespace weft;

namespace {

// Sets TZ for one test case and restores it.
struct WithTz {
    std::string old;
    bool had;
    explicit WithTz(const char* tz) : had(std::getenv("TZ") != nullptr) {
        if (had) old = std::getenv("TZ");
        setenv("TZ", tz, 1);
    }
    ~WithTz() {
        if (had)
            setenv("TZ", old.c_str(), 1);
        else
            unsetenv("TZ");
    }
};

TimePoint at(const char* rfc3339) {
    auto t = parse_rfc3339(rfc3339);
    REQUIRE(t);
    return *t;
}

}  // namespace

TEST_CASE("util::format_local follows TZ, to the second") {
    const TimePoint t = at("2026-12-07T04:08:14.567Z");
    {
        WithTz tz("UTC0");
        CHECK(format_local(t) == "2026-12-07T04:08:14+00:00");
    }
    {
        WithTz tz("Europe/Paris");
        CHECK(format_local(t) == "2026-12-07T05:08:14+01:00");
        CHECK(format_local(at("2026-07-01T12:00:00Z")) == "2026-07-01T14:00:00+02:00");
    }
    {
        WithTz tz("America/St_Johns");  // a half-hour zone west of UTC
        CHECK(format_local(t) == "2026-12-07T00:38:14-03:30");
    }
    // What it prints reads back as the same second.
    WithTz tz("Asia/Kolkata");
    CHECK(parse_rfc3339(format_local(t)).value() == at("2026-12-07T04:08:14Z"));
}
