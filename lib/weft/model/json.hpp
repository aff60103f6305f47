#pragma once
// JSON values as weft holds them (nlohmann::json), and their one way out.
#include <nlohmann/json.hpp>

#include <string>

namespace weft::model {

using Json = nlohmann::json;

// `value` as compact text for output or storage; text that is not UTF-8 is
// replaced (U+FFFD), so it never throws.
std::string dump_json(const Json& value);

}  // namespace weft::model
