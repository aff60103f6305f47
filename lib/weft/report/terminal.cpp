#include "weft/report/terminal.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cctype>
#include <cstdlib>

#include "weft/util/strings.hpp"

namespace weft::report {

namespace {

constexpr std::string_view k_replacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the UTF-8 sequence at `s[i]`, its code point in `cp`; 0
// when the bytes there are not valid UTF-8.
std::size_t decode(std::string_view s, std::size_t i, char32_t& cp) {
    const auto b0 = static_cast<unsigned char>(s[i]);
    if (b0 < 0x80) {
        cp = b0;
        return 1;
    }
    std::size_t n = 0;
    char32_t min = 0;
    if ((b0 & 0xE0) == 0xC0) {
        n = 2;
        cp = b0 & 0x1F;
        min = 0x80;
    } else if ((b0 & 0xF0) == 0xE0) {
        n = 3;
        cp = b0 & 0x0F;
        min = 0x800;
    } else if ((b0 & 0xF8) == 0xF0) {
        n = 4;
        cp = b0 & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (i + n > s.size()) return 0;
    for (std::size_t k = 1; k < n; ++k) {
        const auto b = static_cast<unsigned char>(s[i + k]);
        if ((b & 0xC0) != 0x80) return 0;
        cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
    return n;
}

// Columns of one code point, after the East Asian Width and combining-mark
// ranges that matter in practice (a full wcwidth table is not worth it for
// step ids and log tails).
int columns(char32_t cp) {
    auto in = [cp](char32_t lo, char32_t hi) { return cp >= lo && cp <= hi; };
    if (in(0x0300, 0x036F) || in(0x1AB0, 0x1AFF) || in(0x1DC0, 0x1DFF) || in(0x200B, 0x200F) ||
        in(0x20D0, 0x20FF) || in(0xFE00, 0xFE0F) || in(0xFE20, 0xFE2F))
        return 0;
    if (in(0x1100, 0x115F) || in(0x2E80, 0x303E) || in(0x3041, 0x33FF) || in(0x3400, 0x4DBF) ||
        in(0x4E00, 0x9FFF) || in(0xA000, 0xA4CF) || in(0xAC00, 0xD7A3) || in(0xF900, 0xFAFF) ||
        in(0xFE30, 0xFE4F) || in(0xFF00, 0xFF60) || in(0xFFE0, 0xFFE6) || in(0x1F300, 0x1F64F) ||
        in(0x1F900, 0x1F9FF) || in(0x20000, 0x3FFFD))
        return 2;
    return 1;
}

}  // namespace

std::string paint(std::string_view text, Tone tone, const Style& style) {
    const char* code = nullptr;
    switch (tone) {
        case Tone::plain:
            break;
        case Tone::good:
            code = "\033[32m";
            break;
        case Tone::bad:
            code = "\033[1;31m";
            break;
        case Tone::warn:
            code = "\033[33m";
            break;
        case Tone::dim:
            code = "\033[2m";
            break;
        case Tone::active:
            code = "\033[36m";
            break;
    }
    if (!style.color || !code) return std::string(text);
    return code + std::string(text) + "\033[0m";
}

Tone tone_of(model::StepState s) {
    switch (s) {
        case model::StepState::success:
        case model::StepState::up_to_date:
            return Tone::good;
        case model::StepState::failure:
            return Tone::bad;
        case model::StepState::cancelled:
        case model::StepState::interrupted:
            return Tone::warn;
        case model::StepState::skipped:
            return Tone::dim;
        case model::StepState::running:
            return Tone::active;
        case model::StepState::pending:
            return Tone::plain;
    }
    return Tone::plain;
}

Tone tone_of(model::RunState s) {
    switch (s) {
        case model::RunState::success:
            return Tone::good;
        case model::RunState::failure:
            return Tone::bad;
        case model::RunState::cancelled:
        case model::RunState::interrupted:
            return Tone::warn;
        case model::RunState::running:
            return Tone::active;
        case model::RunState::queued:
            return Tone::plain;
    }
    return Tone::plain;
}

namespace {

// How many bytes at the start of `text` are valid UTF-8.
std::size_t valid_prefix(std::string_view text) {
    char32_t cp = 0;
    std::size_t i = 0;
    while (i < text.size()) {
        // ASCII needs no decoding (most log lines are nothing else).
        if (static_cast<unsigned char>(text[i]) < 0x80) {
            ++i;
            continue;
        }
        const std::size_t n = decode(text, i, cp);
        if (n == 0) break;
        i += n;
    }
    return i;
}

}  // namespace

bool is_valid_utf8(std::string_view text) {
    return valid_prefix(text) == text.size();
}

std::string valid_utf8(std::string_view text) {
    std::size_t i = valid_prefix(text);
    if (i == text.size()) return std::string(text);  // the common case: nothing to repair
    char32_t cp = 0;
    std::string out(text.substr(0, i));
    while (i < text.size()) {
        const std::size_t n = decode(text, i, cp);
        if (n == 0) {
            out += k_replacement;
            ++i;
        } else {
            out.append(text.substr(i, n));
            i += n;
        }
    }
    return out;
}

namespace {

// The length of the escape sequence at `text[i]` (an ESC) that a terminal
// would act on, or 0 when the ESC starts none that ends within `text`
// (ECMA-48 5.3, 5.4, 5.6). `sgr` is set when it is a colour sequence: CSI,
// digits, `;` or `:`, then `m`.
std::size_t escape_length(std::string_view text, std::size_t i, bool& sgr) {
    sgr = false;
    if (i + 1 >= text.size()) return 0;
    const char kind = text[i + 1];
    if (kind == '[') {  // CSI: parameters, intermediates, one final byte
        std::size_t j = i + 2;
        bool plain_params = true;
        for (; j < text.size() && text[j] >= 0x30 && text[j] <= 0x3F; ++j)
            plain_params = plain_params && (std::isdigit(static_cast<unsigned char>(text[j])) ||
                                            text[j] == ';' || text[j] == ':');
        const std::size_t params_end = j;
        while (j < text.size() && text[j] >= 0x20 && text[j] <= 0x2F) ++j;
        if (j >= text.size() || text[j] < 0x40 || text[j] > 0x7E) return 0;
        sgr = text[j] == 'm' && plain_params && params_end == j;
        return j + 1 - i;
    }
    if (kind == ']' || kind == 'P' || kind == 'X' || kind == '^' || kind == '_') {
        // OSC (a window title, a hyperlink, the clipboard), DCS, SOS, PM,
        // APC: a string up to ST (ESC \), or BEL, which xterm takes for ST.
        for (std::size_t j = i + 2; j < text.size(); ++j) {
            if (text[j] == '\a') return j + 1 - i;
            if (text[j] == '\033')
                return j + 1 < text.size() && text[j + 1] == '\\' ? j + 2 - i : 0;
        }
        return 0;
    }
    // Any other: intermediates, then one final byte (ESC c resets the
    // terminal, ESC # 8 fills the screen with E, ESC ( 0 switches charsets).
    std::size_t j = i + 1;
    while (j < text.size() && text[j] >= 0x20 && text[j] <= 0x2F) ++j;
    if (j >= text.size() || text[j] < 0x30 || text[j] > 0x7E) return 0;
    return j + 1 - i;
}

}  // namespace

std::string terminal_safe(std::string_view text, Colors colors) {
    while (!text.empty() && text.back() == '\r') text.remove_suffix(1);
    if (const auto cr = text.rfind('\r'); cr != std::string_view::npos) text.remove_prefix(cr + 1);
    std::string out;
    out.reserve(text.size());
    bool coloured = false;
    char32_t cp = 0;
    for (std::size_t i = 0; i < text.size();) {
        const auto c = static_cast<unsigned char>(text[i]);
        if (c == 0x1B) {
            bool sgr = false;
            if (const std::size_t n = escape_length(text, i, sgr); n > 0) {
                if (sgr && colors == Colors::keep) {
                    out.append(text.substr(i, n));
                    coloured = true;
                }
                i += n;
                continue;
            }
        }
        if ((c < 0x20 && c != '\t') || c == 0x7F) {  // a lone ESC included
            out += k_replacement;
            ++i;
            continue;
        }
        const std::size_t n = decode(text, i, cp);
        if (n == 0 || (cp >= 0x80 && cp <= 0x9F)) {  // C1 controls act on some terminals
            out += k_replacement;
            i += n == 0 ? 1 : n;
            continue;
        }
        out.append(text.substr(i, n));
        i += n;
    }
    if (coloured) out += "\033[0m";  // a colour never outlives its line
    return out;
}

bool is_terminal(std::FILE* stream) {
    const int fd = fileno(stream);
    return fd >= 0 && ::isatty(fd);
}

std::size_t display_width(std::string_view text) {
    std::size_t w = 0;
    char32_t cp = 0;
    for (std::size_t i = 0; i < text.size();) {
        const std::size_t n = decode(text, i, cp);
        w += n == 0 ? 1 : static_cast<std::size_t>(columns(cp));
        i += n == 0 ? 1 : n;
    }
    return w;
}

std::string truncate_to_width(std::string_view text, std::size_t width, const Style& style) {
    if (display_width(text) <= width) return std::string(text);
    const std::string_view ellipsis = style.unicode ? "…" : "...";
    const std::size_t ellipsis_w = style.unicode ? 1 : 3;
    const std::size_t room = width >= ellipsis_w ? width - ellipsis_w : width;
    std::string out;
    std::size_t w = 0;
    char32_t cp = 0;
    for (std::size_t i = 0; i < text.size();) {
        std::size_t n = decode(text, i, cp);
        const std::size_t cw = n == 0 ? 1 : static_cast<std::size_t>(columns(cp));
        if (w + cw > room) break;
        if (n == 0) n = 1;
        out.append(text.substr(i, n));
        w += cw;
        i += n;
    }
    if (width >= ellipsis_w) out += ellipsis;
    return out;
}

std::optional<TermSize> terminal_size(int fd) {
    winsize ws{};
    if (fd < 0 || ::ioctl(fd, TIOCGWINSZ, &ws) != 0 || ws.ws_col == 0) return std::nullopt;
    return TermSize{ws.ws_col, ws.ws_row > 0 ? ws.ws_row : 24};
}

bool live_view_possible(std::FILE* out) {
    if (!is_terminal(out)) return false;
    const int fd = fileno(out);
    const char* term = std::getenv("TERM");
    if (!term || !*term || std::string_view(term) == "dumb") return false;
    const auto size = terminal_size(fd);
    return size && size->cols >= k_min_live_cols;
}

bool locale_is_utf8() {
    for (const char* name : {"LC_ALL", "LC_CTYPE", "LANG"}) {
        const char* v = std::getenv(name);
        if (!v || !*v) continue;
        const std::string lower = to_lower(v);
        return lower.find("utf-8") != std::string::npos || lower.find("utf8") != std::string::npos;
    }
    return false;
}

}  // namespace weft::report
