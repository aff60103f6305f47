#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>

#include "support/load.hpp"

using weft::test::diagnostics_of;
using weft::test::errors_of;
using Lines = std::vector<std::string>;

TEST_CASE("parse::load valid") {
    SUBCASE("minimal") {
        CHECK(diagnostics_of("steps:\n  a:\n    run: echo hi\n").empty());
    }
    SUBCASE("every key") {
        const char* yaml = R"Y(name: build
description: Build and test
on:
  file:
    paths: ["src/**/*.cpp"]
    ignore: ["build/**"]
    gitignore: true
    events: [create, modify, delete, move]
    debounce: 200ms
  schedule:
    - cron: "*/15 9-17 * * MON-FRI"
      timezone: Europe/Berlin
    - every: 10m
  stdin:
    format: json
  workflow:
    names: [fetch-data]
    status: [success, failure]
env:
  CC: gcc
params:
  target: {default: release, description: Build type}
  version: {required: true}
  token: {secret: true}
defaults:
  shell: bash
  timeout: 30m
  kill-grace: 5s
  working-directory: .
  runs-on: local
  slurm: {partition: short, cpus: 2, mem: 4G, time: 1h, gres: "gpu:1", account: lab, extra-args: ["--qos=high"]}
concurrency:
  limit: 1
  on-busy: cancel-running
  max-queued: 100
max-parallel: 4
fail-fast: false
timeout: 2h
catchup: all
on-restart: leave
retention: {runs: 50, days: 9}
steps:
  configure:
    run: cmake -S . -B build -DCMAKE_BUILD_TYPE=${{ params.target }}
    sources: ["CMakeLists.txt"]
    generates: ["build/CMakeCache.txt"]
  compile:
    needs: [configure]
    run: cmake --build build -j
    timeout: 10m
    retry: {attempts: 3, delay: 1s, backoff: 2, max-delay: 30s}
  test:
    needs: [compile]
    matrix: {suite: [unit, e2e]}
    run: ctest -L ${{ matrix.suite }}
    continue-on-error: false
  version:
    run: echo "value=$(git describe --tags)" >> "$WEFT_OUTPUT"
  notify:
    needs: [test, version]
    if: ${{ failure() }}
    uses: http
    with:
      url: https://example.invalid/hook
      method: POST
      body: "build ${{ steps.version.outputs.value }} failed"
)Y";
        std::optional<weft::dag::Graph> g;
        CHECK(diagnostics_of(yaml, &g) == Lines{});
        REQUIRE(g);
        CHECK(g->instances.size() == 6);
        auto loaded = weft::parse::load_string(yaml, "wf.yaml");
        const auto& wf = *loaded.workflow;
        CHECK(wf.name == "build");
        CHECK(wf.on.file->debounce.count() == 200);
        CHECK(wf.on.schedule.size() == 2);
        CHECK(wf.on.schedule[0].timezone == "Europe/Berlin");
        CHECK(wf.on.schedule[1].every->count() == 600'000);
        CHECK(wf.params.size() == 3);
        CHECK(wf.params[1].required);
        CHECK(wf.params[2].secret);
        CHECK(wf.concurrency.on_busy == weft::model::OnBusy::cancel_running);
        CHECK(wf.catchup == weft::model::Catchup::all);
        CHECK(wf.on_restart == weft::model::OnRestart::leave);
        CHECK(wf.retention.runs == 50);
        CHECK(wf.steps[1].retry.attempts == 3);
        CHECK(wf.steps[1].retry.backoff == 2.0);
        CHECK(wf.steps[1].retry.max_delay->count() == 30'000);
        CHECK(wf.defaults.slurm->cpus == 2);
        CHECK(wf.steps[4].with["method"] == "POST");
    }
    SUBCASE("default name from the file") {
        auto loaded = weft::parse::load_string("steps: {a: {run: x}}\n", "dir/my-flow.yml");
        CHECK(loaded.workflow->name == "my-flow");
    }
    SUBCASE("core schema tags mean their type") {
        auto loaded = weft::parse::load_string(
            "steps: !!map\n  a:\n    run: !!str echo\n    continue-on-error: !!bool True\n    "
            "uses: p\n    with: {i: !!int -7, f: !!float 2, b: !!bool TRUE, n: !!null ~, s: !!str "
            "5, e: !!null, q: \"5\", l: !!seq [1]}\n",
            "wf.yaml");
        CHECK(loaded.diagnostics.size() == 1);  // both 'run' and 'uses'
        const auto& with = loaded.workflow->steps.at(0).with;
        CHECK(with["i"] == -7);
        CHECK(with["f"] == 2.0);
        CHECK(with["f"].is_number_float());
        CHECK(with["b"] == true);
        CHECK(with["n"].is_null());
        CHECK(with["e"].is_null());
        CHECK(with["s"] == "5");
        CHECK(with["q"] == "5");
        CHECK(with["l"] == weft::model::Json::array({1}));
        CHECK(loaded.workflow->steps.at(0).continue_on_error);
    }
    SUBCASE("anchors and aliases are allowed") {
        CHECK(diagnostics_of("x-env: &e {A: b}\nsteps: {a: {run: x, env: *e}}\n") ==
              Lines{"1:1: error: unknown key 'x-env' (did you mean 'env'?)"});
        CHECK(diagnostics_of("env: &e {A: b}\nsteps: {a: {run: x, env: *e}}\n").empty());
    }
}

TEST_CASE("parse::load errors") {
    SUBCASE("a matrix bomb is refused without being multiplied out") {
        std::string yaml = "steps:\n  s:\n    run: x\n    matrix:\n";
        for (int i = 0; i < 10; ++i)
            yaml += "      k" + std::to_string(i) + ": [0,1,2,3,4,5,6,7,8,9]\n";
        CHECK(errors_of(yaml) ==
              Lines{"5:7: error: 'matrix' in step 's' expands to more than 4096 instances"});
        CHECK(diagnostics_of("steps:\n  s:\n    run: x\n    matrix:\n      a: [1,2,3,4,5,6,7,8]\n"
                             "      b: [1,2,3,4,5,6,7,8]\n      c: [1,2,3,4,5,6,7,8]\n      d: "
                             "[1,2,3,4,5,6,7,8]\n")
                  .empty());  // 4096 instances: the limit itself is allowed
    }
    SUBCASE(
        "matrix values that are not UTF-8 never crash the instance ids (found by fuzz_loader)") {
        // The loader now refuses the byte before yaml-cpp (which made it U+FFFD)
        // sees it; a value that is UTF-8 but not ASCII still goes into the id.
        CHECK(errors_of("steps:\n  t:\n    run: x\n    matrix:\n      os: [a, [\"\xff\"]]\n") ==
              Lines{"5:17: error: invalid UTF-8: byte 0xFF never occurs in UTF-8; save the file as "
                    "UTF-8"});
        std::optional<weft::dag::Graph> g;
        CHECK(diagnostics_of(
                  "steps:\n  t:\n    run: x\n    matrix:\n      os: [a, [\"\xef\xbf\xbd\"]]\n", &g)
                  .empty());
        REQUIRE(g);
        REQUIRE(g->instances.size() == 2);
        CAPTURE(g->instances[1].id);
        CHECK(g->instances[1].id.find("\xef\xbf\xbd") != std::string::npos);
    }
    SUBCASE("a schedule entry with a bad 'every' gets one error") {
        CHECK(errors_of("on:\n  schedule:\n    - every: banana\nsteps: {a: {run: x}}\n") ==
              Lines{"3:14: error: invalid duration 'banana': expected a number (use e.g. 150ms, "
                    "10s, 5m, 2h, 1d, 1h30m)"});
    }
    SUBCASE("'every' is at least 1s (SPEC 9.4)") {
        CHECK(errors_of("on:\n  schedule:\n    - every: 1ms\n    - every: 999ms\n    - every: "
                        "0\nsteps: {a: {run: x}}\n") ==
              Lines{"3:14: error: 'every' must be at least 1s, got 1ms",
                    "4:14: error: 'every' must be at least 1s, got 999ms",
                    "5:14: error: 'every' must be at least 1s, got 0"});
        CHECK(errors_of("on:\n  schedule:\n    - every: 1s\nsteps: {a: {run: x}}\n").empty());
    }
    SUBCASE("YAML tags other than the core schema's (SPEC 9.4)") {
        CHECK(errors_of("steps:\n  a: {run: !!binary aGVsbG8=}\n  b: {run: x, env: "
                        "!!python/object:os.system {A: b}}\n  c: {run: !local x}\n") ==
              Lines{"2:12: error: unsupported YAML tag '!!binary': weft reads only the core "
                    "schema's tags (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq)",
                    "3:20: error: unsupported YAML tag '!!python/object:os.system': weft reads "
                    "only the core schema's tags (!!str, !!int, !!float, !!bool, !!null, !!map, "
                    "!!seq)",
                    "4:12: error: unsupported YAML tag '!local': weft reads only the core "
                    "schema's tags (!!str, !!int, !!float, !!bool, !!null, !!map, !!seq)"});
        // Behind an alias, a tag is refused once; under a key weft does not know, too.
        const std::string k_core =
            "': weft reads only the core schema's tags (!!str, !!int, "
            "!!float, !!bool, !!null, !!map, !!seq)";
        CHECK(errors_of("env: {A: &t !!binary x}\nsteps: {a: {run: x, env: {B: *t}}}\n") ==
              Lines{"1:10: error: unsupported YAML tag '!!binary" + k_core});
        CHECK(errors_of("extra: !!set {x}\nsteps: {a: {run: x}}\n") ==
              Lines{"1:1: error: unknown key 'extra'",
                    "1:8: error: unsupported YAML tag '!!set" + k_core});
    }
    SUBCASE("a core tag must fit its node") {
        CHECK(errors_of("steps: !!seq {a: {run: !!int abc, env: {A: !!bool yes, B: !!null x, C: "
                        "!!float 1e}}}\n") ==
              Lines{"1:8: error: YAML tag '!!seq' on a map, which is not a list",
                    "1:24: error: YAML tag '!!int' on 'abc', which is not an integer",
                    "1:44: error: YAML tag '!!bool' on 'yes', which is not true or false",
                    "1:59: error: YAML tag '!!null' on 'x', which is not null",
                    "1:72: error: YAML tag '!!float' on '1e', which is not a number"});
    }
    SUBCASE("unknown key at top level") {
        CHECK(errors_of("stpes:\n  a: {run: x}\n") ==
              Lines{"1:1: error: unknown key 'stpes' (did you mean 'steps'?)",
                    "1:1: error: missing 'steps': a workflow needs at least one step"});
    }
    SUBCASE("unknown key in a step") {
        CHECK(errors_of("steps:\n  a:\n    run: x\n    nedds: [b]\n") ==
              Lines{"4:5: error: unknown key 'nedds' in step 'a' (did you mean 'needs'?)"});
    }
    SUBCASE("unknown key in a trigger") {
        CHECK(errors_of("on:\n  file:\n    path: [x]\nsteps: {a: {run: x}}\n") ==
              Lines{"2:3: error: the file trigger needs 'paths' (a list of globs)",
                    "3:5: error: unknown key 'path' in the file trigger (did you mean 'paths'?)"});
        CHECK(errors_of("on:\n  schedul: []\nsteps: {a: {run: x}}\n") ==
              Lines{"2:3: error: unknown key 'schedul' in 'on' (did you mean 'schedule'?)"});
    }
    SUBCASE("unknown needs with a suggestion") {
        CHECK(errors_of("steps:\n  build: {run: x}\n  test:\n    needs: [biuld]\n    run: y\n") ==
              Lines{"4:13: error: step 'test' needs unknown step 'biuld' (did you mean 'build'?)"});
    }
    SUBCASE("a cycle") {
        CHECK(errors_of("steps:\n  a: {needs: c, run: x}\n  b: {needs: a, run: x}\n  c: {needs: b, "
                        "run: x}\n") == Lines{"2:14: error: dependency cycle: a -> c -> b -> a"});
        CHECK(errors_of("steps:\n  a: {needs: a, run: x}\n") ==
              Lines{"2:14: error: step 'a' needs itself"});
    }
    SUBCASE("run and uses, both or neither") {
        CHECK(errors_of("steps:\n  a:\n    run: x\n    uses: http\n") ==
              Lines{"4:11: error: step 'a' has both 'run' and 'uses'; a step has exactly one"});
        CHECK(errors_of("steps:\n  a:\n    needs: []\n") ==
              Lines{"2:3: error: step 'a' needs 'run' (a script) or 'uses' (a plugin)"});
    }
    SUBCASE("a bad duration") {
        CHECK(errors_of("steps:\n  a:\n    run: x\n    timeout: 10x\n") ==
              Lines{"4:14: error: invalid duration '10x': unknown unit 'x' (use e.g. 150ms, 10s, "
                    "5m, 2h, 1d, 1h30m)"});
        CHECK(errors_of("on: {file: {paths: [x], debounce: 1.5s}}\nsteps: {a: {run: x}}\n") ==
              Lines{"1:35: error: invalid duration '1.5s': unknown unit '.' (use e.g. 150ms, 10s, "
                    "5m, 2h, 1d, 1h30m)"});
    }
    SUBCASE("bad cron expressions") {
        auto cron_error = [](const std::string& expr) {
            auto e =
                errors_of("on:\n  schedule:\n    - cron: \"" + expr + "\"\nsteps: {a: {run: x}}\n");
            REQUIRE(e.size() == 1);
            return e[0];
        };
        CHECK(cron_error("61 * * * *") ==
              "3:13: error: invalid cron expression '61 * * * *': minute field: value 61 out of "
              "range 0-59");
        CHECK(cron_error("* 24 * * *").find("hour field") != std::string::npos);
        CHECK(cron_error("* * 0 * *").find("day-of-month field") != std::string::npos);
        CHECK(cron_error("* * * 13 *").find("month field") != std::string::npos);
        CHECK(cron_error("* * * * 8").find("day-of-week field") != std::string::npos);
        CHECK(cron_error("*/0 * * * *").find("minute field") != std::string::npos);
        CHECK(cron_error("*/61 * * * *").find("minute field") != std::string::npos);
        CHECK(cron_error("* * * FOO *").find("month field") != std::string::npos);
        CHECK(cron_error("* * * *") ==
              "3:13: error: invalid cron expression '* * * *': expected 5 or 6 fields, got 4");
        CHECK(errors_of("on:\n  schedule:\n    - cron: '* * * * *'\n      timezone: "
                        "Europe/Berln\nsteps: {a: {run: x}}\n")
                  .at(0)
                  .find("4:17: error: unknown time zone 'Europe/Berln'") == 0);
        CHECK(
            errors_of(
                "on:\n  schedule:\n    - {cron: '* * * * *', every: 1m}\nsteps: {a: {run: x}}\n") ==
            Lines{"3:7: error: a schedule entry needs exactly one of 'cron' and 'every'"});
    }
    SUBCASE("a YAML syntax error") {
        auto e = errors_of("steps:\n  a: {run: x\n");
        REQUIRE(e.size() == 1);
        CHECK(e[0].find("error: YAML syntax error: ") != std::string::npos);
        CHECK(errors_of("steps:\n  a:\n    run: x\n   bad: y\n").size() == 1);
    }
    SUBCASE("a duplicate key") {
        CHECK(errors_of("steps:\n  a:\n    run: x\n    run: y\n") ==
              Lines{"4:5: error: duplicate key 'run' in step 'a'"});
        CHECK(errors_of("steps:\n  a: {run: x}\n  a: {run: y}\n") ==
              Lines{"3:3: error: duplicate key 'a' in 'steps'"});
    }
    SUBCASE("merge keys are refused") {
        CHECK(errors_of("env: &e {A: b}\nsteps:\n  a:\n    run: x\n    env:\n      <<: *e\n") ==
              Lines{"6:7: error: merge keys ('<<') are not supported; write the keys out, or alias "
                    "the whole map"});
    }
    SUBCASE("an invalid step id") {
        CHECK(errors_of("steps:\n  1st: {run: x}\n") ==
              Lines{"2:3: error: invalid step id '1st': use letters, digits, '_' and '-', not "
                    "starting with a digit or '-'"});
        CHECK(errors_of("steps:\n  'a b': {run: x}\n").size() == 1);
    }
    SUBCASE("a wrong node type") {
        CHECK(errors_of("steps: [a, b]\n") ==
              Lines{"1:8: error: expected a map for 'steps', got a list"});
        CHECK(errors_of("steps:\n  a:\n    run: [x]\n") ==
              Lines{"3:10: error: expected a string for 'run' in step 'a', got a list"});
        CHECK(errors_of("steps:\n  a:\n    run: x\n    needs: {b: c}\n") ==
              Lines{"4:12: error: expected a list for 'needs' in step 'a', got a map"});
        CHECK(errors_of("steps:\n  a:\n    run: x\n    continue-on-error: maybe\n") ==
              Lines{"4:24: error: expected true or false for 'continue-on-error', got 'maybe'"});
        CHECK(errors_of("- a\n- b\n") ==
              Lines{"1:1: error: expected a map of workflow keys at the top level, got a list"});
    }
    SUBCASE("an expression syntax error") {
        auto e = errors_of("steps:\n  a:\n    run: echo ${{ params.x == }}\n");
        REQUIRE(e.size() == 1);
        CHECK(e[0].rfind("3:", 0) == 0);
        CHECK(errors_of("steps:\n  a:\n    run: echo ${{ params.x\n").size() == 1);
    }
    SUBCASE("an unknown expression context") {
        CHECK(errors_of("steps:\n  a:\n    run: echo ${{ parms.x }}\n") ==
              Lines{"3:19: error: unknown context 'parms' (did you mean 'params'?); expected one "
                    "of 'params', 'env', "
                    "'secrets', 'matrix', 'event', 'steps', 'run' or 'workflow'"});
        CHECK(
            errors_of("params: {target: {}}\nsteps:\n  a:\n    run: echo ${{ params.taget }}\n") ==
            Lines{"4:19: error: unknown param 'taget' (did you mean 'target'?)"});
    }
    SUBCASE("reading outputs of a step not needed") {
        CHECK(errors_of("steps:\n  a: {run: x}\n  b:\n    run: echo ${{ steps.a.outputs.v }}\n") ==
              Lines{"4:19: error: step 'b' reads step 'a', which it does not need; add 'a' to its "
                    "'needs'"});
        CHECK(errors_of("steps:\n  a: {run: x}\n  b: {needs: a, run: x}\n  c:\n    needs: b\n    "
                        "run: echo ${{ steps.a.outputs.v }}\n")
                  .empty());
        CHECK(errors_of("steps:\n  a:\n    run: x\n    matrix: {os: [l]}\n  b:\n    needs: a\n    "
                        "run: echo ${{ matrix.os }}\n") ==
              Lines{"7:19: error: step 'b' reads the 'matrix' context but has no 'matrix'"});
    }
    SUBCASE("an invalid enum value lists the allowed ones") {
        CHECK(errors_of("catchup: some\nsteps: {a: {run: x}}\n") ==
              Lines{"1:10: error: invalid catchup 'some': expected 'none', 'latest' or 'all'"});
        CHECK(errors_of("on-restart: again\nsteps: {a: {run: x}}\n") ==
              Lines{"1:13: error: invalid on-restart 'again': expected 'resume' or 'leave'"});
        CHECK(errors_of("concurrency: {on-busy: wait}\nsteps: {a: {run: x}}\n") ==
              Lines{"1:24: error: invalid on-busy 'wait': expected 'queue', 'skip' or "
                    "'cancel-running'"});
        CHECK(errors_of("defaults: {runs-on: k8s}\nsteps: {a: {run: x}}\n") ==
              Lines{"1:21: error: invalid runs-on 'k8s': expected 'local' or 'slurm'"});
    }
    SUBCASE("an empty file") {
        CHECK(errors_of("") == Lines{"1:1: error: the workflow file is empty"});
        CHECK(errors_of("# only a comment\n") == Lines{"1:1: error: the workflow file is empty"});
    }
    SUBCASE("an unterminated double-quoted string") {
        CHECK(errors_of("steps:\n  a:\n    run: \"make all\n") ==
              Lines{"3:10: error: unterminated double-quoted string"});
    }
    SUBCASE("alias bombs are bounded") {
        std::string yaml = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
        for (int i = 1; i < 9; ++i)
            yaml += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [*a" +
                    std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
                    std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
                    std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + ", *a" +
                    std::to_string(i - 1) + ", *a" + std::to_string(i - 1) + "]\n";
        yaml = "steps:\n  s:\n    uses: p\n    with:\n      " + yaml.substr(0, yaml.size() - 1);
        std::string indented;
        for (char c : yaml) {
            indented += c;
            if (c == '\n' && indented.size() > 40) indented += "      ";
        }
        auto e = errors_of(indented + "\n");
        REQUIRE(!e.empty());
        CHECK(e[0].find("refusing to expand further (an alias bomb?)") != std::string::npos);
    }
    SUBCASE("a recursive alias") {
        CHECK(errors_of("steps:\n  a:\n    uses: p\n    with: &w {x: *w}\n") ==
              Lines{"4:18: error: YAML syntax error: an alias inside the node it refers to (a "
                    "recursive alias)"});
    }
    SUBCASE("a stray ',' outside a flow collection (yaml-cpp 0.7 loops forever on it)") {
        CHECK(errors_of(",{:x}") == Lines{"1:1: error: YAML syntax error: unexpected ',' outside a "
                                          "flow collection ([...] or {...})"});
        CHECK(errors_of("steps:\n  a: {run: x}\n,\n").size() == 1);
    }
    SUBCASE("all errors of a file at once") {
        CHECK(
            errors_of("catchup: x\nsteps:\n  a: {run: x, timeout: 5q}\n  b: {run: y, needs: zz}\n")
                .size() == 3);
    }
    SUBCASE("a missing file") {
        auto loaded = weft::parse::load_file("/nonexistent/wf.yaml");
        REQUIRE(loaded.diagnostics.size() == 1);
        CHECK(loaded.diagnostics[0].message == "cannot read file: No such file or directory");
        CHECK(loaded.diagnostics[0].loc.line == 0);
    }
}

TEST_CASE("parse::load never crashes on hostile input") {
    // Every prefix of a valid workflow, and a few odd documents, must load or
    // fail with diagnostics, never throw.
    const std::string yaml =
        "name: x\non:\n  schedule:\n    - cron: '0 * * * *'\nparams: {p: {default: 1}}\nsteps:\n  "
        "a:\n    run: echo "
        "${{ params.p }}\n    matrix: {k: [1, 2]}\n  b: {needs: a, if: \"${{ failure() }}\", uses: "
        "http, with: {u: 1}}\n";
    for (std::size_t n = 0; n <= yaml.size(); ++n) (void)diagnostics_of(yaml.substr(0, n));
    for (const char* odd :
         {"---\n---\n", "!!binary abc", "steps: !!map {}", "? [a]\n: b\n", "steps: {a: {run: *x}}",
          "steps: &s {a: {uses: p, with: *s}}", "&a [*a]",
          "steps:\n  a: {run: x}\n...\n---\nsteps: {}\n", "\t", "\xff\xfe", "[", "{", "\"", "'"})
        (void)diagnostics_of(odd);
}

TEST_CASE("parse::load explains what yaml-cpp misreports") {
    SUBCASE("a NUL byte, at its own position") {
        CHECK(
            errors_of(std::string("steps:\n  a: {run: echo}\n\0\x01\xff\xfe\x89PNG\r\n", 32)) ==
            Lines{
                "3:1: error: a NUL byte: a workflow file is UTF-8 text (is this a binary file?)"});
    }
    SUBCASE("bytes that are not UTF-8") {
        CHECK(errors_of("name: caf\xe9\nsteps:\n  a: {run: echo caf\xe9}\n") ==
              Lines{"1:10: error: invalid UTF-8: byte 0xE9 starts a 3-byte sequence that is cut "
                    "short; save the file as UTF-8"});
        CHECK(errors_of("steps:\n  a: {run: \"\xc0\xaf\"}\n")
                  .at(0)
                  .rfind("2:13: error: invalid UTF-8: byte 0xC0 starts an overlong encoding", 0) ==
              0);
        CHECK(errors_of("steps:\n  a: {run: \"\xed\xa0\x80\"}\n")
                  .at(0)
                  .rfind("2:13: error: invalid UTF-8: byte 0xED starts a UTF-16 surrogate", 0) ==
              0);
        CHECK(errors_of("steps:\n  a: {run: x}\n# \xe2\x82")
                  .at(0)
                  .rfind("3:3: error: invalid UTF-8: byte 0xE2 starts a 3-byte sequence that is "
                         "cut short",
                         0) == 0);
    }
    SUBCASE("a UTF-8 byte order mark is skipped, and columns on line 1 do not count it") {
        CHECK(diagnostics_of("\xef\xbb\xbfsteps:\n  a: {run: echo caf\xc3\xa9}\n").empty());
        CHECK(errors_of("\xef\xbb\xbfsteps: 5\n") ==
              Lines{"1:8: error: expected a map for 'steps', got a scalar"});
        CHECK(errors_of("\xef\xbb\xbfsteps:\n  a:\n    run: \"make\n") ==
              Lines{"3:10: error: unterminated double-quoted string"});
    }
    SUBCASE("a tab in an indentation") {
        CHECK(errors_of("steps:\n\ta:\n\t\trun: echo\n") ==
              Lines{"2:1: error: tab characters cannot indent YAML; use spaces"});
        CHECK(errors_of("steps:\n  a:\n  \trun: x\n") ==
              Lines{"3:3: error: tab characters cannot indent YAML; use spaces"});
        CHECK(errors_of("steps:\n  a:\n    run: x\n\tneeds: []\n") ==
              Lines{"4:1: error: tab characters cannot indent YAML; use spaces"});
        CHECK(errors_of("- a\n\t- b\n") ==
              Lines{"2:1: error: tab characters cannot indent YAML; use spaces"});
    }
    SUBCASE("tabs elsewhere are fine: in scalars, block literals, flow collections, comments") {
        CHECK(diagnostics_of(
                  "steps:\n  a:\n    run: |\n      printf \"a\\tb\"\n      \tmore\n"
                  "    env: {A: \"x\ty\", B: x\ty}  # a\tcomment\n\t# an indented comment\n")
                  .empty());
        CHECK(diagnostics_of("steps:\n  a:\t{run: x,\n\tenv: {A: b}}\n").empty());
    }
    SUBCASE("an unterminated double-quoted string, wherever it ends") {
        const Lines at_3_10{"3:10: error: unterminated double-quoted string"};
        CHECK(errors_of("steps:\n  a:\n    run: \"echo hi\n") ==
              at_3_10);  // yaml-cpp takes it as a string
        CHECK(errors_of("steps:\n  a:\n    run: \"echo hi") ==
              at_3_10);  // yaml-cpp: illegal EOF in scalar
        CHECK(errors_of("steps:\n  a:\n    run: \"echo \\\"hi\\\"") == at_3_10);
        CHECK(errors_of("steps:\n  a:\n    run: \"x\n---\nsteps: {}\n") ==
              at_3_10);  // fails at the `---`
        CHECK(errors_of("steps:\n  a: {run: \"echo hi}\n") ==
              Lines{"2:12: error: unterminated double-quoted string"});
        CHECK(errors_of("\"steps: 1\nsteps:\n  a: {run: echo}\n") ==
              Lines{"1:1: error: unterminated double-quoted string"});
        CHECK(errors_of("steps:\n  a:\n    run: |\n      echo \"hi\n    env: {A: \"b}\n") ==
              Lines{"5:14: error: unterminated double-quoted string"});
    }
    SUBCASE("and single-quoted") {
        CHECK(errors_of("steps:\n  a:\n    run: 'it''s\n") ==
              Lines{"3:10: error: unterminated single-quoted string"});
        CHECK(errors_of("steps:\n  a:\n    run: 'it''s") ==
              Lines{"3:10: error: unterminated single-quoted string"});
    }
    SUBCASE("quotes that close, possibly lines later, or sit inside plain scalars are fine") {
        CHECK(diagnostics_of("steps:\n  a:\n    run: \"multi\n      line\"\n").empty());
        CHECK(diagnostics_of("steps:\n  a:\n    run: echo \"hi\n  b:\n    run: it's\n").empty());
    }
    SUBCASE("deep nesting stops at 256 levels, where the collection opens") {
        CHECK(errors_of(std::string(256, '[') + std::string(256, ']')) ==
              Lines{"1:1: error: expected a map of workflow keys at the top level, got a list"});
        CHECK(errors_of(std::string(10000, '[') + std::string(10000, ']')) ==
              Lines{"1:257: error: collections nested deeper than 256 levels; weft refuses to load "
                    "the file"});
        std::string block = "steps:\n  a:\n    run: x\n    env:\n";
        std::string indent = "      ";
        for (int i = 0; i < 600; ++i, indent += ' ')
            block += indent + "k" + std::to_string(i) + ":\n";
        CHECK(errors_of(block) == Lines{"258:260: error: collections nested deeper than 256 "
                                        "levels; weft refuses to load the file"});
    }
}
