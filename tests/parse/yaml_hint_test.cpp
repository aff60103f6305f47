#include <doctest/doctest.h>

#include "support/load.hpp"

using weft::test::diagnostics_of;

TEST_CASE("parse::YamlTree: a hint after 'illegal map value' for ': ' in an unquoted value") {
    const std::string hint =
        "YAML syntax error: illegal map value: the value holds ': ', which YAML reads as another "
        "key; quote the whole value, or write it as a block scalar (`run: |` and the text on the "
        "lines below, indented)";
    auto d = diagnostics_of("steps:\n  a:\n    run: echo \"a: b\"\n");
    REQUIRE(d.size() == 1);
    CHECK(d[0].find(hint) != std::string::npos);
    CHECK(d[0].rfind("3:", 0) == 0);
    // quoted, or a block scalar: fine
    CHECK(diagnostics_of("steps:\n  a:\n    run: 'echo \"a: b\"'\n").empty());
    CHECK(diagnostics_of("steps:\n  a:\n    run: |\n      echo \"a: b\"\n").empty());
}
