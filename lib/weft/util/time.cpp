#include "weft/util/time.hpp"

#include <fmt/core.h>
#include <time.h>

namespace weft {

TimePoint now() {
    return std::chrono::floor<std::chrono::milliseconds>(std::chrono::system_clock::now());
}

std::string format_rfc3339(TimePoint t) {
    using namespace std::chrono;
    const auto day = floor<days>(t);
    const year_month_day ymd{day};
    const hh_mm_ss hms{t - day};
    return fmt::format(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
        static_cast<int>(hms.seconds().count()), static_cast<int>(hms.subseconds().count()));
}

std::string format_local(TimePoint t) {
    using namespace std::chrono;
    const std::time_t secs = static_cast<std::time_t>(floor<seconds>(t).time_since_epoch().count());
    std::tm tm{};
    // tzset: localtime_r need not read TZ itself (POSIX), and TZ may have
    // been set by a test or a user after start.
    tzset();
    if (!localtime_r(&secs, &tm)) {
        std::string utc = format_rfc3339(floor<seconds>(t));
        return utc.erase(utc.size() - 5, 4);  // drop ".000" before the Z
    }
    const long off = tm.tm_gmtoff / 60;
    const long a = off < 0 ? -off : off;
    return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}", tm.tm_year + 1900,
                       tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                       off < 0 ? '-' : '+', a / 60, a % 60);
}

Result<TimePoint> parse_rfc3339(std::string_view s) {
    using namespace std::chrono;
    const std::string shown(s);
    auto bad = [&](const char* why) {
        return make_error(Errc::invalid, "invalid time '" + shown + "': " + why +
                                             " (expected RFC 3339, e.g. 2026-11-26T14:53:35Z)");
    };
    std::size_t i = 0;
    auto digits = [&](int n, int& out) {
        out = 0;
        for (int k = 0; k < n; ++k, ++i) {
            if (i >= s.size() || s[i] < '0' || s[i] > '9') return false;
            out = out * 10 + (s[i] - '0');
        }
        return true;
    };
    auto sep = [&](char c) { return i < s.size() && s[i++] == c; };
    int y, mo, d, h, mi, se;
    if (!digits(4, y) || !sep('-') || !digits(2, mo) || !sep('-') || !digits(2, d))
        return bad("bad date");
    if (i >= s.size() || (s[i] != 'T' && s[i] != 't' && s[i] != ' '))
        return bad("missing 'T' between date and time");
    ++i;
    if (!digits(2, h) || !sep(':') || !digits(2, mi) || !sep(':') || !digits(2, se))
        return bad("bad time of day");
    const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)},
                             day{static_cast<unsigned>(d)}};
    if (!ymd.ok()) return bad("no such date");
    if (h > 23 || mi > 59 || se > 60) return bad("time of day out of range");
    int ms = 0;
    if (i < s.size() && s[i] == '.') {
        ++i;
        int n = 0;
        for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i, ++n)
            if (n < 3) ms = ms * 10 + (s[i] - '0');
        if (n == 0) return bad("empty fraction");
        for (int k = n; k < 3; ++k) ms *= 10;
    }
    int offset_min = 0;
    if (i < s.size() && (s[i] == 'Z' || s[i] == 'z')) {
        ++i;
    } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
        const int sign = s[i++] == '-' ? -1 : 1;
        int oh, om;
        if (!digits(2, oh) || !sep(':') || !digits(2, om) || oh > 23 || om > 59)
            return bad("bad UTC offset");
        offset_min = sign * (oh * 60 + om);
    } else {
        return bad("missing time zone ('Z' or an offset like +02:00)");
    }
    if (i != s.size()) return bad("trailing characters");
    TimePoint t = sys_days{ymd} + hours{h} + minutes{mi} + seconds{se} + milliseconds{ms};
    return t - minutes{offset_min};
}

}  // namespace weft
