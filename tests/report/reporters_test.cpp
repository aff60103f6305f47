#include <doctest/doctest.h>

#include "support/capture.hpp"
#include "weft/report/reporters.hpp"
#include "weft/util/strings.hpp"

using namespace weft;
using namespace weft::report;

TEST_CASE("report::JsonReporter") {
    test::Capture out;
    JsonReporter r(out.file);
    const TimePoint t{};
    SUBCASE("output that is not valid UTF-8 is replaced, never a crash") {
        r.log(4, "s", 1, "\xFF\xFE", t);
        r.log(4, "s", 2, "cut \xE2\x82", t);
        const auto lines = split(out.text(), '\n');
        REQUIRE(lines.size() == 3);  // two lines and the empty rest after the last newline
        auto first = nlohmann::json::parse(lines[0]);
        CHECK(first["type"] == "log");
        CHECK(first["run"] == 4);
        CHECK(first["time"] == "1970-01-01T00:00:00.000Z");
        CHECK(first["stream"] == "stdout");
        CHECK(first["text"] == "\xEF\xBF\xBD\xEF\xBF\xBD");
        CHECK(nlohmann::json::parse(lines[1])["text"] == "cut \xEF\xBF\xBD\xEF\xBF\xBD");
    }
    SUBCASE("a failed attempt that will be retried is a step_retry") {
        engine::StepEnd end;
        end.status = model::StepState::failure;
        end.exit_code = 1;
        end.will_retry = true;
        end.retry_in = Duration{500};
        r.step_finished(4, "flaky", end, t);
        auto j = nlohmann::json::parse(out.text());
        CHECK(j["type"] == "step_retry");
        CHECK(j["retry_in_ms"] == 500);
        CHECK(j["exit_code"] == 1);
    }
}

TEST_CASE("report::PlainReporter colour") {
    test::Capture out;
    engine::StepEnd bad;
    bad.status = model::StepState::failure;
    bad.message = "exit code 2";
    bad.duration = Duration{1200};
    SUBCASE("state words coloured when asked") {
        PlainReporter r(out.file, Verbosity::normal, true);
        r.step_finished(1, "test", bad, TimePoint{});
        r.run_finished(1, "wf", model::RunState::success, Duration{1500}, "", TimePoint{});
        CHECK(out.text() ==
              "test: \033[1;31mfailure\033[0m in 1.2s (exit code 2)\n"
              "run 1 (wf): \033[32msuccess\033[0m in 1.5s\n");
    }
    SUBCASE("no escape sequences otherwise") {
        PlainReporter r(out.file, Verbosity::normal, false);
        r.step_finished(1, "test", bad, TimePoint{});
        CHECK(out.text() == "test: failure in 1.2s (exit code 2)\n");
    }
}

TEST_CASE("report::PlainReporter run names") {
    test::Capture out;
    const TimePoint t{};
    engine::StepEnd ok;
    ok.duration = Duration{3000};
    SUBCASE("weft up: every line about a run names it, runs interleaved") {
        PlainReporter r(out.file, Verbosity::normal, false, RunNames::yes);
        r.run_started(12, "backup", 1, t);
        r.run_started(13, "alerts", 2, t);
        r.step_started(12, "dump", 1, t);
        r.log(13, "s", 1, "hello", t);
        r.step_finished(12, "dump", ok, t);
        r.run_finished(12, "backup", model::RunState::success, Duration{3100}, "", t);
        r.run_finished(13, "alerts", model::RunState::failure, Duration{50}, "timed out", t);
        CHECK(out.text() ==
              "[backup#12] started\n"
              "[alerts#13] started, attempt 2\n"
              "[backup#12] dump: started\n"
              "[alerts#13] s | hello\n"
              "[backup#12] dump: success in 3.0s\n"
              "[backup#12] success in 3.1s\n"
              "[alerts#13] failure in 50ms (timed out)\n");
    }
    SUBCASE("weft run: the lines of one run, unnamed") {
        PlainReporter r(out.file, Verbosity::normal, false);
        r.run_started(12, "backup", 1, t);
        r.step_finished(12, "dump", ok, t);
        r.run_finished(12, "backup", model::RunState::success, Duration{3100}, "", t);
        CHECK(out.text() ==
              "run 12 (backup) started\n"
              "dump: success in 3.0s\n"
              "run 12 (backup): success in 3.1s\n");
    }
}
