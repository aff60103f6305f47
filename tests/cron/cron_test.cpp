#include "weft/cron/cron.hpp"

#include <date/date.h>
#include <date/tz.h>
#include <doctest/doctest.h>

#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

// Print instant lists in failed checks.
namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& v) {
        std::string out = "{";
        for (std::size_t i = 0; i < v.size(); ++i) out += (i ? ", " : "") + v[i];
        return (out + "}").c_str();
    }
};
}  // namespace doctest

using weft::cron::DstPolicy;
using weft::cron::Schedule;
using weft::cron::Seconds;

namespace {

// "2026-03-29T01:00:00Z" -> instant.
Seconds at(const std::string& rfc3339) {
    std::istringstream in(rfc3339);
    Seconds t;
    in >> date::parse("%Y-%m-%dT%H:%M:%SZ", t);
    REQUIRE_MESSAGE(!in.fail(), "bad test timestamp " << rfc3339);
    return t;
}

std::string rfc3339(Seconds t) {
    return date::format("%Y-%m-%dT%H:%M:%SZ", t);
}

Schedule parsed(const std::string& expr) {
    auto s = weft::cron::parse(expr);
    REQUIRE_MESSAGE(s.ok(), expr << ": " << s.error().message);
    return *s;
}

std::string parse_error(const std::string& expr) {
    auto s = weft::cron::parse(expr);
    REQUIRE_MESSAGE(!s.ok(), expr << " parsed");
    CHECK(s.error().code == weft::Errc::invalid);
    return s.error().message;
}

const date::time_zone* zone(const std::string& name) {
    auto z = weft::cron::find_zone(name);
    REQUIRE_MESSAGE(z.ok(), z.error().message);
    return *z;
}

// The next `n` fires of `expr` in `tz` strictly after `from`, as RFC 3339 UTC.
std::vector<std::string> fires(const std::string& expr, const std::string& tz,
                               const std::string& from, std::size_t n) {
    std::vector<std::string> out;
    for (Seconds t : weft::cron::next_fires(parsed(expr), zone(tz), at(from), n)) {
        out.push_back(rfc3339(t));
    }
    return out;
}

std::string next(const std::string& expr, const std::string& tz, const std::string& from) {
    const auto t = weft::cron::next_fire(parsed(expr), zone(tz), at(from));
    return t ? rfc3339(*t) : "never";
}

using V = std::vector<std::string>;

// Schedules compare equal apart from their text.
bool same_times(Schedule a, const Schedule& b) {
    a.text = b.text;
    return a == b;
}

std::uint64_t bits(std::initializer_list<int> values) {
    std::uint64_t m = 0;
    for (int v : values) m |= std::uint64_t{1} << v;
    return m;
}

}  // namespace

