#include "weft/cron/cron.hpp"

#include <date/tz.h>
#include <fmt/core.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cctype>
#include <cstdlib>
#include <exception>

#include "weft/util/strings.hpp"

namespace weft::cron {
namespace {

// ---------------------------------------------------------------- parsing --

enum class Field { second, minute, hour, day_of_month, month, day_of_week };

struct FieldSpec {
    Field field;
    const char* name;
    int lo;    // smallest value accepted
    int hi;    // largest value accepted (7 for day-of-week: Sunday again)
    int span;  // number of distinct values: the largest useful step
};

constexpr std::array<FieldSpec, 6> k_fields{{
    {Field::second, "second", 0, 59, 60},
    {Field::minute, "minute", 0, 59, 60},
    {Field::hour, "hour", 0, 23, 24},
    {Field::day_of_month, "day-of-month", 1, 31, 31},
    {Field::month, "month", 1, 12, 12},
    {Field::day_of_week, "day-of-week", 0, 7, 7},
}};

const std::vector<std::string> k_month_names{"JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                             "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"};
const std::vector<std::string> k_day_names{"SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"};

struct Nickname {
    const char* name;
    const char* expansion;
};
constexpr std::array<Nickname, 6> k_nicknames{{
    {"@yearly", "0 0 1 1 *"},
    {"@annually", "0 0 1 1 *"},
    {"@monthly", "0 0 1 * *"},
    {"@weekly", "0 0 * * 0"},
    {"@daily", "0 0 * * *"},
    {"@hourly", "0 * * * *"},
}};

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

bool is_digits(std::string_view s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_letters(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return std::isalpha(static_cast<unsigned char>(c)) != 0;
    });
}

bool iequals(std::string_view a, std::string_view b) {
    return to_lower(a) == to_lower(b);
}

// Digits to int, saturating: the message quotes the digits, not this value.
int to_int(std::string_view digits) {
    long long v = 0;
    for (char c : digits) {
        v = v * 10 + (c - '0');
        if (v > 1'000'000) return 1'000'000;
    }
    return static_cast<int>(v);
}

struct Token {
    std::string_view text;
    std::size_t offset;  // into the whole expression
};

// Parses one field's text into `s`. Every error names the field.
class FieldParser {
  public:
    FieldParser(const FieldSpec& spec, Schedule& s) : m_spec(spec), m_s(s) {}

