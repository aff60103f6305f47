#pragma once
// Load workflow text the way `weft validate` does and render its diagnostics
// as `LINE:COL: error: MESSAGE` strings, for pinning exact messages.
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "weft/parse/check.hpp"

namespace doctest {
template <>
struct StringMaker<std::vector<std::string>> {
    static String convert(const std::vector<std::string>& v) {
        std::string out = "{";
        for (const auto& s : v) out += "\n  \"" + s + "\"";
        return (out + "}").c_str();
    }
};
}  // namespace doctest

namespace weft::test {

inline std::vector<std::string> diagnostics_of(const std::string& yaml,
                                               std::optional<dag::Graph>* graph = nullptr) {
    auto loaded = parse::load_string(yaml, "wf.yaml");
    auto g = parse::check(loaded);
    if (graph) *graph = g;
    std::vector<std::string> out;
    for (const auto& d : loaded.diagnostics)
        out.push_back(std::to_string(d.loc.line) + ":" + std::to_string(d.loc.column) + ": " +
                      (d.severity == Severity::error ? "error: " : "warning: ") + d.message);
    return out;
}

inline std::vector<std::string> errors_of(const std::string& yaml) {
    auto all = diagnostics_of(yaml);
    std::vector<std::string> out;
    for (auto& d : all)
        if (d.find(": error: ") != std::string::npos) out.push_back(d);
    return out;
}

}  // namespace weft::test
