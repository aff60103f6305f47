// Fuzz target: the `${{ }}` parser and evaluator. The input is a template
// and, after a NUL byte if any, a condition; both are parsed and evaluated
// against a small fixed set of contexts.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "weft/expr/expr.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace weft;
    static const expr::Value contexts = nlohmann::json::parse(R"({
        "params": {"who": "world", "n": "3", "list": "a,b"},
        "env": {"HOME": "/home/u"},
        "matrix": {"os": "linux", "v": 2},
        "steps": {"build": {"outputs": {"v": "1.2", "json": "{\"a\":[1,2]}"}, "status": "success"}},
        "event": {"kind": "file", "paths": ["a.c", "b c.h"]},
        "run": {"id": 7, "attempt": 1}, "workflow": {"name": "w"}, "secrets": {}})");
    const std::string_view in(reinterpret_cast<const char*>(data), size);
    const auto nul = in.find('\0');
    const std::string_view tmpl = in.substr(0, nul);
    if (auto t = expr::parse_template(tmpl)) (void)expr::render(*t, contexts);
    if (nul != std::string_view::npos) {
        if (auto c = expr::parse_condition(in.substr(nul + 1))) {
            (void)expr::references(*c);
            (void)expr::evaluate(*c, contexts, expr::Status{true, false});
        }
    }
    return 0;
}