TEST_CASE("cron::parse") {
    SUBCASE("five fields: seconds = 0") {
        const Schedule s = parsed("30 2 * * *");
        CHECK(s.text == "30 2 * * *");
        CHECK(s.seconds == bits({0}));
        CHECK(s.minutes == bits({30}));
        CHECK(s.hours == bits({2}));
        CHECK(s.days_of_month == 0xFFFFFFFEu);
        CHECK(s.months == 0x1FFE);
        CHECK(s.days_of_week == 0x7F);
        CHECK_FALSE(s.dom_restricted);
        CHECK_FALSE(s.dow_restricted);
    }
    SUBCASE("six fields: leading seconds") {
        const Schedule s = parsed("*/20 5 4 * * *");
        CHECK(s.seconds == bits({0, 20, 40}));
        CHECK(s.minutes == bits({5}));
        CHECK(s.hours == bits({4}));
    }
    SUBCASE("whitespace around and between fields") {
        CHECK(same_times(parsed(" \t0  0 * *\t* "), parsed("0 0 * * *")));
    }
    SUBCASE("lists, ranges and steps") {
        CHECK(parsed("1,2,3-5 * * * *").minutes == bits({1, 2, 3, 4, 5}));
        CHECK(parsed("*/15 * * * *").minutes == bits({0, 15, 30, 45}));
        CHECK(parsed("10-30/10 * * * *").minutes == bits({10, 20, 30}));
        CHECK(parsed("5/20 * * * *").minutes == bits({5, 25, 45}));
        CHECK(parsed("0 */6 * * *").hours == bits({0, 6, 12, 18}));
        CHECK(parsed("0 0 */10 * *").days_of_month == bits({1, 11, 21, 31}));
        CHECK(parsed("0 0 1 */5 *").months == bits({1, 6, 11}));
        CHECK(parsed("0 0 * * */2").days_of_week == bits({0, 2, 4, 6}));
        CHECK(parsed("*/60 * * * *").minutes == bits({0}));
        CHECK(parsed("0 0 1 */12 *").months == bits({1}));
    }
    SUBCASE("names, case-insensitive") {
        const Schedule s = parsed("0 0 * jan-MAR,Dec mon,Fri");
        CHECK(s.months == bits({1, 2, 3, 12}));
        CHECK(s.days_of_week == bits({1, 5}));
        CHECK(parsed("0 0 * * MON-FRI").days_of_week == bits({1, 2, 3, 4, 5}));
    }
    SUBCASE("7 is Sunday; Sunday can end a range") {
        CHECK(parsed("0 0 * * 7").days_of_week == bits({0}));
        CHECK(same_times(parsed("0 0 * * 7"), parsed("0 0 * * SUN")));
        CHECK(same_times(parsed("0 0 * * 7"), parsed("0 0 * * 0")));
        CHECK(parsed("0 0 * * 5-7").days_of_week == bits({0, 5, 6}));
        CHECK(parsed("0 0 * * SAT-SUN").days_of_week == bits({0, 6}));
        CHECK(parsed("0 0 * * 1-7/2").days_of_week == bits({0, 1, 3, 5}));
    }
    SUBCASE("? equals * in day-of-month and day-of-week") {
        CHECK(same_times(parsed("0 0 ? * MON"), parsed("0 0 * * MON")));
        CHECK(same_times(parsed("0 0 1 * ?"), parsed("0 0 1 * *")));
    }
    SUBCASE("restricted = anything but * or ?") {
        CHECK(parsed("0 0 1 * *").dom_restricted);
        CHECK_FALSE(parsed("0 0 1 * *").dow_restricted);
        CHECK(parsed("0 0 */2 * MON").dom_restricted);
        CHECK(parsed("0 0 * * 0-6").dow_restricted);
        CHECK(parsed("0 0 L * *").dom_restricted);
        CHECK(parsed("0 0 * * FRI#2").dow_restricted);
    }
    SUBCASE("L, L-n, LW and nW in day-of-month") {
        const Schedule s = parsed("0 0 L,L-3,LW,15W,1w * *");
        CHECK(s.days_of_month == 0);
        CHECK(s.last_day_offsets == bits({0, 3}));
        CHECK(s.last_weekday);
        CHECK(s.nearest_weekdays == bits({1, 15}));
        CHECK(parsed("0 0 l * *").last_day_offsets == bits({0}));
    }
    SUBCASE("# and L in day-of-week") {
        const Schedule s = parsed("0 0 * * FRI#2,5#3,1#L,TUEl,0L");
        CHECK(s.days_of_week == 0);
        CHECK(s.nth_weekdays[5] == bits({2, 3}));
        CHECK(s.last_weekdays == bits({0, 1, 2}));
        CHECK(parsed("0 0 * * 7#1").nth_weekdays[0] == bits({1}));
        CHECK(parsed("0 0 * * fri#l").last_weekdays == bits({5}));
    }
    SUBCASE("fixed-time or wall-clock, by the minute and hour fields") {
        CHECK(parsed("30 2 * * *").dst == DstPolicy::fixed_time);
        CHECK(parsed("15,45 2 * * *").dst == DstPolicy::fixed_time);
        CHECK(parsed("0 0-23 * * *").dst == DstPolicy::fixed_time);
        CHECK(parsed("* 30 2 * * *").dst == DstPolicy::fixed_time);
        CHECK(parsed("0 * * * *").dst == DstPolicy::wall_clock);
        CHECK(parsed("*/15 * * * *").dst == DstPolicy::wall_clock);
        CHECK(parsed("* 2 * * *").dst == DstPolicy::wall_clock);
        CHECK(parsed("*/30 2 * * *").dst == DstPolicy::wall_clock);
        CHECK(parsed("0 */2 * * *").dst == DstPolicy::wall_clock);
    }
    SUBCASE("nicknames") {
        CHECK(same_times(parsed("@yearly"), parsed("0 0 1 1 *")));
        CHECK(same_times(parsed("@annually"), parsed("0 0 1 1 *")));
        CHECK(same_times(parsed("@monthly"), parsed("0 0 1 * *")));
        CHECK(same_times(parsed("@weekly"), parsed("0 0 * * 0")));
        CHECK(same_times(parsed("@daily"), parsed("0 0 * * *")));
        CHECK(same_times(parsed("@hourly"), parsed("0 * * * *")));
        CHECK(same_times(parsed(" @Daily "), parsed("0 0 * * *")));
        CHECK(parsed("@daily").text == "@daily");
        CHECK(parsed("@daily").dst == DstPolicy::fixed_time);
        CHECK(parsed("@hourly").dst == DstPolicy::wall_clock);
    }

    SUBCASE("wrong field count") {
        CHECK(parse_error("* * * *") == "expected 5 or 6 fields, got 4");
        CHECK(parse_error("* * * * * * *") == "expected 5 or 6 fields, got 7");
        CHECK(parse_error("") == "expected 5 or 6 fields, got 0");
        CHECK(parse_error("   ") == "expected 5 or 6 fields, got 0");
    }
    SUBCASE("unknown nickname") {
        CHECK(parse_error("@reboot") ==
              "unknown nickname '@reboot'; expected '@yearly', '@annually', '@monthly', "
              "'@weekly', '@daily' or '@hourly'");
        CHECK(parse_error("@daly") ==
              "unknown nickname '@daly' (did you mean '@daily'?); expected '@yearly', "
              "'@annually', '@monthly', '@weekly', '@daily' or '@hourly'");
    }
    SUBCASE("values out of range, per field") {
        CHECK(parse_error("60 * * * * *") == "second field: value 60 out of range 0-59");
        CHECK(parse_error("61 * * * *") == "minute field: value 61 out of range 0-59");
        CHECK(parse_error("0 24 * * *") == "hour field: value 24 out of range 0-23");
        CHECK(parse_error("0 0 0 * *") == "day-of-month field: value 0 out of range 1-31");
        CHECK(parse_error("0 0 32 * *") == "day-of-month field: value 32 out of range 1-31");
        CHECK(parse_error("0 0 * 0 *") == "month field: value 0 out of range 1-12");
        CHECK(parse_error("0 0 * 13 *") == "month field: value 13 out of range 1-12");
        CHECK(parse_error("0 0 * * 8") == "day-of-week field: value 8 out of range 0-7");
        CHECK(parse_error("0 0-24 * * *") == "hour field: value 24 out of range 0-23");
        CHECK(parse_error("99999999999999 * * * *") ==
              "minute field: value 99999999999999 out of range 0-59");
        CHECK(parse_error("0 0 32W * *") == "day-of-month field: value 32 out of range 1-31");
        CHECK(parse_error("0 0 L-31 * *") == "day-of-month field: offset 31 out of range 0-30");
        CHECK(parse_error("0 0 * * 8#1") == "day-of-week field: value 8 out of range 0-7");
        CHECK(parse_error("0 0 * * FRI#6") == "day-of-week field: occurrence 6 out of range 1-5");
        CHECK(parse_error("0 0 * * FRI#0") == "day-of-week field: occurrence 0 out of range 1-5");
    }
    SUBCASE("zero and oversized steps") {
        CHECK(parse_error("*/0 * * * * *") == "second field: step 0 must be at least 1");
        CHECK(parse_error("0 */0 * * *") == "hour field: step 0 must be at least 1");
        CHECK(parse_error("*/61 * * * *") == "minute field: step 61 out of range 1-60");
        CHECK(parse_error("0 */25 * * *") == "hour field: step 25 out of range 1-24");
        CHECK(parse_error("0 0 */32 * *") == "day-of-month field: step 32 out of range 1-31");
        CHECK(parse_error("0 0 * */13 *") == "month field: step 13 out of range 1-12");
        CHECK(parse_error("0 0 * * 1-5/8") == "day-of-week field: step 8 out of range 1-7");
        CHECK(parse_error("*/x * * * *") == "minute field: step must be a number, got 'x'");
        CHECK(parse_error("*/ * * * *") == "minute field: missing step in '*/'");
    }
    SUBCASE("unknown names") {
        CHECK(parse_error("0 0 * * FUN") ==
              "day-of-week field: unknown name 'FUN' (did you mean 'SUN'?)");
        CHECK(parse_error("0 0 * FOO *") == "month field: unknown name 'FOO'");
        CHECK(parse_error("0 0 * JANUARY *") == "month field: unknown name 'JANUARY'");
        CHECK(parse_error("0 0 * * MON-FRY") ==
              "day-of-week field: unknown name 'FRY' (did you mean 'FRI'?)");
        CHECK(parse_error("0 0 * * MON#x") ==
              "day-of-week field: expected 1-5 or 'L' after '#', got 'x'");
        // Names belong to their field only.
        CHECK(parse_error("0 0 * MON *") == "month field: unknown name 'MON'");
        CHECK(parse_error("0 0 * * JAN") == "day-of-week field: unknown name 'JAN'");
        CHECK(parse_error("x * * * *") == "minute field: expected a number, got 'x'");
        CHECK(parse_error("0 0 X * *") == "day-of-month field: expected a number, got 'X'");
    }
    SUBCASE("malformed items") {
        CHECK(parse_error("1,,2 * * * *") == "minute field: empty list item");
        CHECK(parse_error("1, * * * *") == "minute field: empty list item");
        CHECK(parse_error("1- * * * *") == "minute field: missing value in '1-'");
        CHECK(parse_error("-1 * * * *") == "minute field: missing value in '-1'");
        CHECK(parse_error("1-2-3 * * * *") == "minute field: expected a number, got '2-3'");
        CHECK(parse_error("5-1 * * * *") == "minute field: range 5-1 goes backwards");
        CHECK(parse_error("0 0 * NOV-FEB *") == "month field: range NOV-FEB goes backwards");
        CHECK(parse_error("? * * * *") ==
              "minute field: '?' is only allowed in the day-of-month and day-of-week fields");
        CHECK(parse_error("0 0 * ? *") ==
              "month field: '?' is only allowed in the day-of-month and day-of-week fields");
        CHECK(parse_error("0 0 * * L") ==
              "day-of-week field: 'L' needs a day before it, as in '5L' or 'FRI#L'");
        CHECK(parse_error("0 0 W * *") ==
              "day-of-month field: expected a day before 'W', as in '15W', got 'W'");
        CHECK(parse_error("0 0 LX * *") ==
              "day-of-month field: expected 'L', 'L-N' or 'LW', got 'LX'");
        CHECK(parse_error("0 0 L * L") ==
              "day-of-week field: 'L' needs a day before it, as in '5L' or 'FRI#L'");
        CHECK(parse_error("L * * * *") == "minute field: expected a number, got 'L'");
    }
    SUBCASE("the error points at the offending item") {
        auto r = weft::cron::parse("0 0 * * MON,FUN");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().offset == 12);
        r = weft::cron::parse("0 */0 * * *");
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().offset == 4);
    }
}

