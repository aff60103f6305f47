#include <doctest/doctest.h>

#include "support/capture.hpp"
#include "support/load.hpp"
#include "weft/report/live.hpp"

using namespace weft;
using namespace weft::report;
using std::chrono::milliseconds;

namespace {

const TimePoint k_t0{milliseconds{1'790'000'000'000}};
const Style k_ascii{false, false};
const Style k_unicode{false, true};

LiveStep running(const std::string& id, long long started_ms, int attempt = 1) {
    return LiveStep{id, k_t0 + milliseconds{started_ms}, attempt, std::nullopt};
}

engine::StepEnd ended(model::StepState s, long long ms, std::string message = "", int attempt = 1) {
    engine::StepEnd e;
    e.status = s;
    e.duration = Duration{ms};
    e.message = std::move(message);
    e.attempt = attempt;
    return e;
}

}  // namespace

TEST_CASE("report::render_frame") {
    const TimePoint now = k_t0 + milliseconds{1234};
    SUBCASE("a line per running step with its elapsed time") {
        LiveState s;
        s.running = {running("compile", 0), running("lint", 1000, 2)};
        CHECK(render_frame(s, now, {80, 24}, k_ascii) ==
              std::vector<std::string>{"* compile  1.2s", "* lint  0.2s (attempt 2)"});
        CHECK(render_frame(s, now, {80, 24}, k_unicode).at(0) == "\xE2\x80\xA2 compile  1.2s");
    }
    SUBCASE("matrix instances grouped under their step") {
        LiveState s;
        s.instances = {{"test", 6}};
        s.ended = {{"test", 3}};
        s.running = {running("test[suite=unit]", 0), running("compile", 100),
                     running("test[suite=int]", 534)};
        CHECK(render_frame(s, now, {80, 24}, k_ascii) ==
              std::vector<std::string>{"* test  2/6 running, 3 done", "  * test[suite=unit]  1.2s",
                                       "  * test[suite=int]  0.7s", "* compile  1.1s"});
    }
    SUBCASE("a step waiting to retry") {
        LiveState s;
        LiveStep w = running("flaky", 0);
        w.retry_at = now + milliseconds{800};
        s.running = {w};
        CHECK(render_frame(s, now, {80, 24}, k_ascii) ==
              std::vector<std::string>{"~ flaky  retry in 0.8s (attempt 2)"});
    }
    SUBCASE("lines are cut to the width, less the last column") {
        LiveState s;
        s.running = {running("compile-with-a-very-long-name", 0)};
        CHECK(render_frame(s, now, {20, 24}, k_ascii) ==
              std::vector<std::string>{"* compile-with-a..."});
        const auto u = render_frame(s, now, {20, 24}, k_unicode);
        CHECK(u == std::vector<std::string>{"\xE2\x80\xA2 compile-with-a-v\xE2\x80\xA6"});
        CHECK(display_width(u.at(0)) == 19);
    }
    SUBCASE("never more lines than the terminal has") {
        LiveState s;
        for (int i = 0; i < 5; ++i) s.running.push_back(running("s" + std::to_string(i), 0));
        CHECK(render_frame(s, now, {80, 4}, k_ascii) ==
              std::vector<std::string>{"* s0  1.2s", "* s1  1.2s", "... 3 more running"});
        CHECK(render_frame(s, now, {80, 6}, k_ascii).size() == 5);
        CHECK(render_frame(s, now, {80, 7}, k_ascii).size() == 5);
    }
    SUBCASE("colour only on the marker") {
        LiveState s;
        s.running = {running("compile", 0)};
        CHECK(render_frame(s, now, {80, 24}, Style{true, false}) ==
              std::vector<std::string>{"\033[36m*\033[0m compile  1.2s"});
    }
}

TEST_CASE("report::finished_line") {
    using model::StepState;
    CHECK(finished_line("compile", ended(StepState::success, 1200), k_unicode) ==
          "\xE2\x9C\x93 compile  1.2s");
    CHECK(finished_line("compile", ended(StepState::success, 1200), k_ascii) == "ok compile  1.2s");
    auto bad = ended(StepState::failure, 400, "exit code 2");
    bad.exit_code = 2;
    CHECK(finished_line("test", bad, k_unicode) == "\xE2\x9C\x97 test  400ms (exit code 2)");
    CHECK(finished_line("test", bad, Style{true, true}) ==
          "\033[1;31m\xE2\x9C\x97\033[0m test  400ms (exit code 2)");
    auto timeout = ended(StepState::failure, 1000, "timed out after 1s");
    timeout.signal = "SIGTERM";
    CHECK(finished_line("t", timeout, k_ascii) == "FAIL t  1.0s (SIGTERM, timed out after 1s)");
    CHECK(finished_line("deploy", ended(StepState::skipped, 0, "", 0), k_ascii) ==
          "- deploy  skipped");
    CHECK(finished_line("build", ended(StepState::up_to_date, 0, "", 0), k_ascii) ==
          "= build  up-to-date");
    CHECK(finished_line("later", ended(StepState::cancelled, 0, "", 0), k_ascii) ==
          "! later  cancelled");
    auto cancelled = ended(StepState::cancelled, 2000, "cancelled");
    cancelled.signal = "SIGTERM";
    CHECK(finished_line("slow", cancelled, k_ascii) == "! slow  cancelled after 2.0s (SIGTERM)");
    auto retry = ended(StepState::failure, 300, "exit code 1");
    retry.will_retry = true;
    retry.retry_in = Duration{1000};
    CHECK(finished_line("flaky", retry, k_ascii) ==
          "~ flaky  attempt 1 failed in 300ms (exit code 1); retrying in 1.0s");
}

