// `finally`, the validate warning for a step that can never run, matrix
// keys read in any case, templated sources (SPEC §9.1).
#include <doctest/doctest.h>

#include "support/load.hpp"

using weft::test::diagnostics_of;
using Lines = std::vector<std::string>;

TEST_CASE("parse: finally") {
    SUBCASE("its steps follow those of steps, may need each other, read any step") {
        const std::string yaml =
            "finally:\n"
            "  report: {run: 'echo ${{ steps.b.status }} ${{ steps.a.outputs.x }}'}\n"
            "  mail: {needs: report, if: failure(), run: x}\n"
            "steps:\n  a: {run: x}\n  b: {needs: a, run: x}\n";
        std::optional<weft::dag::Graph> g;
        CHECK(diagnostics_of(yaml, &g) == Lines{});
        auto loaded = weft::parse::load_string(yaml, "wf.yaml");
        const auto& steps = loaded.workflow->steps;
        REQUIRE(steps.size() == 4);
        CHECK(steps[0].id == "a");
        CHECK_FALSE(steps[1].finally);
        CHECK(steps[2].id == "report");
        CHECK(steps[2].finally);
        CHECK(steps[3].finally);
        REQUIRE(g);
        CHECK(g->instances.back().id == "mail");
    }
    SUBCASE("needs across the two, a repeated id, an empty finally") {
        CHECK(diagnostics_of("steps:\n  a: {needs: f, run: x}\nfinally:\n  f: {run: x}\n") ==
              Lines{"2:14: error: step 'a' needs 'f', a step of 'finally'; those run after every "
                    "step of 'steps' has ended"});
        CHECK(diagnostics_of("steps:\n  a: {run: x}\nfinally:\n  f: {needs: a, run: x}\n") ==
              Lines{"4:14: error: finally step 'f' needs 'a' of 'steps'; finally steps start "
                    "after every step of 'steps' anyway, and may only need finally steps"});
        CHECK(diagnostics_of("steps:\n  a: {run: x}\nfinally:\n  a: {run: x}\n") ==
              Lines{"4:3: error: step 'a' is defined in both 'steps' and 'finally'"});
        CHECK(diagnostics_of("steps:\n  a: {run: x}\nfinally: {}\n") ==
              Lines{"3:10: error: 'finally' is empty; remove it or add a step"});
    }
    SUBCASE("a step of steps does not read a finally step") {
        CHECK(diagnostics_of("steps:\n  a: {run: '${{ steps.f.status }}'}\n"
                             "finally:\n  f: {run: x}\n") ==
              Lines{"2:17: error: step 'a' reads step 'f', which it does not need; add 'f' to "
                    "its 'needs'"});
    }
}

TEST_CASE("parse: a step that runs only after a failure but needs nothing is a warning") {
    const std::string warning =
        "runs only after a failure or a cancel ('if: failure()') but needs no step, so it can "
        "never run; to run it after the other steps whatever their outcome, move it under "
        "'finally'";
    CHECK(diagnostics_of("steps:\n  a: {run: x}\n  alert: {if: failure(), run: x}\n") ==
          Lines{"3:15: warning: step 'alert' " + warning});
    // Not when it needs a step, may run anyway, reads a context, or is a finally step.
    CHECK(diagnostics_of("steps:\n  a: {run: x}\n  alert: {needs: a, if: failure(), run: x}\n")
              .empty());
    CHECK(diagnostics_of("steps:\n  alert: {if: always(), run: x}\n").empty());
    CHECK(diagnostics_of("steps:\n  alert: {if: \"failure() || env.X == 'y'\", run: x}\n").empty());
    CHECK(diagnostics_of("steps:\n  a: {run: x}\nfinally:\n  alert: {if: failure(), run: x}\n")
              .empty());
    CHECK(diagnostics_of("steps:\n  alert: {if: cancelled(), run: x}\n").size() == 1);
}

TEST_CASE("parse: matrix keys are read in any case") {
    CHECK(diagnostics_of("steps:\n  a: {matrix: {os: [l, m]}, run: 'echo ${{ matrix.OS }}'}\n")
              .empty());
    CHECK(diagnostics_of("steps:\n  a: {matrix: {os: [l, m]}, run: 'echo ${{ matrix.oss }}'}\n") ==
          Lines{"2:44: error: unknown matrix key 'oss' (did you mean 'os'?)"});
}
