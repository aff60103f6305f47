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

// Parse RFC 3339: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|+HH:MM|-HH:MM)` (a space
// or lower-case `t`/`z` accepted too). Errc::invalid naming the problem.
Result<TimePoint> parse_rfc3339(std::string_view text);

}  // namespace weft
