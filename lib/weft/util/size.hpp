#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "weft/util/result.hpp"

namespace weft {

// Parse `text` as a size in bytes: an integer, optionally followed by K, M or
// G (powers of 1024; `KiB`, `MiB`, `GiB` and lower case are accepted too):
// `10M`, `512KiB`, `4096`. Fails with Errc::invalid saying what is wrong.
Result<std::uint64_t> parse_size(std::string_view text);

// Format `bytes` the way users write it: `10 MiB`, `512 KiB`, `1 GiB` when a
// whole number of that unit, else `1500 bytes`.
std::string format_size(std::uint64_t bytes);

}  // namespace weft
