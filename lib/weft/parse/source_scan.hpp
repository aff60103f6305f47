#pragma once
// Scans of a workflow file's raw text, for what yaml-cpp cannot say well: a
// NUL byte or bytes that are not UTF-8 (checked before parsing), and, when
// yaml-cpp has failed, what in the text near the failure explains it (a tab
// in an indentation, a quoted string that never closes). Offsets are byte
// offsets into the text; lines and columns are 1-based and count bytes, as
// yaml-cpp's marks do.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "weft/util/diagnostic.hpp"

namespace weft::parse {

// The line and column of byte `offset` of `text`.
Location location_at(std::string_view text, std::size_t offset);

// The first NUL byte or invalid UTF-8 sequence (stray continuation bytes,
// sequences cut short, overlong forms, UTF-16 surrogates, code points above
// U+10FFFF) in `text`, as an error at its first byte; none when `text` is
// valid UTF-8 without NUL. One pass; ASCII is checked eight bytes at a time.
std::optional<Diagnostic> encoding_error(std::string_view text);

// Where the quoted scalar whose opening quote (`"` or `'`) is at `open` ends:
// the offset of its closing quote, or none when it runs to the end of `text`.
std::optional<std::size_t> quote_end(std::string_view text, std::size_t open);

// The opening quote of a quoted scalar still open at `until` (it closes at
// or after `until`, or never), lexing `text` from the token start `from`
// with `flow_depth` flow collections open there. Quotes inside plain
// scalars, comments and block scalars are not openings. None if there is no
// such quote.
std::optional<std::size_t> open_quote_before(std::string_view text, std::size_t from,
                                             std::size_t until, int flow_depth);

// The first tab in the indentation of 1-based `line` of `text`, when the line
// holds something other than a comment; none otherwise.
std::optional<std::size_t> indenting_tab(std::string_view text, int line);

}  // namespace weft::parse
