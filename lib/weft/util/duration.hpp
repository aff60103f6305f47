#pragma once
#include <chrono>
#include <string>
#include <string_view>

#include "weft/util/result.hpp"

namespace weft {

using Duration = std::chrono::milliseconds;

// Parse `text` as a weft duration: one or more `<integer><unit>` parts with
// units d, h, m, s, ms in that order (`150ms`, `10s`, `1h30m`), or `0`.
// Fails with Errc::invalid and a message saying what is wrong.
Result<Duration> parse_duration(std::string_view text);

// Format `d` the way users write it: `1h30m`, `150ms`, `0s`.
std::string format_duration(Duration d);

}  // namespace weft
