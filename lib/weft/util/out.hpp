#pragma once
// Where weft's text goes, and the one way it gets there: results on
// standard output, messages (`weft: error: …`, warnings, notes, progress)
// on standard error, a reporter's lines on the stream it was given. Format
// strings are fmt's, checked when compiled. Nothing here fails: a write to a
// closed stream is lost, as printf's would be.
#include <fmt/core.h>

#include <cstdio>
#include <string_view>
#include <utility>

namespace weft::out {

// Results: what a command was asked to print (tables, JSON lines, logs).
template <class... A>
void print(fmt::format_string<A...> f, A&&... args) {
    fmt::print(stdout, f, std::forward<A>(args)...);
}

// Messages to the person at the terminal: errors, warnings, notes.
template <class... A>
void message(fmt::format_string<A...> f, A&&... args) {
    fmt::print(stderr, f, std::forward<A>(args)...);
}

// To `stream` (a reporter's, or one a caller chose between stdout and
// stderr).
template <class... A>
void print_to(std::FILE* stream, fmt::format_string<A...> f, A&&... args) {
    fmt::print(stream, f, std::forward<A>(args)...);
}

// `bytes` to `stream` as they are: a step's log line, already made safe
// for where it goes (or not, under `--raw`).
inline void write(std::FILE* stream, std::string_view bytes) {
    std::fwrite(bytes.data(), 1, bytes.size(), stream);
}

// `weft: error: MESSAGE`, `weft: warning: MESSAGE`, `weft: note: MESSAGE`
// on stderr, a line each.
inline void error(std::string_view text) {
    message("weft: error: {}\n", text);
}
inline void warning(std::string_view text) {
    message("weft: warning: {}\n", text);
}
inline void note(std::string_view text) {
    message("weft: note: {}\n", text);
}

}  // namespace weft::out
