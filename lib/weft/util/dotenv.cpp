#include "weft/util/dotenv.hpp"

#include <cerrno>
#include <cstring>
#include <map>

#include <fmt/format.h>

#include "weft/util/read_file.hpp"
#include "weft/util/strings.hpp"

namespace weft {

namespace {

bool is_blank(char c) {
    return c == ' ' || c == '\t';
}
bool is_name_start(char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) {
    return is_name_start(c) || (c >= '0' && c <= '9');
}

// One line of the file being read, and how to point into it.
struct Line {
    std::string_view text;  // without its `\n` and trailing `\r`
    std::size_t offset;     // of text[0] in the whole file
    int number;

    // 1-based column of byte `at`: UTF-8 continuation bytes do not count.
    int column(std::size_t at) const {
        int col = 1;
        for (std::size_t i = 0; i < at && i < text.size(); ++i)
            if (!utf8_continuation(text[i])) ++col;
        return col;
    }
};

Error line_error(const std::string& name, const Line& line, std::size_t at, std::string_view what) {
    return make_error(Errc::invalid,
                      fmt::format("{}:{}:{}: error: {}", name, line.number, line.column(at), what),
                      line.offset + at);
}

// The value that starts at `at` in `line` (just after `=`).
Result<std::string> parse_value(const std::string& name, const Line& line, std::size_t at) {
    const auto s = line.text;
    if (at < s.size() && is_blank(s[at]))
        return line_error(
            name, line, at,
            "blank after '=' (write KEY=VALUE, quote a value that starts with a blank)");
    if (at >= s.size() || (s[at] != '\'' && s[at] != '"')) return std::string(s.substr(at));
    const char quote = s[at];
    std::string value;
    std::size_t i = at + 1;
    for (; i < s.size() && s[i] != quote; ++i) {
        if (quote == '"' && s[i] == '\\' && i + 1 < s.size()) {
            const char next = s[i + 1];
            if (next == 'n' || next == '"' || next == '\\') {
                value += next == 'n' ? '\n' : next;
                ++i;
                continue;
            }
        }
        value += s[i];
    }
    if (i >= s.size())
        return line_error(name, line, at,
                          quote == '"' ? "unclosed double quote (quotes close on the same line)"
                                       : "unclosed single quote (quotes close on the same line)");
    for (std::size_t j = i + 1; j < s.size(); ++j)
        if (!is_blank(s[j]))
            return line_error(name, line, j, "unexpected text after the closing quote");
    return value;
}

// The key and value of a line that is neither blank nor a comment.
Result<std::pair<std::string, std::string>> parse_assignment(const std::string& name,
                                                             const Line& line, std::size_t at) {
    const auto s = line.text;
    // `export` is a prefix only when blanks and a name follow it: `export=1`
    // sets a variable called export.
    if (s.substr(at, 6) == "export" && at + 6 < s.size() && is_blank(s[at + 6])) {
        std::size_t key_at = at + 6;
        while (key_at < s.size() && is_blank(s[key_at])) ++key_at;
        if (key_at < s.size() && is_name_start(s[key_at])) at = key_at;
    }
    if (at >= s.size() || !is_name_start(s[at]))
        return line_error(name, line, at, "expected KEY=VALUE with KEY a variable name");
    std::size_t end = at;
    while (end < s.size() && is_name_char(s[end])) ++end;
    std::string key(s.substr(at, end - at));
    if (end < s.size() && is_blank(s[end])) {
        std::size_t next = end;
        while (next < s.size() && is_blank(s[next])) ++next;
        if (next < s.size() && s[next] == '=')
            return line_error(name, line, end, "blank before '=' (write KEY=VALUE)");
    }
    if (end >= s.size() || s[end] != '=')
        return line_error(name, line, end,
                          fmt::format("expected '=' after '{}' (write KEY=VALUE)", key));
    auto value = parse_value(name, line, end + 1);
    if (!value) return value.error();
    return std::pair{std::move(key), std::move(*value)};
}

}  // namespace

Result<DotenvPairs> parse_dotenv(std::string_view text, const std::string& name) {
    DotenvPairs out;
    std::map<std::string, std::size_t, std::less<>> index;
    std::size_t start = 0;
    for (int number = 1; start < text.size(); ++number) {
        auto nl = text.find('\n', start);
        if (nl == std::string_view::npos) nl = text.size();
        Line line{text.substr(start, nl - start), start, number};
        start = nl + 1;
        if (!line.text.empty() && line.text.back() == '\r') line.text.remove_suffix(1);
        std::size_t at = 0;
        while (at < line.text.size() && is_blank(line.text[at])) ++at;
        if (at == line.text.size() || line.text[at] == '#') continue;
        auto kv = parse_assignment(name, line, at);
        if (!kv) return kv.error();
        auto [it, inserted] = index.try_emplace(kv->first, out.size());
        if (inserted)
            out.push_back(std::move(*kv));
        else
            out[it->second].second = std::move(kv->second);
    }
    return out;
}

Result<DotenvPairs> read_dotenv(const std::string& path) {
    auto text = read_file(path, 64 << 20);
    if (!text) {
        const bool missing = text.error().message == std::strerror(ENOENT);
        return make_error(missing ? Errc::not_found : text.error().code,
                          fmt::format("{}: error: {}", path, text.error().message));
    }
    return parse_dotenv(*text, path);
}

}  // namespace weft
