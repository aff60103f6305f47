// The SPEC §6 shapes of `weft runs --json` and `weft show --json`.
#include "weft/report/json.hpp"

#include <doctest/doctest.h>

#include "support/store.hpp"

using namespace weft;
using namespace weft::report;
using model::dump_json;
using model::RowId;
using model::RunState;
using model::StepState;
using nlohmann::json;
using store::EventRow;
using store::Store;
using test::at;
using test::k_t0;
using test::memory;
using test::must;

TEST_CASE("report::json") {
    Store s = memory();
    const RowId ev = must(s.add_event("file", json{{"paths", {"src/a.c", "src/b.c"}}}, at(k_t0)));
    const RowId run = must(s.create_run({.workflow = "build",
                                         .file = "build.yaml",
                                         .event_id = ev,
                                         .params = json{{"mode", "debug"}},
                                         .started = at(k_t0)}));
    const std::vector<std::string> ids{"compile", "test[suite=unit]", "package"};
    must(s.add_steps(run, ids));
    const RowId a = must(s.start_attempt(run, "compile", 1, at(k_t0 + 1)));
    must(s.finish_attempt(
        a, {.status = StepState::success, .ended = at(k_t0 + 2000), .exit_code = 0}));
    must(s.set_step(run, "compile", StepState::success,
                    {.started = at(k_t0 + 1), .ended = at(k_t0 + 2000), .exit_code = 0}));
    must(s.set_step_outputs(run, "compile", json{{"binary", "out/app"}}));
    for (int n = 1; n <= 2; ++n) {
        const RowId t = must(s.start_attempt(run, "test[suite=unit]", n, at(k_t0 + 2000 + n)));
        must(s.finish_attempt(
            t, {.status = StepState::failure, .ended = at(k_t0 + 3000), .signal = "SIGKILL"}));
    }
    must(s.set_step(run, "test[suite=unit]", StepState::failure,
                    {.started = at(k_t0 + 2001), .ended = at(k_t0 + 3000), .signal = "SIGKILL"}));
    must(s.set_step(run, "package", StepState::skipped));
    must(s.set_run_status(run, RunState::failure, {.ended = at(k_t0 + 3000)}));

    SUBCASE("runs --json") {
        const json expected =
            json::parse(R"({"id": )" + std::to_string(run) + R"(, "workflow": "build",
            "status": "failure", "trigger": "file", "started": "2026-11-26T14:53:35.123Z",
            "ended": "2026-11-26T14:53:38.123Z"})");
        CHECK(run_json(must(s.list_runs()).at(0)) == expected);
        const RowId queued = must(s.create_run({.workflow = "w",
                                                .file = "w.yaml",
                                                .event_id = ev,
                                                .started = at(k_t0),
                                                .status = RunState::queued}));
        must(s.set_run_status(queued, RunState::queued));
        const json j = run_json(*must(s.get_run_row(queued)));
        CHECK(j["ended"].is_null());
        CHECK(j["status"] == "queued");
    }

    SUBCASE("show --json") {
        const json expected = json::parse(
            R"({
            "id": )" +
            std::to_string(run) + R"(, "workflow": "build", "status": "failure", "attempt": 1,
            "event": {"id": )" +
            std::to_string(ev) + R"(, "kind": "file", "time": "2026-11-26T14:53:35.123Z",
                      "paths": ["src/a.c", "src/b.c"]},
            "steps": [
              {"id": "compile", "status": "success", "attempts": 1, "exit_code": 0, "signal": null,
               "started": "2026-11-26T14:53:35.124Z", "ended": "2026-11-26T14:53:37.123Z",
               "outputs": {"binary": "out/app"}},
              {"id": "test[suite=unit]", "status": "failure", "attempts": 2, "exit_code": null,
               "signal": "SIGKILL", "started": "2026-11-26T14:53:37.124Z", "ended": "2026-11-26T14:53:38.123Z",
               "outputs": {}},
              {"id": "package", "status": "skipped", "attempts": 0, "exit_code": null, "signal": null,
               "started": null, "ended": null, "outputs": {}}
            ]})");
        CHECK(run_detail_json(must(s.get_run(run)).value()) == expected);
    }

    SUBCASE("an event payload that is not an object") {
        EventRow e{.id = 3,
                   .kind = "stdin",
                   .time = at(k_t0),
                   .payload = json("a line"),
                   .created = at(k_t0)};
        CHECK(store::event_json(e) == json{{"id", 3},
                                           {"kind", "stdin"},
                                           {"time", "2026-11-26T14:53:35.123Z"},
                                           {"payload", "a line"}});
    }

    SUBCASE("text that is not UTF-8 never breaks output") {
        const std::string bad = "out\xff\xc3";
        must(s.set_step_outputs(run, "package", json{{"v", bad}}));
        const std::vector<std::string> odd{"odd\xfe"};
        must(s.add_steps(run, odd));
        const std::string line = dump_json(run_detail_json(must(s.get_run(run)).value()));
        CHECK(line.find("out\xef\xbf\xbd") != std::string::npos);  // U+FFFD
        CHECK(line.find("odd\xef\xbf\xbd") != std::string::npos);
        CHECK(line.find('\n') == std::string::npos);
    }
}