TEST_CASE("cron::find_zone") {
    SUBCASE("IANA names") {
        CHECK(zone("Europe/Berlin")->name() == "Europe/Berlin");
        CHECK(zone("UTC") != nullptr);
    }
    SUBCASE("empty = the local zone, $TZ first") {
        const char* old = std::getenv("TZ");
        const std::string saved = old != nullptr ? old : "";
        ::setenv("TZ", "Australia/Lord_Howe", 1);
        CHECK(zone("")->name() == "Australia/Lord_Howe");
        ::setenv("TZ", ":America/New_York", 1);
        CHECK(zone("")->name() == "America/New_York");
        ::setenv("TZ", "CET-1CEST", 1);  // a POSIX rule: the machine's zone
        CHECK(zone("") != nullptr);
        ::unsetenv("TZ");
        CHECK(zone("") != nullptr);
        if (old != nullptr) ::setenv("TZ", saved.c_str(), 1);
    }
    SUBCASE("unknown zones") {
        auto z = weft::cron::find_zone("Mars/Olympus_Mons");
        REQUIRE_FALSE(z.ok());
        CHECK(z.error().code == weft::Errc::invalid);
        CHECK(z.error().message == "unknown time zone 'Mars/Olympus_Mons'");
        z = weft::cron::find_zone("Europe/Berln");
        REQUIRE_FALSE(z.ok());
        CHECK(z.error().message ==
              "unknown time zone 'Europe/Berln' (did you mean 'Europe/Berlin'?)");
    }
}

