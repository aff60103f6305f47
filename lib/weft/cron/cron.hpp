#pragma once
// Cron expressions (SPEC §3 "schedule") and their next fire time in a time
// zone, with cronie's daylight-saving rules.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/util/result.hpp"

// Howard Hinnant's date/tz stays inside this module (DESIGN.md §1); callers
// only pass the zone pointer around.
namespace date {
class time_zone;
}

namespace weft::cron {

using Seconds = std::chrono::sys_seconds;  // UTC instants

// How a schedule treats local times that a DST change skips or repeats
// (cronie's rule, SPEC §3).
enum class DstPolicy {
    // Minute and hour fields both not starting with `*`: skipped times fire
    // once at the instant of the jump, repeated times fire only the first time.
    fixed_time,
    // Anything else: skipped times do not fire, repeated times fire again.
    wall_clock,
};

// A parsed cron expression. Bit sets are indexed by the field's value.
struct Schedule {
    std::string text;                 // the expression as given
    std::uint64_t seconds = 0;        // bit s: second s (0-59); 5 fields = {0}
    std::uint64_t minutes = 0;        // bit m: minute m (0-59)
    std::uint32_t hours = 0;          // bit h: hour h (0-23)
    std::uint32_t days_of_month = 0;  // bit d: day d (1-31)
    // bit k: k days before the month's last day (`L` = bit 0, `L-3` = bit 3)
    std::uint32_t last_day_offsets = 0;
    std::uint32_t nearest_weekdays = 0;  // bit d: `dW`, the weekday nearest day d within the month
    bool last_weekday = false;           // `LW`
    std::uint16_t months = 0;            // bit m: month m (1-12)
    std::uint8_t days_of_week = 0;       // bit w: weekday w (0 = Sunday .. 6)
    std::array<std::uint8_t, 7> nth_weekdays{};  // [w] bit n: `w#n`, the n-th (1-5) weekday w
    std::uint8_t last_weekdays = 0;              // bit w: `wL` / `w#L`, the month's last weekday w
    // Restricted = the field is anything but `*` or `?`. Only when both are
    // restricted does a day match if either matches; otherwise both must.
    bool dom_restricted = false;
    bool dow_restricted = false;
    DstPolicy dst = DstPolicy::wall_clock;

    friend bool operator==(const Schedule&, const Schedule&) = default;
};

// Parse a cron expression `text`: 5 fields (minute hour day-of-month month
// day-of-week), 6 with a leading seconds field, or a nickname (@yearly
// @annually @monthly @weekly @daily @hourly). Fails with Errc::invalid and a
// message naming the field ("minute field: value 61 out of range 0-59") or
// the field count ("expected 5 or 6 fields, got 4"); Error::offset points at
// the offending item. Messages never repeat the whole expression.
Result<Schedule> parse(std::string_view text);

// The time zone called `name` (IANA, e.g. "Europe/Berlin"); empty = the
// local zone: $TZ when it names a zone, else the machine's (/etc/localtime),
// else UTC. Fails with Errc::invalid "unknown time zone 'X'" (plus a "did
// you mean" hint when a zone name is close).
Result<const date::time_zone*> find_zone(std::string_view name);

// The first fire of `s` strictly after `after`, with local times taken in
// `zone` (not null) and DST handled per `s.dst`. nullopt when `s` never fires
// (e.g. `0 0 30 2 *`): the search gives up after 400 years, one full cycle
// of the Gregorian calendar, so a calendar pattern that can match will.
std::optional<Seconds> next_fire(const Schedule& s, const date::time_zone* zone, Seconds after);

// `t` as RFC 3339 in `zone` (not null), to the second, with the zone's
// offset at that instant: `2026-12-08T03:00:00+01:00` (`weft cron --tz`).
std::string format_in_zone(Seconds t, const date::time_zone* zone);

// Up to `count` successive fires strictly after `after` (fewer when the
// schedule stops firing).
std::vector<Seconds> next_fires(const Schedule& s, const date::time_zone* zone, Seconds after,
                                std::size_t count);

}  // namespace weft::cron
