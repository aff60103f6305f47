#pragma once
// Text for terminals: colour for state markers and words, UTF-8 repair,
// display width and truncation, making a step's output safe to draw, and
// whether standard output can hold a live view.
#include <cstdio>
#include <optional>
#include <string>
#include <string_view>

#include "weft/model/run.hpp"

namespace weft::report {

// How text is drawn: ANSI colour or not; Unicode markers (✓ ✗) or ASCII.
struct Style {
    bool color = false;
    bool unicode = false;
};

enum class Tone { plain, good, bad, warn, dim, active };

// `text` in the colour of `tone` when `style.color`, else `text` as it is.
std::string paint(std::string_view text, Tone tone, const Style& style);

// The colour of a state word: success green, failure red, cancelled and
// interrupted yellow, skipped dim.
Tone tone_of(model::StepState s);
Tone tone_of(model::RunState s);

// True when `text` is valid UTF-8 (overlong forms and surrogates are not).
bool is_valid_utf8(std::string_view text);

// `text` with each byte that does not belong to valid UTF-8 replaced by
// U+FFFD.
std::string valid_utf8(std::string_view text);

enum class Colors { drop, keep };

// A line of a step's output (or a name) made harmless to draw on a
// terminal (SPEC §9.4): valid UTF-8 (each bad byte U+FFFD); every complete
// escape sequence dropped whole (cursor moves, clear screen, a window title
// or another OSC string, ESC c), except colour (SGR) sequences when
// `colors` is Colors::keep, which are then followed by a reset at the end
// so no colour outlives the line; only what follows the last carriage
// return kept, as a terminal would show a progress bar; every other control
// character (a lone ESC, BEL, C1 controls) but tab shown as U+FFFD.
std::string terminal_safe(std::string_view text, Colors colors = Colors::drop);

// True when `stream` is a terminal (a memory stream is not).
bool is_terminal(std::FILE* stream);

// The columns valid UTF-8 `text` takes: two for wide East Asian characters
// and emoji, none for combining marks, one for anything else.
std::size_t display_width(std::string_view text);

// `text` (valid UTF-8) cut to at most `width` columns, ending in `…`
// (`...` without Unicode) when it was cut.
std::string truncate_to_width(std::string_view text, std::size_t width, const Style& style);

struct TermSize {
    int cols = 0;
    int rows = 0;
};

// The size of the terminal on `fd`; none when `fd` is not a terminal or
// reports no columns. Rows default to 24 when it reports none.
std::optional<TermSize> terminal_size(int fd);

// Narrower terminals get plain lines: a live line would hold little more
// than a step id.
constexpr int k_min_live_cols = 40;

// True when `out` can hold a live view: a terminal, `TERM` set and not
// `dumb`, at least k_min_live_cols columns.
bool live_view_possible(std::FILE* out);

// True when the locale (the first of LC_ALL, LC_CTYPE, LANG that is set)
// names UTF-8, so Unicode markers can be drawn.
bool locale_is_utf8();

}  // namespace weft::report
