#include "weft/parse/source_scan.hpp"

#include <fmt/core.h>
#include <algorithm>
#include <cstdint>
#include <cstring>

#include "weft/util/strings.hpp"

namespace weft::parse {

namespace {

bool blank(char c) {
    return c == ' ' || c == '\t';
}
bool flow_indicator(char c) {
    return c == ',' || c == '[' || c == ']' || c == '{' || c == '}';
}

std::string hex_byte(unsigned char c) {
    return fmt::format("0x{:02X}", c);
}

// Why the bytes at `p[i]` (not ASCII) are not UTF-8, or empty if they are;
// `len` is set to the sequence's length.
std::string utf8_problem(const unsigned char* p, std::size_t size, std::size_t i,
                         std::size_t& len) {
    const unsigned char c = p[i];
    if (utf8_continuation(static_cast<char>(c)))
        return "is a continuation byte with no lead byte before it";
    if (c == 0xC0 || c == 0xC1) return "starts an overlong encoding";
    if (c > 0xF4) return "never occurs in UTF-8";
    len = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
    for (std::size_t k = 1; k < len; ++k)
        if (i + k >= size || !utf8_continuation(static_cast<char>(p[i + k])))
            return "starts a " + std::to_string(len) + "-byte sequence that is cut short";
    const unsigned char next = p[i + 1];
    if ((c == 0xE0 && next < 0xA0) || (c == 0xF0 && next < 0x90))
        return "starts an overlong encoding";
    if (c == 0xED && next >= 0xA0)
        return "starts a UTF-16 surrogate (U+D800 to U+DFFF), which UTF-8 excludes";
    if (c == 0xF4 && next >= 0x90) return "starts a code point above U+10FFFF";
    return {};
}

}  // namespace

Location location_at(std::string_view text, std::size_t offset) {
    offset = std::min(offset, text.size());
    const auto before = text.substr(0, offset);
    const auto line = std::count(before.begin(), before.end(), '\n');
    const std::size_t nl = before.rfind('\n');
    const std::size_t column = nl == std::string_view::npos ? offset : offset - nl - 1;
    return {static_cast<int>(line) + 1, static_cast<int>(column) + 1};
}

std::optional<Diagnostic> encoding_error(std::string_view text) {
    auto error = [&](std::size_t at, std::string msg) {
        return Diagnostic{Severity::error, location_at(text, at), std::move(msg)};
    };
    if (text.size() >= 2 &&
        ((text[0] == '\xFF' && text[1] == '\xFE') || (text[0] == '\xFE' && text[1] == '\xFF')))
        return error(
            0, "the file is UTF-16 (it starts with a UTF-16 byte order mark); save it as UTF-8");
    const auto* p = reinterpret_cast<const unsigned char*>(text.data());
    const std::size_t size = text.size();
    constexpr std::uint64_t k_ones = 0x0101010101010101, k_highs = 0x8080808080808080;
    for (std::size_t i = 0; i < size;) {
        // Workflow files are nearly all ASCII: take eight bytes at a time while
        // none has its high bit set and none is zero.
        if (i + 8 <= size) {
            std::uint64_t w;
            std::memcpy(&w, p + i, 8);
            if (((w | ((w - k_ones) & ~w)) & k_highs) == 0) {
                i += 8;
                continue;
            }
        }
        if (p[i] == 0)
            return error(i, "a NUL byte: a workflow file is UTF-8 text (is this a binary file?)");
        if (p[i] < 0x80) {
            ++i;
            continue;
        }
        std::size_t len = 1;
        const std::string why = utf8_problem(p, size, i, len);
        if (!why.empty())
            return error(i, "invalid UTF-8: byte " + hex_byte(p[i]) + " " + why +
                                "; save the file as UTF-8");
        i += len;
    }
    return std::nullopt;
}

std::optional<std::size_t> quote_end(std::string_view text, std::size_t open) {
    const char quote = text[open];
    for (std::size_t i = open + 1; i < text.size(); ++i) {
        if (quote == '"') {
            if (text[i] == '\\')
                ++i;  // an escape: the next character never closes
            else if (text[i] == '"')
                return i;
        } else if (text[i] == '\'') {
            if (i + 1 < text.size() && text[i + 1] == '\'')
                ++i;  // '' is a quote inside
            else
                return i;
        }
    }
    return std::nullopt;
}

std::optional<std::size_t> open_quote_before(std::string_view text, std::size_t from,
                                             std::size_t until, int flow_depth) {
    until = std::min(until, text.size());
    // What may follow an indicator (`- `, `? `, `: `): a space or the end of the line.
    auto separated = [&](std::size_t j) {
        return j >= text.size() || blank(text[j]) || text[j] == '\n' || text[j] == '\r';
    };
    bool plain = false;  // inside a plain scalar, where quotes are just characters
    for (std::size_t i = from; i < until; ++i) {
        const char c = text[i];
        if (c == '\n') {
            plain = false;
            continue;
        }
        if (blank(c) || c == '\r') continue;
        if (c == '#' && (i == 0 || blank(text[i - 1]) || text[i - 1] == '\n')) {  // a comment
            const std::size_t eol = text.find('\n', i);
            if (eol == std::string_view::npos) break;
            plain = false;
            i = eol - 1;
            continue;
        }
        if (plain) {
            const bool value =
                c == ':' && (separated(i + 1) || (flow_depth > 0 && flow_indicator(text[i + 1])));
            if (!value && !(flow_depth > 0 && flow_indicator(c))) continue;
            plain = false;
        }
        switch (c) {
            case '"':
            case '\'': {
                const auto end = quote_end(text, i);
                if (!end || *end >= until) return i;
                i = *end;
                continue;
            }
            case '[':
            case '{':
                ++flow_depth;
                continue;
            case ']':
            case '}':
                flow_depth = std::max(0, flow_depth - 1);
                continue;
            case ',':
                continue;
            case '-':
            case '?':
            case ':':
                if (separated(i + 1) || (c == ':' && flow_depth > 0)) continue;
                break;
            case '&':
            case '!':
            case '*':  // an anchor, tag or alias: up to the next space
                while (i + 1 < until && !separated(i + 1) &&
                       !(flow_depth > 0 && flow_indicator(text[i + 1])))
                    ++i;
                continue;
            case '|':
            case '>': {
                if (flow_depth > 0) break;
                // A block scalar: its lines are those indented deeper than the
                // line it starts on, and blank lines.
                const std::size_t bol = i == 0 ? 0 : text.rfind('\n', i - 1) + 1;  // npos + 1 == 0
                std::size_t indent = 0;
                while (bol + indent < text.size() && text[bol + indent] == ' ') ++indent;
                std::size_t eol = text.find('\n', i);
                while (eol != std::string_view::npos) {
                    std::size_t k = eol + 1;
                    while (k < text.size() && text[k] == ' ') ++k;
                    const bool empty = k >= text.size() || text[k] == '\n' || text[k] == '\r';
                    if (!empty && k - (eol + 1) <= indent) break;
                    eol = text.find('\n', eol + 1);
                }
                if (eol == std::string_view::npos) return std::nullopt;
                i = eol - 1;
                continue;
            }
            default:
                break;
        }
        plain = true;
    }
    return std::nullopt;
}

std::optional<std::size_t> indenting_tab(std::string_view text, int line) {
    std::size_t at = 0;
    for (int l = 1; l < line; ++l) {
        at = text.find('\n', at);
        if (at == std::string_view::npos) return std::nullopt;
        ++at;
    }
    std::optional<std::size_t> tab;
    for (; at < text.size() && blank(text[at]); ++at)
        if (text[at] == '\t' && !tab) tab = at;
    if (at >= text.size() || text[at] == '\n' || text[at] == '\r' || text[at] == '#')
        return std::nullopt;
    return tab;
}

}  // namespace weft::parse
