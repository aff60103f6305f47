#include "weft/cli/output.hpp"

#include <unistd.h>

#include <cstdlib>

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

} // namespace

void print_diagnostics(const parse::Loaded& loaded, const Output& out) {
    const char* bold = out.color ? "\033[1m" : "";
    const char* red = out.color ? "\033[1;31m" : "";
    const char* magenta = out.color ? "\033[1;35m" : "";
    const char* green = out.color ? "\033[1;32m" : "";
    const char* reset = out.color ? "\033[0m" : "";
    for (const auto& d : loaded.diagnostics) {
        const bool is_error = d.severity == Severity::error;
        std::string where = loaded.file;
        if (d.loc.line > 0) where += ":" + std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column);
        std::fprintf(stderr, "%s%s:%s %s%s:%s %s%s%s\n", bold, where.c_str(), reset, is_error ? red : magenta,
                     is_error ? "error" : "warning", reset, bold, d.message.c_str(), reset);
        if (d.loc.line <= 0 || out.verbosity < 0) continue;
        const std::string text = source_line(loaded.source, d.loc.line);
        if (text.empty()) continue;
        std::fprintf(stderr, "%5d | %s\n      | ", d.loc.line, text.c_str());
        // Tabs stay tabs so the caret lines up under them.
        for (int c = 1; c < d.loc.column && c <= static_cast<int>(text.size()); ++c)
            std::fputc(text[c - 1] == '\t' ? '\t' : ' ', stderr);
        std::fprintf(stderr, "%s^%s\n", green, reset);
    }
}

} // namespace weft::cli
