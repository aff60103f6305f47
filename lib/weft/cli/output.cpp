#include "weft/cli/output.hpp"

#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "weft/cli/cli.hpp"
#include "weft/report/github.hpp"
#include "weft/report/terminal.hpp"
#include "weft/util/strings.hpp"

namespace weft::cli {

Color parse_color(const std::string& name) {
    return name == "always" ? Color::always : name == "never" ? Color::never : Color::auto_;
}

bool use_color(Color c, std::FILE* stream) {
    if (c == Color::always) return true;
    if (c == Color::never) return false;
    const char* no_color = std::getenv("NO_COLOR");
    if (no_color && *no_color) return false;
    const char* term = std::getenv("TERM");
    if (term && std::string(term) == "dumb") return false;
    return isatty(fileno(stream));
}

namespace {

std::string source_line(const std::string& source, int line) {
    std::size_t pos = 0;
    for (int l = 1; l < line; ++l) {
        pos = source.find('\n', pos);
        if (pos == std::string::npos) return {};
        ++pos;
    }
    const std::size_t end = source.find('\n', pos);
    std::string text = source.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (!text.empty() && text.back() == '\r') text.pop_back();
    return text;
}

// At most this many bytes of a source line are echoed, around the column: a
// generated line can be megabytes long (a hostile test's is 20,000 brackets).
constexpr std::size_t k_echo_bytes = 120;

// `text` safe to echo: bytes that are not UTF-8 (the subject of some
// diagnostics) and control characters other than tab shown as U+FFFD.
std::string printable(std::string_view text) {
    const std::string valid = report::valid_utf8(text);
    std::string out;
    out.reserve(valid.size());
    for (char c : valid) {
        const auto u = static_cast<unsigned char>(c);
        if ((u < 0x20 && c != '\t') || u == 0x7F)
            out += "\xEF\xBF\xBD";
        else
            out += c;
    }
    return out;
}

// What to print under `shown` (valid UTF-8) for a caret after it to line up:
// its tabs as tabs, a space per column of everything else.
std::string caret_padding(std::string_view shown) {
    std::string pad;
    for (std::size_t i = 0; i < shown.size();) {
        std::size_t n = 1;
        while (i + n < shown.size() && utf8_continuation(shown[i + n])) ++n;
        if (shown[i] == '\t')
            pad += '\t';
        else
            pad.append(report::display_width(shown.substr(i, n)), ' ');
        i += n;
    }
    return pad;
}

}  // namespace

void print_diagnostics(const parse::Loaded& loaded, const Output& out) {
    const char* bold = out.color ? "\033[1m" : "";
    const char* red = out.color ? "\033[1;31m" : "";
    const char* magenta = out.color ? "\033[1;35m" : "";
    const char* green = out.color ? "\033[1;32m" : "";
    const char* reset = out.color ? "\033[0m" : "";
    const bool github = report::under_github_actions();  // annotations on the file too
    for (const auto& d : loaded.diagnostics) {
        const bool is_error = d.severity == Severity::error;
        std::string where = loaded.file;
        if (d.loc.line > 0)
            where += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column);
        out::message("{}{}:{} {}{}:{} {}{}{}\n", bold, where, reset, is_error ? red : magenta,
                     is_error ? "error" : "warning", reset, bold, d.message, reset);
        if (github)
            out::message("{}\n", report::gha_file_annotation(
                                     is_error ? engine::Severity::error : engine::Severity::warning,
                                     loaded.file, d.loc.line, d.loc.column, d.message));
        if (d.loc.line <= 0 || out.verbosity < 0) continue;
        const std::string text = source_line(loaded.source, d.loc.line);
        if (text.empty()) continue;
        const std::string_view line = text;
        const std::size_t caret =
            std::min(static_cast<std::size_t>(std::max(d.loc.column - 1, 0)), line.size());
        std::size_t from = 0, to = line.size();
        if (line.size() > k_echo_bytes) {  // a window around the caret, cut between characters
            const std::size_t half = k_echo_bytes / 2;
            from = std::min(caret > half ? caret - half : 0, line.size() - k_echo_bytes);
            to = from + k_echo_bytes;
            while (from > 0 && utf8_continuation(line[from])) --from;
            while (to < line.size() && utf8_continuation(line[to])) ++to;
        }
        const std::string before =
            (from > 0 ? "..." : "") + printable(line.substr(from, caret - from));
        const std::string after =
            printable(line.substr(caret, to - caret)) + (to < line.size() ? "..." : "");
        out::message("{:5} | {}{}\n      | {}{}^{}\n", d.loc.line, before, after,
                     caret_padding(before), green, reset);
    }
}

int exit_code(Errc code) {
    switch (code) {
        case Errc::usage:
        case Errc::invalid:
        case Errc::not_found:
            return k_exit_usage;
        case Errc::state:
        case Errc::io:
            return k_exit_state;
        case Errc::exec:
        case Errc::internal:
            break;
    }
    return k_exit_internal;
}

int fail(const Error& e) {
    return fail(e.code, e.message);
}

int fail(Errc code, std::string_view message) {
    for (std::size_t start = 0;;) {
        const std::size_t end = message.find('\n', start);
        out::error(message.substr(start, end - start));
        if (end == std::string_view::npos) break;
        start = end + 1;
    }
    return exit_code(code);
}

}  // namespace weft::cli