    Result<void> parse(Token field) {
        std::size_t start = 0;
        while (true) {
            const std::size_t comma = field.text.find(',', start);
            const std::string_view item = field.text.substr(start, comma - start);
            if (auto r = parse_item({item, field.offset + start}); !r) return r;
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        return {};
    }

  private:
    Error fail(std::string msg, std::size_t offset) const {
        return make_error(Errc::invalid, std::string(m_spec.name) + " field: " + std::move(msg),
                          offset);
    }

    const std::vector<std::string>* names() const {
        if (m_spec.field == Field::month) return &k_month_names;
        if (m_spec.field == Field::day_of_week) return &k_day_names;
        return nullptr;
    }

    // A number or (month, day-of-week) a name, checked against lo..hi.
    Result<int> value(std::string_view text, std::size_t offset, std::string_view item) const {
        if (text.empty()) return fail("missing value in '" + std::string(item) + "'", offset);
        if (is_digits(text)) {
            const int v = to_int(text);
            if (v < m_spec.lo || v > m_spec.hi) {
                return fail("value " + std::string(text) + " out of range " +
                                std::to_string(m_spec.lo) + "-" + std::to_string(m_spec.hi),
                            offset);
            }
            return v;
        }
        const auto* list = names();
        if (list != nullptr && is_letters(text)) {
            for (std::size_t i = 0; i < list->size(); ++i) {
                if (iequals(text, (*list)[i])) {
                    return static_cast<int>(i) + (m_spec.field == Field::month ? 1 : 0);
                }
            }
            return fail(with_suggestion("unknown name '" + std::string(text) + "'", text, *list),
                        offset);
        }
        if (list != nullptr) {
            return fail("expected a number or a name, got '" + std::string(text) + "'", offset);
        }
        return fail("expected a number, got '" + std::string(text) + "'", offset);
    }

    Result<void> parse_item(Token item) {
        const std::string_view t = item.text;
        if (t.empty()) return fail("empty list item", item.offset);
        if (m_spec.field == Field::day_of_month) {
            if (auto r = parse_dom_special(item)) return *r;
        }
        if (m_spec.field == Field::day_of_week) {
            if (auto r = parse_dow_special(item)) return *r;
        }

        // base[/step], base = `*` | `?` | a | a-b
        const std::size_t slash = t.find('/');
        const std::string_view base = t.substr(0, slash);
        int lo = 0;
        int hi = 0;
        bool single = false;
        if (base == "*" || base == "?") {
            if (base == "?" && m_spec.field != Field::day_of_month &&
                m_spec.field != Field::day_of_week) {
                return fail("'?' is only allowed in the day-of-month and day-of-week fields",
                            item.offset);
            }
            lo = m_spec.lo;
            hi = m_spec.field == Field::day_of_week ? 6 : m_spec.hi;
        } else {
            const std::size_t dash = base.find('-');
            auto a = value(base.substr(0, dash), item.offset, t);
            if (!a) return a.error();
            lo = hi = *a;
            single = dash == std::string_view::npos;
            if (!single) {
                const std::string_view end_text = base.substr(dash + 1);
                auto b = value(end_text, item.offset + dash + 1, t);
                if (!b) return b.error();
                hi = *b;
                // `SAT-SUN`, `5-0`: Sunday ends a range as 7.
                if (m_spec.field == Field::day_of_week && hi == 0 && lo > 0) hi = 7;
                if (lo > hi) {
                    return fail("range " + std::string(base) + " goes backwards", item.offset);
                }
            }
        }

        int step = 1;
        if (slash != std::string_view::npos) {
            const std::string_view step_text = t.substr(slash + 1);
            const std::size_t step_offset = item.offset + slash + 1;
            if (step_text.empty())
                return fail("missing step in '" + std::string(t) + "'", step_offset);
            if (!is_digits(step_text)) {
                return fail("step must be a number, got '" + std::string(step_text) + "'",
                            step_offset);
            }
            step = to_int(step_text);
            if (step == 0) return fail("step 0 must be at least 1", step_offset);
            if (step > m_spec.span) {
                return fail("step " + std::string(step_text) + " out of range 1-" +
                                std::to_string(m_spec.span),
                            step_offset);
            }
            // `a/n` = from a to the end of the field, every n.
            if (single) {
                if (m_spec.field == Field::day_of_week) {
                    lo %= 7;
                    hi = 6;
                } else {
                    hi = m_spec.hi;
                }
            }
        }
        for (int v = lo; v <= hi; v += step) set(v);
        return {};
    }

    void set(int v) {
        switch (m_spec.field) {
            case Field::second:
                m_s.seconds |= std::uint64_t{1} << v;
                break;
            case Field::minute:
                m_s.minutes |= std::uint64_t{1} << v;
                break;
            case Field::hour:
                m_s.hours |= std::uint32_t{1} << v;
                break;
            case Field::day_of_month:
                m_s.days_of_month |= std::uint32_t{1} << v;
                break;
            case Field::month:
                m_s.months |= static_cast<std::uint16_t>(1u << v);
                break;
            case Field::day_of_week:
                m_s.days_of_week |= static_cast<std::uint8_t>(1u << (v % 7));
                break;
        }
    }

    // `L`, `L-n`, `LW`, `nW`; nullopt when `item` is none of these.
    std::optional<Result<void>> parse_dom_special(Token item) {
        const std::string_view t = item.text;
        const char first = static_cast<char>(std::toupper(static_cast<unsigned char>(t.front())));
        const char last = static_cast<char>(std::toupper(static_cast<unsigned char>(t.back())));
        if (first == 'L') {
            const std::string_view rest = t.substr(1);
            if (rest.empty()) {
                m_s.last_day_offsets |= 1u;
                return Result<void>{};
            }
            if (rest.size() == 1 && (rest[0] == 'W' || rest[0] == 'w')) {
                m_s.last_weekday = true;
                return Result<void>{};
            }
            if (rest[0] == '-' && is_digits(rest.substr(1))) {
                const int k = to_int(rest.substr(1));
                if (k > 30) {
                    return fail("offset " + std::string(rest.substr(1)) + " out of range 0-30",
                                item.offset + 2);
                }
                m_s.last_day_offsets |= std::uint32_t{1} << k;
                return Result<void>{};
            }
            return fail("expected 'L', 'L-N' or 'LW', got '" + std::string(t) + "'", item.offset);
        }
        if (last == 'W') {
            const std::string_view day = t.substr(0, t.size() - 1);
            if (!is_digits(day)) {
                return fail("expected a day before 'W', as in '15W', got '" + std::string(t) + "'",
                            item.offset);
            }
            auto v = value(day, item.offset, t);
            if (!v) return Result<void>{v.error()};
            m_s.nearest_weekdays |= std::uint32_t{1} << *v;
            return Result<void>{};
        }
        return std::nullopt;
    }

    // `w#n`, `w#L`, `wL`; nullopt when `item` is none of these.
    std::optional<Result<void>> parse_dow_special(Token item) {
        const std::string_view t = item.text;
        const std::size_t hash = t.find('#');
        const bool ends_in_l = t.back() == 'L' || t.back() == 'l';
        if (hash == std::string_view::npos && !ends_in_l) return std::nullopt;
        if (hash == std::string_view::npos && t.size() == 1) {
            return fail("'L' needs a day before it, as in '5L' or 'FRI#L'", item.offset);
        }
        const std::string_view day =
            t.substr(0, hash == std::string_view::npos ? t.size() - 1 : hash);
        auto w = value(day, item.offset, t);
        if (!w) return Result<void>{w.error()};
        const int wd = *w % 7;
        if (hash == std::string_view::npos) {
            m_s.last_weekdays |= static_cast<std::uint8_t>(1u << wd);
            return Result<void>{};
        }
        const std::string_view nth = t.substr(hash + 1);
        const std::size_t nth_offset = item.offset + hash + 1;
        if (nth == "L" || nth == "l") {
            m_s.last_weekdays |= static_cast<std::uint8_t>(1u << wd);
            return Result<void>{};
        }
        if (!is_digits(nth)) {
            return fail("expected 1-5 or 'L' after '#', got '" + std::string(nth) + "'",
                        nth_offset);
        }
        const int n = to_int(nth);
        if (n < 1 || n > 5) {
            return fail("occurrence " + std::string(nth) + " out of range 1-5", nth_offset);
        }
        m_s.nth_weekdays[static_cast<std::size_t>(wd)] |= static_cast<std::uint8_t>(1u << n);
        return Result<void>{};
    }

    const FieldSpec& m_spec;
    Schedule& m_s;
};

std::vector<Token> split_fields(std::string_view text, std::size_t base_offset) {
    std::vector<Token> out;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && is_space(text[i])) ++i;
        if (i == text.size()) break;
        const std::size_t start = i;
        while (i < text.size() && !is_space(text[i])) ++i;
        out.push_back({text.substr(start, i - start), base_offset + start});
    }
    return out;
}

Result<Schedule> parse_fields(std::string_view fields_text, std::string_view original) {
    const std::vector<Token> fields = split_fields(fields_text, 0);
    if (fields.size() != 5 && fields.size() != 6) {
        return make_error(Errc::invalid,
                          "expected 5 or 6 fields, got " + std::to_string(fields.size()), 0);
    }
    Schedule s;
    s.text = std::string(original);
    const std::size_t first = fields.size() == 6 ? 0 : 1;  // index into k_fields
    if (first == 1) s.seconds = 1;                         // 5 fields: at second 0
    for (std::size_t i = 0; i < fields.size(); ++i) {
        FieldParser parser(k_fields[first + i], s);
        if (auto r = parser.parse(fields[i]); !r) return r.error();
    }
    const Token& minute = fields[fields.size() - 5];
    const Token& hour = fields[fields.size() - 4];
    const Token& dom = fields[fields.size() - 3];
    const Token& dow = fields[fields.size() - 1];
    s.dom_restricted = dom.text != "*" && dom.text != "?";
    s.dow_restricted = dow.text != "*" && dow.text != "?";
    s.dst = (minute.text.front() != '*' && hour.text.front() != '*') ? DstPolicy::fixed_time
                                                                     : DstPolicy::wall_clock;
    return s;
}

// ------------------------------------------------------------- searching --

using LocalSeconds = date::local_seconds;

// Day d (1-based) is the day of the month; weekdays are 0 = Sunday .. 6.
int weekday_of(int first_weekday, int d) {
    return (first_weekday + d - 1) % 7;
}

// `nW`: the weekday nearest day `n`, never leaving the month.
int nearest_weekday(int n, int last, int first_weekday) {
    const int wd = weekday_of(first_weekday, n);
    if (wd == 6) return n == 1 ? 3 : n - 1;         // Saturday: Friday, or Monday the 3rd
    if (wd == 0) return n == last ? n - 2 : n + 1;  // Sunday: Monday, or Friday before
    return n;
}

// The days of month `m` of year `y` that `s` matches, as bits 1-31.
std::uint32_t month_day_mask(const Schedule& s, int y, unsigned m) {
    const auto ym = date::year{y} / date::month{m};
    const int last = static_cast<int>(static_cast<unsigned>((ym / date::last).day()));
    const auto valid =
        static_cast<std::uint32_t>(((std::uint64_t{1} << (last + 1)) - 1) & ~std::uint64_t{1});
    if (!s.dom_restricted && !s.dow_restricted) return valid;
    const int first_wd = static_cast<int>(date::weekday{date::local_days{ym / 1}}.c_encoding());

    std::uint32_t dom = s.days_of_month & valid;
    for (std::uint32_t k = s.last_day_offsets; k != 0; k &= k - 1) {
        const int d = last - std::countr_zero(k);
        if (d >= 1) dom |= std::uint32_t{1} << d;
    }
    for (std::uint32_t n = s.nearest_weekdays & valid; n != 0; n &= n - 1) {
        dom |= std::uint32_t{1} << nearest_weekday(std::countr_zero(n), last, first_wd);
    }
    if (s.last_weekday) dom |= std::uint32_t{1} << nearest_weekday(last, last, first_wd);

    std::uint32_t dow = 0;
    for (int d = 1; d <= last; ++d) {
        const int wd = weekday_of(first_wd, d);
        const bool plain = (s.days_of_week >> wd) & 1u;
        const bool nth = (s.nth_weekdays[static_cast<std::size_t>(wd)] >> ((d - 1) / 7 + 1)) & 1u;
        const bool last_of_month = d + 7 > last && ((s.last_weekdays >> wd) & 1u);
        if (plain || nth || last_of_month) dow |= std::uint32_t{1} << d;
    }

    if (s.dom_restricted && s.dow_restricted) return dom | dow;
    return s.dom_restricted ? dom : dow;
}

// The lowest set bit of `mask` at or above `from`, or -1.
int next_bit(std::uint64_t mask, int from) {
    if (from >= 64) return -1;
    const std::uint64_t m = mask >> from;
    return m == 0 ? -1 : from + std::countr_zero(m);
}

// The first matching time of day at or after h:mi:se, in seconds since midnight.
std::optional<int> next_time_of_day(const Schedule& s, int h, int mi, int se) {
    while (h < 24) {
        const int nh = next_bit(s.hours, h);
        if (nh < 0) return std::nullopt;
        if (nh != h) {
            h = nh;
            mi = 0;
            se = 0;
        }
        const int nm = next_bit(s.minutes, mi);
        if (nm < 0) {
            ++h;
            mi = se = 0;
            continue;
        }
        if (nm != mi) {
            mi = nm;
            se = 0;
        }
        const int ns = next_bit(s.seconds, se);
        if (ns < 0) {
            se = 0;
            if (++mi == 60) {
                mi = 0;
                ++h;
            }
            continue;
        }
        return h * 3600 + mi * 60 + ns;
    }
    return std::nullopt;
}

// The first local time in [`from`, `limit`) that `s` matches, ignoring time
// zones entirely.
std::optional<LocalSeconds> next_local_match(const Schedule& s, LocalSeconds from,
                                             LocalSeconds limit) {
    using std::chrono::seconds;
    const date::local_days day0 = date::floor<date::days>(from);
    const date::year_month_day ymd{day0};
    int y = static_cast<int>(ymd.year());
    unsigned m = static_cast<unsigned>(ymd.month());
    int d = static_cast<int>(static_cast<unsigned>(ymd.day()));
    int tod = static_cast<int>((from - day0).count());

    auto next_month = [&] {
        if (++m == 13) {
            m = 1;
            ++y;
        }
        d = 1;
        tod = 0;
    };
    while (true) {
        const date::local_days month_start{date::year{y} / date::month{m} / 1};
        if (month_start + date::days{d - 1} >= limit) return std::nullopt;
        if (((s.months >> m) & 1u) == 0) {
            next_month();
            continue;
        }
        const std::uint32_t days = month_day_mask(s, y, m) & ~((std::uint32_t{1} << d) - 1);
        if (days == 0) {
            next_month();
            continue;
        }
        const int nd = std::countr_zero(days);
        if (nd != d) {
            d = nd;
            tod = 0;
        }
        const auto t = next_time_of_day(s, tod / 3600, tod / 60 % 60, tod % 60);
        if (!t) {
            ++d;  // past the month's end: the day mask above comes out empty
            tod = 0;
            if (d > 31) next_month();
            continue;
        }
        const LocalSeconds found = month_start + date::days{d - 1} + seconds{*t};
        if (found >= limit) return std::nullopt;
        return found;
    }
}

// 400 Gregorian years are exactly 20871 weeks: the calendar, weekdays
// included, repeats, so a day pattern that never matches in 400 years never will.
constexpr date::days k_horizon{146097};

}  // namespace

