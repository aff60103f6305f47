#pragma once
// The `$WEFT_OUTPUT` file format (SPEC §4): `key=value` lines, and
// `key<<DELIM` ... `DELIM` for multi-line values.
#include <nlohmann/json.hpp>

#include <string_view>

#include "weft/util/result.hpp"

namespace weft::engine {

// Parse `text` into a JSON object of string values; later keys win.
// Errc::invalid naming the line for a line that is neither form, a bad key,
// or a heredoc whose delimiter never comes.
Result<nlohmann::json> parse_outputs(std::string_view text);

}  // namespace weft::engine
