#include <doctest/doctest.h>

#include "support/capture.hpp"
#include "weft/report/github.hpp"

using namespace weft;
using namespace weft::report;

TEST_CASE("report::gha_escape") {
    CHECK(gha_escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext");
    CHECK(gha_escape_data("a:b,c") == "a:b,c");
    CHECK(gha_escape_property("test[suite=a,b]: x%") == "test[suite=a%2Cb]%3A x%25");
}

TEST_CASE("report::gha_error") {
    engine::StepEnd end;
    end.status = model::StepState::failure;
    end.exit_code = 2;
    end.message = "exit code 2";
    CHECK(gha_error("test", end) == "::error title=test::step test failed (exit code 2)");
    end.exit_code.reset();
    end.signal = "SIGTERM";
    end.message = "timed out after 5s";
    CHECK(gha_error("m[os=a,b]", end) ==
          "::error title=m[os=a%2Cb]::step m[os=a,b] failed (SIGTERM, timed out after 5s)");
    end.signal.reset();
    end.message = "bad output\nline";
    CHECK(gha_error("o", end) == "::error title=o::step o failed (bad output%0Aline)");
}

TEST_CASE("report::GithubReporter") {
    test::Capture out;
    const TimePoint t{};
    engine::StepEnd ok;
    ok.duration = Duration{1200};
    engine::StepEnd bad;
    bad.status = model::StepState::failure;
    bad.exit_code = 3;
    bad.message = "exit code 3";
    bad.duration = Duration{400};
    SUBCASE("each step's lines together in its group, however they interleaved") {
        GithubReporter r(out.file, Verbosity::normal, false);
        r.run_started(1, "wf", 1, t);
        r.step_started(1, "a", 1, t);
        r.step_started(1, "b", 1, t);
        r.log(1, "a", 1, "a1", t);
        r.log(1, "b", 1, "b1", t);
        r.log(1, "a", 2, "a2 \xFF", t);
        r.step_finished(1, "b", bad, t);
        r.step_finished(1, "a", ok, t);
        engine::StepEnd skipped;
        skipped.status = model::StepState::skipped;
        skipped.attempt = 0;
        r.step_finished(1, "c", skipped, t);
        r.run_finished(1, "wf", model::RunState::failure, Duration{1300}, "", t);
        CHECK(out.text() ==
              "run 1 (wf) started\n"
              "a: started\n"
              "b: started\n"
              "::group::b (failure in 400ms, exit code 3)\n"
              "b1\n"
              "::endgroup::\n"
              "::error title=b::step b failed (exit code 3)\n"
              "::group::a (success in 1.2s)\n"
              "a1\n"
              "a2 \xEF\xBF\xBD\n"
              "::endgroup::\n"
              "c: skipped\n"
              "run 1 (wf): failure in 1.3s\n");
    }
    SUBCASE("quiet: only failed steps' groups and the summary") {
        GithubReporter r(out.file, Verbosity::quiet, false);
        r.run_started(1, "wf", 1, t);
        r.step_started(1, "a", 1, t);
        r.log(1, "a", 1, "a1", t);
        r.step_finished(1, "a", ok, t);
        r.step_started(1, "b", 1, t);
        r.log(1, "b", 1, "b1", t);
        r.step_finished(1, "b", bad, t);
        r.run_finished(1, "wf", model::RunState::failure, Duration{1300}, "", t);
        CHECK(out.text() ==
              "::group::b (failure in 400ms, exit code 3)\nb1\n::endgroup::\n"
              "::error title=b::step b failed (exit code 3)\n"
              "run 1 (wf): failure in 1.3s\n");
    }
}