Result<Schedule> parse(std::string_view text) {
    std::size_t b = 0;
    std::size_t e = text.size();
    while (b < e && is_space(text[b])) ++b;
    while (e > b && is_space(text[e - 1])) --e;
    const std::string_view trimmed = text.substr(b, e - b);
    if (!trimmed.empty() && trimmed.front() == '@') {
        std::vector<std::string> names;
        for (const auto& n : k_nicknames) {
            if (iequals(trimmed, n.name)) {
                auto r = parse_fields(n.expansion, text);
                return r;
            }
            names.emplace_back(n.name);
        }
        return make_error(
            Errc::invalid,
            with_suggestion("unknown nickname '" + std::string(trimmed) + "'", trimmed, names) +
                "; expected " + join_quoted(names),
            b);
    }
    auto r = parse_fields(text, text);
    return r;
}

Result<const date::time_zone*> find_zone(std::string_view name) {
    if (name.empty()) {
        // date::current_zone() reads /etc/localtime only; libc, and so cron
        // and `date`, let $TZ override it (TZ=:Europe/Berlin works too).
        if (const char* tz = std::getenv("TZ"); tz != nullptr && *tz != '\0') {
            std::string_view env = tz;
            if (env.front() == ':') env.remove_prefix(1);
            if (starts_with(env, "/usr/share/zoneinfo/")) env.remove_prefix(20);
            try {
                return date::locate_zone(env);
            } catch (const std::exception&) {
                // A POSIX rule string such as "CET-1CEST" names no zone: use the machine's.
            }
        }
        try {
            return date::current_zone();
        } catch (const std::exception&) {
            // No /etc/localtime or TZ we can resolve: SPEC's default is the
            // machine's zone, and UTC is what such a machine's clock shows.
        }
        try {
            return date::locate_zone("UTC");
        } catch (const std::exception& e) {
            return make_error(Errc::invalid, std::string("no time zone database: ") + e.what());
        }
    }
    try {
        return date::locate_zone(name);
    } catch (const std::exception&) {
    }
    std::vector<std::string> candidates;
    try {
        const auto& db = date::get_tzdb();
        for (const auto& z : db.zones) candidates.push_back(z.name());
    } catch (const std::exception&) {
    }
    return make_error(
        Errc::invalid,
        with_suggestion("unknown time zone '" + std::string(name) + "'", name, candidates));
}