TEST_CASE("cron::next_fire") {
    SUBCASE("strictly after") {
        CHECK(next("0 * * * *", "UTC", "2026-01-01T00:00:00Z") == "2026-01-01T01:00:00Z");
        CHECK(next("0 * * * *", "UTC", "2025-12-31T23:59:59Z") == "2026-01-01T00:00:00Z");
        CHECK(next("* * * * *", "UTC", "2026-01-01T00:00:30Z") == "2026-01-01T00:01:00Z");
    }
    SUBCASE("rolls over hours, days, months and years") {
        CHECK(next("59 23 31 12 *", "UTC", "2026-06-01T00:00:00Z") == "2026-12-31T23:59:00Z");
        CHECK(next("0 0 1 1 *", "UTC", "2026-12-31T23:59:59Z") == "2027-01-01T00:00:00Z");
        CHECK(fires("*/15 9-17 * * MON-FRI", "UTC", "2026-01-02T17:40:00Z", 3) ==
              V{"2026-01-02T17:45:00Z", "2026-01-05T09:00:00Z", "2026-01-05T09:15:00Z"});
    }
    SUBCASE("a time zone's offset") {
        CHECK(next("0 9 * * *", "Europe/Berlin", "2026-01-01T00:00:00Z") == "2026-01-01T08:00:00Z");
        CHECK(next("0 9 * * *", "Europe/Berlin", "2026-07-01T00:00:00Z") == "2026-07-01T07:00:00Z");
        CHECK(next("0 9 * * *", "America/New_York", "2026-01-01T00:00:00Z") ==
              "2026-01-01T14:00:00Z");
        CHECK(next("0 0 * * *", "Australia/Lord_Howe", "2026-07-01T00:00:00Z") ==
              "2026-07-01T13:30:00Z");
    }
    SUBCASE("six fields: seconds") {
        CHECK(fires("*/20 * * * * *", "UTC", "2026-01-01T00:00:00Z", 3) ==
              V{"2026-01-01T00:00:20Z", "2026-01-01T00:00:40Z", "2026-01-01T00:01:00Z"});
        CHECK(next("30 0 0 1 1 *", "UTC", "2026-01-01T00:00:30Z") == "2027-01-01T00:00:30Z");
        CHECK(next("59 59 23 * * *", "UTC", "2026-01-01T12:00:00Z") == "2026-01-01T23:59:59Z");
    }
    SUBCASE("leap days") {
        CHECK(fires("0 0 29 2 *", "UTC", "2026-01-01T00:00:00Z", 2) ==
              V{"2028-02-29T00:00:00Z", "2032-02-29T00:00:00Z"});
        // 2100 is not a leap year.
        CHECK(next("0 0 29 2 *", "UTC", "2096-03-01T00:00:00Z") == "2104-02-29T00:00:00Z");
        CHECK(next("0 0 29 2 *", "Europe/Berlin", "2026-01-01T00:00:00Z") ==
              "2028-02-28T23:00:00Z");
    }
    SUBCASE("the 31st only in months that have one") {
        CHECK(fires("0 0 31 * *", "UTC", "2026-04-01T00:00:00Z", 4) ==
              V{"2026-05-31T00:00:00Z", "2026-07-31T00:00:00Z", "2026-08-31T00:00:00Z",
                "2026-10-31T00:00:00Z"});
        CHECK(next("0 0 30 * *", "UTC", "2026-01-31T00:00:00Z") == "2026-03-30T00:00:00Z");
    }
    SUBCASE("never") {
        CHECK(next("0 0 30 2 *", "UTC", "2026-01-01T00:00:00Z") == "never");
        CHECK(next("0 0 31 4,6,9,11 *", "Europe/Berlin", "2026-01-01T00:00:00Z") == "never");
        CHECK(next("0 0 30W 2 *", "UTC", "2026-01-01T00:00:00Z") == "never");
        CHECK(
            weft::cron::next_fires(parsed("0 0 30 2 *"), zone("UTC"), at("2026-01-01T00:00:00Z"), 5)
                .empty());
    }
    SUBCASE("rare but possible: the fifth Friday of February") {
        // February has five Fridays only in a leap year starting on a Friday.
        CHECK(next("0 0 * 2 FRI#5", "UTC", "2026-01-01T00:00:00Z") == "2036-02-29T00:00:00Z");
    }
    SUBCASE("L: the month's last day; L-n: n days before it") {
        CHECK(fires("0 0 L * *", "UTC", "2026-01-31T00:00:00Z", 3) ==
              V{"2026-02-28T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-30T00:00:00Z"});
        CHECK(next("0 0 L 2 *", "UTC", "2027-03-01T00:00:00Z") == "2028-02-29T00:00:00Z");
        CHECK(next("0 0 L-3 2 *", "UTC", "2026-01-01T00:00:00Z") == "2026-02-25T00:00:00Z");
        CHECK(fires("0 0 L-30 * *", "UTC", "2026-01-01T00:00:00Z", 2) ==
              V{"2026-03-01T00:00:00Z", "2026-05-01T00:00:00Z"});
    }
    SUBCASE("LW: the last weekday") {
        // 2026-05-31 is a Sunday, 2026-02-28 a Saturday, 2026-03-31 a Tuesday.
        CHECK(fires("0 0 LW * *", "UTC", "2026-02-01T00:00:00Z", 2) ==
              V{"2026-02-27T00:00:00Z", "2026-03-31T00:00:00Z"});
        CHECK(next("0 0 LW 5 *", "UTC", "2026-01-01T00:00:00Z") == "2026-05-29T00:00:00Z");
    }
    SUBCASE("nW: the weekday nearest day n, within the month") {
        // 2026-03-15 is a Sunday: Monday the 16th.
        CHECK(next("0 0 15W 3 *", "UTC", "2026-01-01T00:00:00Z") == "2026-03-16T00:00:00Z");
        // 2026-08-15 is a Saturday: Friday the 14th.
        CHECK(next("0 0 15W 8 *", "UTC", "2026-01-01T00:00:00Z") == "2026-08-14T00:00:00Z");
        // 2026-04-15 is a Wednesday: itself.
        CHECK(next("0 0 15W 4 *", "UTC", "2026-01-01T00:00:00Z") == "2026-04-15T00:00:00Z");
        // 2026-08-01 is a Saturday: Monday the 3rd, not Friday July 31.
        CHECK(next("0 0 1W 7,8 *", "UTC", "2026-07-02T00:00:00Z") == "2026-08-03T00:00:00Z");
        // 2026-03-01 is a Sunday: Monday the 2nd.
        CHECK(next("0 0 1W 3 *", "UTC", "2026-01-01T00:00:00Z") == "2026-03-02T00:00:00Z");
        // 2026-05-31 is a Sunday: Friday the 29th, not Monday June 1.
        CHECK(next("0 0 31W 5,6 *", "UTC", "2026-01-01T00:00:00Z") == "2026-05-29T00:00:00Z");
        // 2026-01-31 is a Saturday: Friday the 30th.
        CHECK(next("0 0 31W * *", "UTC", "2026-01-01T00:00:00Z") == "2026-01-30T00:00:00Z");
    }
    SUBCASE("FRI#2, 5#3, FRI#L, 5L") {
        // March 2026: Fridays are the 6th, 13th, 20th and 27th.
        CHECK(next("0 0 * 3 FRI#2", "UTC", "2026-01-01T00:00:00Z") == "2026-03-13T00:00:00Z");
        CHECK(next("0 0 * 3 5#3", "UTC", "2026-01-01T00:00:00Z") == "2026-03-20T00:00:00Z");
        CHECK(next("0 0 * 3 FRI#L", "UTC", "2026-01-01T00:00:00Z") == "2026-03-27T00:00:00Z");
        CHECK(next("0 0 * 3 5L", "UTC", "2026-01-01T00:00:00Z") == "2026-03-27T00:00:00Z");
        CHECK(fires("0 0 * * FRI#2", "UTC", "2026-03-13T00:00:00Z", 2) ==
              V{"2026-04-10T00:00:00Z", "2026-05-08T00:00:00Z"});
        // May 2026 has five Fridays (1, 8, 15, 22, 29): the last is the fifth.
        CHECK(next("0 0 * 5 FRI#L", "UTC", "2026-01-01T00:00:00Z") == "2026-05-29T00:00:00Z");
        CHECK(next("0 0 * 5 FRI#5", "UTC", "2026-01-01T00:00:00Z") == "2026-05-29T00:00:00Z");
        // Four Fridays in March 2026 and 2027, five in 2028.
        CHECK(next("0 0 * 3 FRI#5", "UTC", "2026-01-01T00:00:00Z") == "2028-03-31T00:00:00Z");
        CHECK(next("0 0 * 3 SUN#1,SUN#L", "UTC", "2026-03-02T00:00:00Z") == "2026-03-29T00:00:00Z");
    }
    SUBCASE("day-of-month OR day-of-week when both are restricted") {
        // 2026-03-13 is a Friday the 13th; 2026-04-13 a Monday.
        CHECK(fires("0 0 13 * FRI", "UTC", "2026-03-01T00:00:00Z", 7) ==
              V{"2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z", "2026-03-20T00:00:00Z",
                "2026-03-27T00:00:00Z", "2026-04-03T00:00:00Z", "2026-04-10T00:00:00Z",
                "2026-04-13T00:00:00Z"});
        // Also when one side uses L, W or #.
        CHECK(fires("0 0 L * MON#1", "UTC", "2026-03-01T00:00:00Z", 3) ==
              V{"2026-03-02T00:00:00Z", "2026-03-31T00:00:00Z", "2026-04-06T00:00:00Z"});
        CHECK(fires("0 0 15W * 5L", "UTC", "2026-03-01T00:00:00Z", 3) ==
              V{"2026-03-16T00:00:00Z", "2026-03-27T00:00:00Z", "2026-04-15T00:00:00Z"});
        // Anything but * or ? restricts, */2 included.
        CHECK(fires("0 0 */10 * MON", "UTC", "2026-02-28T00:00:00Z", 4) ==
              V{"2026-03-01T00:00:00Z", "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z",
                "2026-03-11T00:00:00Z"});
    }
    SUBCASE("day-of-month AND day-of-week when one is * or ?") {
        CHECK(fires("0 0 * 3 FRI", "UTC", "2026-01-01T00:00:00Z", 2) ==
              V{"2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z"});
        CHECK(fires("0 0 ? 3 FRI", "UTC", "2026-01-01T00:00:00Z", 2) ==
              V{"2026-03-06T00:00:00Z", "2026-03-13T00:00:00Z"});
        CHECK(fires("0 0 13 3 ?", "UTC", "2026-01-01T00:00:00Z", 1) == V{"2026-03-13T00:00:00Z"});
        // 7 is Sunday.
        CHECK(next("0 0 * * 7", "UTC", "2026-03-02T00:00:00Z") == "2026-03-08T00:00:00Z");
    }
    SUBCASE("nicknames") {
        CHECK(next("@hourly", "UTC", "2026-01-01T00:30:00Z") == "2026-01-01T01:00:00Z");
        CHECK(next("@daily", "UTC", "2026-01-01T00:30:00Z") == "2026-01-02T00:00:00Z");
        // 2026-01-01 is a Thursday.
        CHECK(next("@weekly", "UTC", "2026-01-01T00:30:00Z") == "2026-01-04T00:00:00Z");
        CHECK(next("@monthly", "UTC", "2026-01-01T00:30:00Z") == "2026-02-01T00:00:00Z");
        CHECK(next("@yearly", "UTC", "2026-01-01T00:30:00Z") == "2027-01-01T00:00:00Z");
        CHECK(next("@annually", "Europe/Berlin", "2026-01-01T00:30:00Z") == "2026-12-31T23:00:00Z");
    }

    // Europe/Berlin 2026: 02:00 CET -> 03:00 CEST on March 29 (01:00Z);
    // 03:00 CEST -> 02:00 CET on October 25 (01:00Z), so 02:00-02:59 repeats.
    SUBCASE("Europe/Berlin spring forward, fixed-time") {
        CHECK(fires("30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 2) ==
              V{"2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z"});
        CHECK(fires("15,45 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 3) ==
              V{"2026-03-29T01:00:00Z", "2026-03-30T00:15:00Z", "2026-03-30T00:45:00Z"});
        // 03:00 itself is also the jump: one fire.
        CHECK(fires("0 2,3 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 3) ==
              V{"2026-03-29T01:00:00Z", "2026-03-30T00:00:00Z", "2026-03-30T01:00:00Z"});
        CHECK(fires("0 1,3 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 3) ==
              V{"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T23:00:00Z"});
        CHECK(fires("30 0 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z", 1) ==
              V{"2026-03-29T01:00:00Z"});
        // Exactly one second before the jump, and at the jump.
        CHECK(next("30 2 * * *", "Europe/Berlin", "2026-03-29T00:59:59Z") ==
              "2026-03-29T01:00:00Z");
        CHECK(next("30 2 * * *", "Europe/Berlin", "2026-03-29T01:00:00Z") ==
              "2026-03-30T00:30:00Z");
        CHECK(next("@daily", "Europe/Berlin", "2026-03-28T12:00:00Z") == "2026-03-28T23:00:00Z");
    }
    SUBCASE("Europe/Berlin spring forward, wall-clock") {
        CHECK(fires("0 * * * *", "Europe/Berlin", "2026-03-28T23:30:00Z", 3) ==
              V{"2026-03-29T00:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T02:00:00Z"});
        CHECK(next("* 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z") == "2026-03-30T00:00:00Z");
        CHECK(next("*/30 2 * * *", "Europe/Berlin", "2026-03-28T12:00:00Z") ==
              "2026-03-30T00:00:00Z");
        CHECK(fires("*/30 * * * *", "Europe/Berlin", "2026-03-29T00:15:00Z", 3) ==
              V{"2026-03-29T00:30:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:30:00Z"});
    }
    SUBCASE("Europe/Berlin fall back, fixed-time") {
        CHECK(fires("30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 2) ==
              V{"2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z"});
        // Between the two occurrences: the second one does not fire.
        CHECK(next("30 2 * * *", "Europe/Berlin", "2026-10-25T00:45:00Z") ==
              "2026-10-26T01:30:00Z");
        CHECK(fires("0,59 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 3) ==
              V{"2026-10-25T00:00:00Z", "2026-10-25T00:59:00Z", "2026-10-26T01:00:00Z"});
        CHECK(next("0 3 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z") == "2026-10-25T02:00:00Z");
    }
    SUBCASE("Europe/Berlin fall back, wall-clock") {
        CHECK(fires("0 * * * *", "Europe/Berlin", "2026-10-24T22:30:00Z", 4) ==
              V{"2026-10-24T23:00:00Z", "2026-10-25T00:00:00Z", "2026-10-25T01:00:00Z",
                "2026-10-25T02:00:00Z"});
        CHECK(fires("*/30 2 * * *", "Europe/Berlin", "2026-10-24T12:00:00Z", 5) ==
              V{"2026-10-25T00:00:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:00:00Z",
                "2026-10-25T01:30:00Z", "2026-10-26T01:00:00Z"});
    }

    // America/New_York 2026: 02:00 EST -> 03:00 EDT on March 8 (07:00Z);
    // 02:00 EDT -> 01:00 EST on November 1 (06:00Z), so 01:00-01:59 repeats.
    SUBCASE("America/New_York spring forward") {
        CHECK(fires("30 2 * * *", "America/New_York", "2026-03-07T12:00:00Z", 2) ==
              V{"2026-03-08T07:00:00Z", "2026-03-09T06:30:00Z"});
        CHECK(fires("30 * * * *", "America/New_York", "2026-03-08T06:00:00Z", 2) ==
              V{"2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z"});
        CHECK(next("0 2 * * *", "America/New_York", "2026-03-07T12:00:00Z") ==
              "2026-03-08T07:00:00Z");
    }
    SUBCASE("America/New_York fall back") {
        CHECK(fires("30 1 * * *", "America/New_York", "2026-10-31T12:00:00Z", 2) ==
              V{"2026-11-01T05:30:00Z", "2026-11-02T06:30:00Z"});
        CHECK(fires("30 * * * *", "America/New_York", "2026-11-01T05:00:00Z", 3) ==
              V{"2026-11-01T05:30:00Z", "2026-11-01T06:30:00Z", "2026-11-01T07:30:00Z"});
        // 02:00 EST comes once.
        CHECK(fires("0 2 * * *", "America/New_York", "2026-10-31T12:00:00Z", 1) ==
              V{"2026-11-01T07:00:00Z"});
    }

    // Australia/Lord_Howe 2026: a 30-minute shift. 02:00 (+11) -> 01:30
    // (+10:30) on April 5 (April 4 15:00Z), so 01:30-01:59 repeats; 02:00
    // (+10:30) -> 02:30 (+11) on October 4 (October 3 15:30Z).
    SUBCASE("Australia/Lord_Howe spring forward") {
        CHECK(fires("15 2 * * *", "Australia/Lord_Howe", "2026-10-01T00:00:00Z", 4) ==
              V{"2026-10-01T15:45:00Z", "2026-10-02T15:45:00Z", "2026-10-03T15:30:00Z",
                "2026-10-04T15:15:00Z"});
        CHECK(fires("0 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z", 1) ==
              V{"2026-10-03T15:30:00Z"});
        CHECK(fires("30 2 * * *", "Australia/Lord_Howe", "2026-10-03T00:00:00Z", 1) ==
              V{"2026-10-03T15:30:00Z"});
        CHECK(fires("*/15 * * * *", "Australia/Lord_Howe", "2026-10-03T15:10:00Z", 3) ==
              V{"2026-10-03T15:15:00Z", "2026-10-03T15:30:00Z", "2026-10-03T15:45:00Z"});
    }
    SUBCASE("Australia/Lord_Howe fall back") {
        CHECK(fires("*/15 * * * *", "Australia/Lord_Howe", "2026-04-04T14:20:00Z", 5) ==
              V{"2026-04-04T14:30:00Z", "2026-04-04T14:45:00Z", "2026-04-04T15:00:00Z",
                "2026-04-04T15:15:00Z", "2026-04-04T15:30:00Z"});
        CHECK(fires("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", 2) ==
              V{"2026-04-04T14:45:00Z", "2026-04-05T15:15:00Z"});
        CHECK(fires("0 2 * * *", "Australia/Lord_Howe", "2026-04-04T00:00:00Z", 1) ==
              V{"2026-04-04T15:30:00Z"});
        CHECK(next("45 1 * * *", "Australia/Lord_Howe", "2026-04-04T14:50:00Z") ==
              "2026-04-05T15:15:00Z");
    }
    SUBCASE("fast enough to call per schedule per wake-up") {
        const auto never = parsed("0 0 30 2 *");
        const auto rare = parsed("0 0 * 2 FRI#5");
        const auto often = parsed("*/15 9-17 * * MON-FRI");
        const auto* berlin = zone("Europe/Berlin");
        const auto start = std::chrono::steady_clock::now();
        Seconds t = at("2026-01-01T00:00:00Z");
        for (int i = 0; i < 1000; ++i) t = *weft::cron::next_fire(often, berlin, t);
        CHECK(rfc3339(t) == "2026-02-09T14:45:00Z");
        for (int i = 0; i < 20; ++i) {
            CHECK_FALSE(weft::cron::next_fire(never, berlin, t).has_value());
            CHECK(weft::cron::next_fire(rare, berlin, t).has_value());
        }
        const auto took = std::chrono::steady_clock::now() - start;
        // Generous: about 10 ms in an optimized build here.
        CHECK(took < std::chrono::seconds(2));
    }
}

namespace {

// A deliberately naive reading of the SPEC, to check next_fire against:
// does local time `l` match `s`?
bool naive_matches(const Schedule& s, date::local_seconds l) {
    const auto day = date::floor<date::days>(l);
    const date::year_month_day ymd{day};
    const date::hh_mm_ss<std::chrono::seconds> hms{l - day};
    const auto bit = [](std::uint64_t mask, long v) { return ((mask >> v) & 1u) != 0; };
    if (!bit(s.seconds, hms.seconds().count()) || !bit(s.minutes, hms.minutes().count()) ||
        !bit(s.hours, hms.hours().count()) || !bit(s.months, static_cast<unsigned>(ymd.month()))) {
        return false;
    }
    const int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
    const int last = static_cast<int>(static_cast<unsigned>(
        date::year_month_day_last{ymd.year(), date::month_day_last{ymd.month()}}.day()));
    const auto weekday_of = [&](int n) {
        return static_cast<int>(
            date::weekday{date::local_days{ymd.year() / ymd.month() / n}}.c_encoding());
    };
    const auto nearest = [&](int n) {
        if (weekday_of(n) == 6) return n == 1 ? 3 : n - 1;
        if (weekday_of(n) == 0) return n == last ? n - 2 : n + 1;
        return n;
    };
    bool dom = bit(s.days_of_month, d);
    for (int k = 0; k <= 30; ++k) dom = dom || (bit(s.last_day_offsets, k) && d == last - k);
    for (int n = 1; n <= last; ++n) dom = dom || (bit(s.nearest_weekdays, n) && d == nearest(n));
    dom = dom || (s.last_weekday && d == nearest(last));
    const int wd = weekday_of(d);
    const bool dow = bit(s.days_of_week, wd) || bit(s.nth_weekdays[wd], (d - 1) / 7 + 1) ||
                     (bit(s.last_weekdays, wd) && d + 7 > last);
    if (s.dom_restricted && s.dow_restricted) return dom || dow;
    if (s.dom_restricted) return dom;
    if (s.dow_restricted) return dow;
    return true;
}

// Every fire of `s` in [from, to), scanning minute by minute (5-field
// expressions only) and applying SPEC §3's DST rules to each instant.
std::vector<std::string> naive_fires(const Schedule& s, const date::time_zone* z, Seconds from,
                                     Seconds to) {
    using std::chrono::minutes;
    std::vector<std::string> out;
    for (Seconds t = from; t < to; t += minutes{1}) {
        const auto info = z->get_info(t);
        const date::local_seconds l{t.time_since_epoch() + info.offset};
        bool fire = false;
        if (s.dst == DstPolicy::wall_clock) {
            fire = naive_matches(s, l);
        } else {
            const auto li = z->get_info(l);
            // The first occurrence only.
            fire = naive_matches(s, l) &&
                   (li.result != date::local_info::ambiguous ||
                    t.time_since_epoch() == l.time_since_epoch() - li.first.offset);
            // The jump: every skipped local time fires here.
            const auto before = z->get_info(t - std::chrono::seconds{1});
            if (info.begin == t && before.offset < info.offset) {
                for (auto g = date::local_seconds{t.time_since_epoch() + before.offset}; g < l;
                     g += minutes{1}) {
                    fire = fire || naive_matches(s, g);
                }
            }
        }
        if (fire) out.push_back(rfc3339(t));
    }
    return out;
}

}  // namespace

TEST_CASE("cron::next_fire agrees with a naive scan") {
    SUBCASE("around DST changes") {
        const std::vector<std::string> exprs{
            "30 2 * * *",     "15,45 2 * * *", "0 * * * *",      "*/15 * * * *",
            "* 2 * * *",      "0 2,3 * * *",   "59 1 * * *",     "0-59/7 1-3 * * *",
            "*/20 1-3 * * *", "0 0 * * *",     "45 1,2 * * SUN", "5 0-4 * * *",
            "* 1 * * *",      "29,31 2 * * *", "*/30 */2 * * *", "0 0-23 * * *",
        };
        struct Window {
            const char* zone;
            const char* from;
        };
        const std::vector<Window> windows{
            {"Europe/Berlin", "2026-03-28T00:00:00Z"},
            {"Europe/Berlin", "2026-10-24T00:00:00Z"},
            {"America/New_York", "2026-03-07T00:00:00Z"},
            {"America/New_York", "2026-10-31T00:00:00Z"},
            {"Australia/Lord_Howe", "2026-04-03T00:00:00Z"},
            {"Australia/Lord_Howe", "2026-10-02T00:00:00Z"},
        };
        for (const auto& w : windows) {
            for (const auto& e : exprs) {
                CAPTURE(w.zone);
                CAPTURE(e);
                const Schedule s = parsed(e);
                const Seconds from = at(w.from);
                const Seconds to = from + date::days{3};
                std::vector<std::string> got;
                for (auto t =
                         weft::cron::next_fire(s, zone(w.zone), from - std::chrono::seconds{1});
                     t && *t < to; t = weft::cron::next_fire(s, zone(w.zone), *t)) {
                    got.push_back(rfc3339(*t));
                }
                CHECK(got == naive_fires(s, zone(w.zone), from, to));
            }
        }
    }
    SUBCASE("day patterns over four years") {
        const std::vector<std::string> exprs{
            "0 0 L * *",     "0 0 LW * *",        "0 0 L-2,15W * *", "0 0 1W,31W * *",
            "0 0 * * FRI#2", "0 0 * * 1#5,SUN#L", "0 0 13 * FRI",    "0 0 L * MON#1",
            "0 0 */7 * 2L",  "0 0 29 2 *",        "0 0 31 * *",      "0 0 ? JAN,JUL MON-WED",
            "0 0 1-7 * MON", "0 0 * * *",         "0 0 30W * *",     "0 0 L-27 * *",
        };
        for (const auto& e : exprs) {
            CAPTURE(e);
            const Schedule s = parsed(e);
            const auto* utc = zone("UTC");
            const Seconds from = at("2026-01-01T00:00:00Z");
            const Seconds to = from + date::days{4 * 365 + 1};
            std::vector<std::string> want;
            for (Seconds t = from; t < to; t += date::days{1}) {
                if (naive_matches(s, date::local_seconds{t.time_since_epoch()})) {
                    want.push_back(rfc3339(t));
                }
            }
            std::vector<std::string> got;
            for (auto t = weft::cron::next_fire(s, utc, from - std::chrono::seconds{1});
                 t && *t < to; t = weft::cron::next_fire(s, utc, *t)) {
                got.push_back(rfc3339(*t));
            }
            CHECK(got == want);
        }
    }
}
