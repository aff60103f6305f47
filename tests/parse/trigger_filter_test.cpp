// The loader's side of trigger filters (SPEC §9.2): `if:` on every trigger
// reading only `event` and `env`, stdin `match:` compiled by PCRE2.
#include <doctest/doctest.h>

#include "support/load.hpp"

using weft::test::errors_of;
using Lines = std::vector<std::string>;

TEST_CASE("trigger if: and match: load into the model") {
    auto loaded = weft::parse::load_string(
        "on:\n"
        "  file: {paths: ['**'], if: \"!endsWith(event.paths[0], '.tmp')\"}\n"
        "  stdin: {match: 'ERROR|FATAL', if: \"event.line != env.X\"}\n"
        "  schedule:\n"
        "    - cron: '0 3 * * *'\n"
        "      if: \"event.late\"\n"
        "  workflow: {names: [a], if: \"event.workflow.run > 1\"}\n"
        "steps: {s: {run: x}}\n",
        "wf.yaml");
    REQUIRE(loaded.workflow);
    CHECK(loaded.diagnostics.empty());
    const auto& on = loaded.workflow->on;
    CHECK(on.file->if_cond == "!endsWith(event.paths[0], '.tmp')");
    CHECK(on.file->if_loc.line == 2);
    CHECK(on.stdin_match == "ERROR|FATAL");
    CHECK(on.stdin_if == "event.line != env.X");
    CHECK(on.schedule.at(0).if_cond == "event.late");
    CHECK(on.workflow->if_cond == "event.workflow.run > 1");
    CHECK(on.workflow->names_loc.at(0).line == 7);
}

TEST_CASE("trigger if: another context than event and env is a located error") {
    CHECK(errors_of("on:\n  stdin: {if: \"params.x == 'y'\"}\nsteps: {s: {run: x}}\n") ==
          Lines{"2:15: error: a trigger's 'if' may read only 'event' and 'env', not 'params'"});
    CHECK(errors_of("on:\n  file:\n    paths: [a]\n    if: ${{ steps.s.outputs.x }}\n"
                    "steps: {s: {run: x}}\n") ==
          Lines{"4:13: error: a trigger's 'if' may read only 'event' and 'env', not 'steps'"});
    CHECK(errors_of("on:\n  workflow: {names: [a], if: \"evnt.x\"}\nsteps: {s: {run: x}}\n") ==
          Lines{"2:30: error: a trigger's 'if' may read only 'event' and 'env', not 'evnt' (did "
                "you mean 'event'?)"});
    CHECK(errors_of("on:\n  schedule: [{every: 1h, if: \"event.kind ==\"}]\nsteps: {s: {run: x}}\n")
              .size() == 1);
}

TEST_CASE("stdin match: a bad pattern is a located error with PCRE2's message") {
    const auto e = errors_of("on:\n  stdin:\n    match: 'ERROR ('\nsteps: {s: {run: x}}\n");
    REQUIRE(e.size() == 1);
    CHECK(e[0].rfind(
              "3:12: error: invalid 'match' pattern: missing closing parenthesis at offset 7", 0) ==
          0);
}