TEST_CASE("report::LiveReporter") {
    test::Capture out;
    SUBCASE("finished steps above the region, a failed step's last lines, the summary") {
        LiveReporter r(out.file, Verbosity::normal, k_ascii, {}, TermSize{80, 24});
        CHECK(r.tick_interval() == Duration{100});
        r.run_started(3, "build", 1, k_t0);
        CHECK(out.text() == "run 3 (build) started\033[K\n");
        r.step_started(3, "compile", 1, k_t0);
        r.tick(k_t0 + milliseconds{1500});
        CHECK(out.text() == "run 3 (build) started\033[K\n* compile  1.5s\033[K\n");
        r.tick(k_t0 + milliseconds{1520});  // the same frame: nothing written
        CHECK(out.text() == "run 3 (build) started\033[K\n* compile  1.5s\033[K\n");
        for (int i = 1; i <= 12; ++i) r.log(3, "compile", 2, "line " + std::to_string(i), k_t0);
        r.step_finished(3, "compile", ended(model::StepState::failure, 2000, "exit code 2"),
                        k_t0 + milliseconds{2000});
        const auto before = out.text().size();
        r.tick(k_t0 + milliseconds{2000});
        std::string expected =
            "\r\033[1A"
            "FAIL compile  2.0s (exit code 2)\033[K\n"
            "  | ... 2 earlier lines: weft logs 3 compile\033[K\n";
        for (int i = 3; i <= 12; ++i) expected += "  | line " + std::to_string(i) + "\033[K\n";
        expected += "\033[J";
        CHECK(out.text().substr(before) == expected);
        r.run_finished(3, "build", model::RunState::failure, Duration{2100}, "",
                       k_t0 + milliseconds{2100});
        CHECK(out.text().substr(before + expected.size()) ==
              "run 3 (build): failure in 2.1s\033[K\n");
    }
    SUBCASE("step output only when verbose, prefixed with the step id") {
        LiveReporter r(out.file, Verbosity::verbose, k_ascii, {}, TermSize{80, 24});
        r.run_started(1, "wf", 1, k_t0);
        r.step_started(1, "a", 1, k_t0);
        r.log(1, "a", 1, "hello \033[32mgreen\033[0m", k_t0);
        r.tick(k_t0 + milliseconds{100});
        CHECK(out.text() == "run 1 (wf) started\033[K\na | hello green\033[K\n* a  0.1s\033[K\n");
    }
    SUBCASE("quiet: no region, no ticks, only failures and the summary") {
        LiveReporter r(out.file, Verbosity::quiet, k_ascii, {}, TermSize{80, 24});
        CHECK(r.tick_interval() == Duration{0});
        r.run_started(1, "wf", 1, k_t0);
        r.step_started(1, "ok", 1, k_t0);
        r.step_started(1, "bad", 1, k_t0);
        r.log(1, "bad", 2, "oops", k_t0);
        r.step_finished(1, "ok", ended(model::StepState::success, 100), k_t0);
        r.step_finished(1, "bad", ended(model::StepState::failure, 100, "exit code 1"), k_t0);
        r.run_finished(1, "wf", model::RunState::failure, Duration{200}, "", k_t0);
        CHECK(out.text() ==
              "FAIL bad  100ms (exit code 1)\033[K\n  | oops\033[K\nrun 1 (wf): failure in "
              "200ms\033[K\n");
    }
    SUBCASE("a matrix step's instances counted as they end") {
        LiveReporter r(out.file, Verbosity::normal, k_ascii, {{"t", 2}}, TermSize{80, 24});
        r.run_started(1, "wf", 1, k_t0);
        r.step_started(1, "t[x=1]", 1, k_t0);
        r.step_started(1, "t[x=2]", 1, k_t0);
        r.step_finished(1, "t[x=1]", ended(model::StepState::success, 100),
                        k_t0 + milliseconds{100});
        const auto before = out.text().size();
        r.tick(k_t0 + milliseconds{100});
        CHECK(out.text().substr(before) ==
              "ok t[x=1]  100ms\033[K\n* t  1/2 running, 1 done\033[K\n  * t[x=2]  0.1s\033[K\n");
    }
}

TEST_CASE("report::step_of") {
    CHECK(step_of("compile") == "compile");
    CHECK(step_of("test[suite=unit,os=linux]") == "test");
}
