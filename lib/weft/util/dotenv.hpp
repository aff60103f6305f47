#pragma once
// The dotenv format (SPEC §9.1), the one reader for a workflow's `env-file`
// and for `weft run --secrets`: `KEY=VALUE` lines with no blanks around
// `=`, an optional `export ` prefix, blank lines, `#` comments as the first
// non-blank character of a line; a value unquoted (to the end of the line,
// less a trailing `\r`), in single quotes (as written) or in double quotes
// (`\n`, `\"` and `\\` are the only escapes); no `$` expansion.
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "weft/util/result.hpp"

namespace weft {

// Key/value pairs in the order their keys first appear; a key given twice
// keeps the value of its later line.
using DotenvPairs = std::vector<std::pair<std::string, std::string>>;

// The pairs of `text`, read from a file called `name`. A bad line fails with
// Errc::invalid, the message `NAME:LINE:COL: error: WHAT` (COL counts
// characters, 1-based, and points at the offending one) and `offset` the
// byte offset of that character in `text`.
Result<DotenvPairs> parse_dotenv(std::string_view text, const std::string& name);

// The pairs of the file at `path` (a regular file of at most 64 MiB). A file
// that cannot be read fails with Errc::not_found or Errc::io and the message
// `PATH: error: REASON`; a bad line as parse_dotenv says.
Result<DotenvPairs> read_dotenv(const std::string& path);

}  // namespace weft
