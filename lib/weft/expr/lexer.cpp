#include <fmt/core.h>
#include <charconv>
#include <cmath>
#include <limits>

#include "weft/expr/ast.hpp"

namespace weft::expr {
namespace {

bool is_space(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}
bool is_digit(char c) {
    return c >= '0' && c <= '9';
}
bool is_alpha(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_ident_char(char c) {
    return is_alpha(c) || is_digit(c) || c == '-';
}
int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// [+-]? (digits ('.' digits?)? | '.' digits) ([eE] [+-]? digits)?
bool parse_decimal(std::string_view s, double& out) {
    std::size_t i = 0;
    bool negative = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) negative = s[i++] == '-';
    const std::size_t start = i;
    std::size_t digits = 0;
    while (i < s.size() && is_digit(s[i])) ++i, ++digits;
    if (i < s.size() && s[i] == '.') {
        ++i;
        while (i < s.size() && is_digit(s[i])) ++i, ++digits;
    }
    if (digits == 0) return false;
    if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        std::size_t exp_digits = 0;
        while (i < s.size() && is_digit(s[i])) ++i, ++exp_digits;
        if (exp_digits == 0) return false;
    }
    if (i != s.size()) return false;
    // from_chars rejects a leading '+' and a leading '.', so normalise.
    std::string body(s.substr(start));
    if (body[0] == '.') body.insert(body.begin(), '0');
    double v = 0;
    const auto [ptr, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
    if (ec == std::errc::result_out_of_range) {
        // from_chars leaves `v` alone on overflow/underflow: decide by exponent sign.
        const auto e = body.find_first_of("eE");
        const bool tiny = e != std::string::npos && body.find('-', e) != std::string::npos;
        v = tiny ? 0.0 : std::numeric_limits<double>::infinity();
    } else if (ec != std::errc() || ptr != body.data() + body.size()) {
        return false;
    }
    out = negative ? -v : v;
    return true;
}

bool parse_radix(std::string_view digits, int radix, double& out) {
    if (digits.empty()) return false;
    double v = 0;
    for (char c : digits) {
        const int d = hex_digit(c);
        if (d < 0 || d >= radix) return false;
        v = v * radix + d;
    }
    out = v;
    return true;
}

std::string describe_char(std::string_view text, std::size_t i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c < 0x7f) return std::string("'") + text[i] + "'";
    std::size_t len = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
    if (len > 0 && i + len <= text.size()) {
        bool valid = true;
        for (std::size_t k = 1; k < len; ++k)
            valid = valid && (static_cast<unsigned char>(text[i + k]) & 0xc0) == 0x80;
        if (valid) return "'" + std::string(text.substr(i, len)) + "'";
    }
    return fmt::format("'\\x{:02X}'", c);
}

// True when the last token ends an operand, so a following '.' is a property
// access (`foo.1` is an error, as in GitHub) rather than a number like `.5`.
bool after_operand(const std::vector<Token>& tokens) {
    if (tokens.empty()) return false;
    switch (tokens.back().kind) {
        case TokenKind::identifier:
        case TokenKind::string:
        case TokenKind::number:
        case TokenKind::rparen:
        case TokenKind::rbracket:
        case TokenKind::star:
            return true;
        default:
            return false;
    }
}

}  // namespace

double parse_number(std::string_view s, bool coerce) {
    const double nan = std::numeric_limits<double>::quiet_NaN();
    if (coerce) {
        while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
        while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
        if (s.empty()) return 0.0;
    }
    double v = 0;
    if (parse_decimal(s, v)) return v;
    if (s.size() > 2 && s[0] == '0' && s[1] == 'x' && parse_radix(s.substr(2), 16, v)) return v;
    if (s.size() > 2 && s[0] == '0' && s[1] == 'o' && parse_radix(s.substr(2), 8, v)) return v;
    if (s == "Infinity") return std::numeric_limits<double>::infinity();
    if (s == "-Infinity") return -std::numeric_limits<double>::infinity();
    if (s == "+Infinity") return std::numeric_limits<double>::infinity();
    return nan;
}

