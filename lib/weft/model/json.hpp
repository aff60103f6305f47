#pragma once
// JSON values as weft holds them (nlohmann::json), and their one way out.
#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace weft::model {

using Json = nlohmann::json;

// JSON whose objects keep the order of their keys (expression values).
using OrderedJson = nlohmann::ordered_json;

// `value` as compact text for output or storage; text that is not UTF-8 is
// replaced (U+FFFD), so it never throws.
std::string dump_json(const Json& value);

// Parse `text` keeping each object's keys in order; a repeated key keeps its
// first place and its last value. Linear in the number of keys (parsing into
// OrderedJson directly searches each object once per key). Throws
// OrderedJson::exception (a parse_error) on text that is not JSON, as
// OrderedJson::parse does.
OrderedJson parse_ordered_json(std::string_view text);

}  // namespace weft::model
