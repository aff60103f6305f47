#pragma once
// `-p KEY=VALUE` of `weft run`, `weft resume` and `weft trigger` (SPEC §6,
// §9.4): one reading for the three commands.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "weft/util/result.hpp"

namespace weft::cli {

using ParamArgs = std::vector<std::pair<std::string, std::string>>;

// The most a `-p KEY=@FILE` value may hold.
inline constexpr std::uint64_t k_max_param_file = 1 << 20;

// The -p arguments `given` as KEY, VALUE pairs, in order. VALUE is taken as
// it is, except that `@FILE` stands for FILE's content and `@-` for what
// standard input (`stdin_fd`) holds, one trailing newline removed (so a
// secret need not be on the command line, where every user of the machine
// can read it), and `@@…` for the text `@…`. FILE may be a pipe
// (`@<(pass show token)`), not a directory. Fails with Errc::usage, a line
// per bad argument: no `=` or an empty KEY, a file that cannot be read
// (saying why) or holds more than k_max_param_file bytes or a NUL byte, or
// `@-` given twice.
Result<ParamArgs> read_param_args(const std::vector<std::string>& given, int stdin_fd = 0);

}  // namespace weft::cli
