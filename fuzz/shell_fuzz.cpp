// Fuzz target: the shell-quoting lexer. The input is a script template and,
// after a NUL byte, the value every `${{ }}` stands for; the first byte picks
// bash or POSIX sh. The render must succeed or fail cleanly.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "weft/expr/expr.hpp"
#include "weft/expr/shell_quote.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace weft;
    if (size == 0) return 0;
    const auto dialect = (data[0] & 1) ? expr::ShellDialect::posix : expr::ShellDialect::bash;
    const std::string_view in(reinterpret_cast<const char*>(data) + 1, size - 1);
    const auto nul = in.find('\0');
    const std::string value(nul == std::string_view::npos ? std::string_view("$(touch pwned)'\"`x`")
                                                          : in.substr(nul + 1));
    auto t = expr::parse_template(in.substr(0, nul));
    if (!t) return 0;
    (void)expr::render_shell(
        *t, [&](const expr::Expr&) -> Result<std::string> { return value; }, dialect);
    return 0;
}
