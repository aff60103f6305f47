#include <doctest/doctest.h>

#include "support/load.hpp"
#include "weft/dag/graph.hpp"

using weft::test::diagnostics_of;
using Lines = std::vector<std::string>;

namespace {

Lines order_of(const std::string& yaml) {
    std::optional<weft::dag::Graph> g;
    auto d = diagnostics_of(yaml, &g);
    INFO((d.empty() ? std::string() : d[0]));
    REQUIRE(g.has_value());
    Lines ids;
    for (const auto& inst : g->instances) ids.push_back(inst.id);
    return ids;
}

}  // namespace

TEST_CASE("dag::build") {
    SUBCASE("topological order follows the file where it can") {
        CHECK(order_of("steps:\n  d: {needs: [b, c], run: x}\n  c: {needs: a, run: x}\n  b: "
                       "{needs: a, run: x}\n"
                       "  a: {run: x}\n") == Lines{"a", "c", "b", "d"});
        CHECK(order_of("steps:\n  z: {run: x}\n  y: {run: x}\n  x: {needs: z, run: x}\n") ==
              Lines{"z", "y", "x"});
    }
    SUBCASE("needs as a single string") {
        CHECK(order_of("steps:\n  b: {needs: a, run: x}\n  a: {run: x}\n") == Lines{"a", "b"});
    }
    SUBCASE("matrix instances and their dependents") {
        std::optional<weft::dag::Graph> g;
        diagnostics_of(
            "steps:\n  build: {run: x}\n  test:\n    needs: build\n    run: x\n    matrix: {os: "
            "[linux, mac, win], cc: [gcc, clang]}\n"
            "  report: {needs: test, run: x}\n",
            &g);
        REQUIRE(g);
        REQUIRE(g->instances.size() == 8);
        CHECK(g->instances[1].id == "test[os=linux,cc=gcc]");
        CHECK(g->instances[2].id == "test[os=linux,cc=clang]");
        CHECK(g->instances[6].id == "test[os=win,cc=clang]");
        CHECK(g->instances[7].needs.size() == 6);
        CHECK(g->instances[3].needs == std::vector<int>{0});
    }
    SUBCASE("a long chain does not overflow the stack, nor does its cycle") {
        std::string yaml = "steps:\n  s0: {run: x, needs: s19999}\n";
        for (int i = 1; i < 20000; ++i)
            yaml +=
                "  s" + std::to_string(i) + ": {run: x, needs: s" + std::to_string(i - 1) + "}\n";
        auto d = diagnostics_of(yaml);
        REQUIRE(d.size() == 1);
        CHECK(d[0].find("dependency cycle: s0 -> s19999 -> s19998") != std::string::npos);
    }
    SUBCASE("two separate cycles are both reported") {
        auto d = diagnostics_of(
            "steps:\n  a: {needs: b, run: x}\n  b: {needs: a, run: x}\n  c: {needs: d, run: x}\n"
            "  d: {needs: c, run: x}\n");
        CHECK(d == Lines{"2:14: error: dependency cycle: a -> b -> a",
                         "4:14: error: dependency cycle: c -> d -> c"});
    }
}

TEST_CASE("dag::expand_matrix") {
    using weft::model::Json;
    weft::model::Matrix m;
    m.axes = {{"os", {"linux", "win"}}, {"v", {1, 2}}};
    SUBCASE("product") {
        CHECK(weft::dag::expand_matrix(m).size() == 4);
    }
    SUBCASE("exclude") {
        m.exclude = {Json{{"os", "win"}, {"v", 2}}};
        auto c = weft::dag::expand_matrix(m);
        CHECK(c.size() == 3);
        CHECK(c.back() == Json{{"os", "win"}, {"v", 1}});
    }
    SUBCASE("include extends matching combinations or adds new ones") {
        m.include = {Json{{"os", "win"}, {"shell", "pwsh"}}, Json{{"os", "mac"}, {"v", 3}}};
        auto c = weft::dag::expand_matrix(m);
        REQUIRE(c.size() == 5);
        CHECK(c[2] == Json{{"os", "win"}, {"v", 1}, {"shell", "pwsh"}});
        CHECK(c[3] == Json{{"os", "win"}, {"v", 2}, {"shell", "pwsh"}});
        CHECK(c[4] == Json{{"os", "mac"}, {"v", 3}});
        CHECK(weft::dag::instance_id("t", m, c[2]) == "t[os=win,v=1]");
        CHECK(weft::dag::instance_id("t", m, c[4]) == "t[os=mac,v=3]");
    }
    SUBCASE("include only") {
        weft::model::Matrix only;
        only.include = {Json{{"a", "x"}}, Json{{"a", "y"}}};
        auto c = weft::dag::expand_matrix(only);
        CHECK(c.size() == 2);
        CHECK(weft::dag::instance_id("t", only, c[1]) == "t[a=y]");
    }
}
