#pragma once
// How the command line prints: colour decisions, diagnostics, and the one
// seam that turns an Error into its message and exit code. The text itself
// goes through weft/util/out.hpp (stdout for results, stderr for messages).
#include <cstdio>
#include <string>
#include <string_view>

#include "weft/parse/loader.hpp"
#include "weft/util/out.hpp"
#include "weft/util/result.hpp"

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
// `FILE:LINE:COL: error: MESSAGE`, then the source line and a caret. Under
// GitHub Actions each is also a `::error file=F,line=L,col=C::MESSAGE`
// annotation (`::warning` for a warning).
void print_diagnostics(const parse::Loaded& loaded, const Output& out);

// The exit code (SPEC §6) of an error of kind `code`: 2 for a bad command
// line, an invalid value or something not found; 3 when the state database
// cannot be used or no weft process answered (state, io); 70 for an
// internal error or a process that could not be created.
int exit_code(Errc code);

// Print `weft: error: MESSAGE` for `e` on stderr; return its exit code.
// Every command reports the error that ends it through here. A message of
// several lines is several errors (a `weft: error:` line each), as
// engine::resolve_params and read_param_args give them.
int fail(const Error& e);

// fail() for an error the command itself finds: `message` of kind `code`.
int fail(Errc code, std::string_view message);

}  // namespace weft::cli
