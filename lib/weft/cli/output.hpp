#pragma once
// How the command line prints: colour decisions and diagnostics.
#include <cstdio>
#include <string>

#include "weft/parse/loader.hpp"

namespace weft::cli {

enum class Color { auto_, always, never };

struct Output {
    bool color = false;  // colour on stderr
    int verbosity = 0;   // -1 quiet, 0 normal, 1 verbose
};

// `--color` NAME (`auto`, `always`, `never`; the command line checks it).
Color parse_color(const std::string& name);

// Decide colour for `stream` from --color and NO_COLOR.
bool use_color(Color c, std::FILE* stream);

// Print every diagnostic of `loaded` to stderr as
// `FILE:LINE:COL: error: MESSAGE`, then the source line and a caret.
void print_diagnostics(const parse::Loaded& loaded, const Output& out);

}  // namespace weft::cli