// Walk the zone's timeline one offset period (sys_info) at a time. Inside a
// period local time is sys time + a constant offset, so the next local match
// in the period's local range is the next fire. Between periods: a forward
// jump skips the local times [prev end, this start), which fire at the jump
// for fixed-time jobs; a backward jump repeats [this start, prev end), which
// fixed-time jobs skip the second time.
std::optional<Seconds> next_fire(const Schedule& s, const date::time_zone* zone, Seconds after) {
    using std::chrono::seconds;
    const Seconds horizon = after + k_horizon;
    Seconds t = after + seconds{1};
    date::sys_info info = zone->get_info(t);
    std::optional<seconds> prev_offset;
    if (info.begin > Seconds::min() + date::days{1}) {
        prev_offset = zone->get_info(info.begin - seconds{1}).offset;
    }
    while (t < horizon) {
        const seconds off = info.offset;
        const Seconds end = std::min(info.end, horizon);
        LocalSeconds from{t.time_since_epoch() + off};
        const LocalSeconds to{end.time_since_epoch() + off};
        if (s.dst == DstPolicy::fixed_time && prev_offset) {
            const LocalSeconds prev_end{info.begin.time_since_epoch() + *prev_offset};
            const LocalSeconds start{info.begin.time_since_epoch() + off};
            if (*prev_offset < off && t == info.begin && next_local_match(s, prev_end, start)) {
                return info.begin;
            }
            if (*prev_offset > off) from = std::max(from, prev_end);
        }
        if (from < to) {
            if (auto l = next_local_match(s, from, to)) {
                return Seconds{l->time_since_epoch() - off};
            }
        }
        if (info.end >= horizon) break;
        t = info.end;
        prev_offset = off;
        info = zone->get_info(t);
    }
    return std::nullopt;
}

std::vector<Seconds> next_fires(const Schedule& s, const date::time_zone* zone, Seconds after,
                                std::size_t count) {
    std::vector<Seconds> out;
    while (out.size() < count) {
        const auto t = next_fire(s, zone, after);
        if (!t) break;
        out.push_back(*t);
        after = *t;
    }
    return out;
}

std::string format_in_zone(Seconds t, const date::time_zone* zone) {
    using namespace std::chrono;
    const auto info = zone->get_info(t);
    const auto local = t + info.offset;
    const auto day = floor<days>(local);
    const year_month_day ymd{day};
    const hh_mm_ss hms{local - day};
    const long off = static_cast<long>(duration_cast<minutes>(info.offset).count());
    const long a = off < 0 ? -off : off;
    return fmt::format(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}", static_cast<int>(ymd.year()),
        static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
        static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
        static_cast<int>(hms.seconds().count()), off < 0 ? '-' : '+', a / 60, a % 60);
}

}  // namespace weft::cron