Result<std::vector<Token>> tokenize(std::string_view text) {
    std::vector<Token> out;
    std::size_t i = 0;
    auto push = [&](TokenKind kind, std::size_t len) {
        out.push_back(Token{kind, i, text.substr(i, len), {}});
        i += len;
    };
    while (i < text.size()) {
        const char c = text[i];
        const char next = i + 1 < text.size() ? text[i + 1] : '\0';
        if (is_space(c)) {
            ++i;
        } else if (c == '\'') {
            std::string value;
            std::size_t j = i + 1;
            while (true) {
                if (j >= text.size()) return make_error(Errc::invalid, "unterminated string", i);
                if (text[j] == '\'') {
                    if (j + 1 < text.size() && text[j + 1] == '\'') {
                        value += '\'';
                        j += 2;
                        continue;
                    }
                    break;
                }
                value += text[j++];
            }
            out.push_back(
                Token{TokenKind::string, i, text.substr(i, j + 1 - i), Value(std::move(value))});
            i = j + 1;
        } else if ((c == '-' || c == '+') && text.compare(i + 1, 8, "Infinity") == 0 &&
                   (i + 9 == text.size() || !is_ident_char(text[i + 9]))) {
            const double inf = std::numeric_limits<double>::infinity();
            Token t{TokenKind::number, i, text.substr(i, 9), c == '-' ? -inf : inf};
            out.push_back(std::move(t));
            i += 9;
        } else if (is_digit(c) || ((c == '-' || c == '+') && (is_digit(next) || next == '.')) ||
                   (c == '.' && is_digit(next) && !after_operand(out))) {
            std::size_t j = i + 1;
            const bool radix = c == '0' && (next == 'x' || next == 'o');
            while (j < text.size()) {
                const char d = text[j];
                if (is_alpha(d) || is_digit(d) || d == '.') {
                    ++j;
                } else if ((d == '+' || d == '-') && !radix &&
                           (text[j - 1] == 'e' || text[j - 1] == 'E')) {
                    ++j;
                } else {
                    break;
                }
            }
            const std::string_view lexeme = text.substr(i, j - i);
            const double v = parse_number(lexeme, false);
            if (std::isnan(v))
                return make_error(Errc::invalid, "invalid number '" + std::string(lexeme) + "'", i);
            Token t{TokenKind::number, i, lexeme, {}};
            // Integral literals stay integers so that toJSON(1) prints 1, not 1.0.
            if (std::trunc(v) == v && std::fabs(v) <= 9007199254740992.0)
                t.value = static_cast<std::int64_t>(v);
            else
                t.value = v;
            out.push_back(std::move(t));
            i = j;
        } else if (is_alpha(c)) {
            std::size_t j = i + 1;
            while (j < text.size() && is_ident_char(text[j])) ++j;
            push(TokenKind::identifier, j - i);
        } else if (c == '=' && next == '=') {
            push(TokenKind::eq, 2);
        } else if (c == '!' && next == '=') {
            push(TokenKind::ne, 2);
        } else if (c == '<' && next == '=') {
            push(TokenKind::le, 2);
        } else if (c == '>' && next == '=') {
            push(TokenKind::ge, 2);
        } else if (c == '&' && next == '&') {
            push(TokenKind::and_, 2);
        } else if (c == '|' && next == '|') {
            push(TokenKind::or_, 2);
        } else if (c == '<') {
            push(TokenKind::lt, 1);
        } else if (c == '>') {
            push(TokenKind::gt, 1);
        } else if (c == '!') {
            push(TokenKind::bang, 1);
        } else if (c == '(') {
            push(TokenKind::lparen, 1);
        } else if (c == ')') {
            push(TokenKind::rparen, 1);
        } else if (c == '[') {
            push(TokenKind::lbracket, 1);
        } else if (c == ']') {
            push(TokenKind::rbracket, 1);
        } else if (c == ',') {
            push(TokenKind::comma, 1);
        } else if (c == '.') {
            push(TokenKind::dot, 1);
        } else if (c == '*') {
            push(TokenKind::star, 1);
        } else {
            std::string msg = "unexpected character " + describe_char(text, i);
            if (c == '=') msg += " (did you mean '=='?)";
            if (c == '&') msg += " (did you mean '&&'?)";
            if (c == '|') msg += " (did you mean '||'?)";
            if (c == '"') msg += " (strings use single quotes)";
            return make_error(Errc::invalid, std::move(msg), i);
        }
    }
    out.push_back(Token{TokenKind::end, text.size(), {}, {}});
    return out;
}

}  // namespace weft::expr
