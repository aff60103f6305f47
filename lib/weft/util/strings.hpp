#pragma once
#include <string>
#include <string_view>
#include <vector>

namespace weft {

// Levenshtein distance between `a` and `b`.
std::size_t edit_distance(std::string_view a, std::string_view b);

// The candidate closest to `word` by edit distance, if it is close enough to
// be what the user meant (none for words of 1-2 letters, 1 edit up to 3 letters, else 2 or a
// third of the word's length);
// empty otherwise.
std::string closest_match(std::string_view word, const std::vector<std::string>& candidates);

// `msg` + ` (did you mean 'X'?)` when a close candidate exists.
std::string with_suggestion(std::string msg, std::string_view word,
                            const std::vector<std::string>& candidates);

// Quote list: `'a', 'b' or 'c'`.
std::string join_quoted(const std::vector<std::string>& items, std::string_view last_sep = " or ");

std::vector<std::string> split(std::string_view text, char sep);
bool starts_with(std::string_view s, std::string_view prefix);
bool ends_with(std::string_view s, std::string_view suffix);
std::string to_lower(std::string_view s);

// A UTF-8 continuation byte (10xxxxxx): never the first byte of a character,
// so text is cut only where it is not.
constexpr bool utf8_continuation(char c) {
    return (static_cast<unsigned char>(c) & 0xC0) == 0x80;
}

// How deeply the arrays and objects of JSON `text` nest (brackets inside
// strings not counted). Checked before parsing untrusted JSON, whose deep
// nesting would otherwise exhaust the stack of the code that walks it.
std::size_t json_nesting(std::string_view text);
inline constexpr std::size_t k_max_json_nesting = 256;

}  // namespace weft
