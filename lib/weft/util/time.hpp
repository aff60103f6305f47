#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "weft/util/result.hpp"

namespace weft {

using TimePoint = std::chrono::sys_time<std::chrono::milliseconds>;

// The wall clock now, to the millisecond (rounded down).
TimePoint now();

// `2026-11-26T14:53:35.123Z`: RFC 3339, UTC, milliseconds (SPEC §6).
std::string format_rfc3339(TimePoint t);

// `2026-12-07T05:53:35+01:00`: RFC 3339 in the local zone (TZ), to the
// second, for people (SPEC §9.2 "Local time"; JSON stays format_rfc3339).
// A time the zone cannot represent is given in UTC (`...Z`).
std::string format_local(TimePoint t);

// Parse RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` (a space
// or lower-case `t`/`z` accepted too). Errc::invalid naming the problem.
Result<TimePoint> parse_rfc3339(std::string_view text);

}  // namespace weft
