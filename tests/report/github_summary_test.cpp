#include <doctest/doctest.h>

#include <fstream>
#include <sstream>

#include "support/capture.hpp"
#include "support/temp_dir.hpp"
#include "weft/report/github.hpp"

using namespace weft;
using namespace weft::report;

namespace {

engine::StepEnd failed_with(int code, Duration d) {
    engine::StepEnd e;
    e.status = model::StepState::failure;
    e.exit_code = code;
    e.message = "exit code " + std::to_string(code);
    e.duration = d;
    return e;
}

std::string slurp(const std::filesystem::path& p) {
    std::ifstream f(p);
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
}

}  // namespace

TEST_CASE("report::gha_file_annotation") {
    CHECK(gha_file_annotation(engine::Severity::error, "wf.yaml", 3, 7, "unknown key 'ruun'") ==
          "::error file=wf.yaml,line=3,col=7::unknown key 'ruun'");
    CHECK(gha_file_annotation(engine::Severity::warning, "a,b:c.yaml", 0, 0, "50%\nx") ==
          "::warning file=a%2Cb%3Ac.yaml::50%25%0Ax");
}

TEST_CASE("report::gha_error: continue-on-error is a warning") {
    CHECK(gha_error("lint", failed_with(1, Duration{5}), engine::Severity::warning) ==
          "::warning title=lint::step lint failed (exit code 1); continue-on-error");
}

TEST_CASE("report::gha_summary") {
    engine::StepEnd ok;
    ok.duration = Duration{1200};
    engine::StepEnd skipped;
    skipped.status = model::StepState::skipped;
    skipped.attempt = 0;
    std::vector<SummaryStep> steps{
        {"build", ok, {}},
        {"test[os=a|b]", failed_with(2, Duration{300}), {"first", "has ``` inside"}},
        {"quiet", failed_with(1, Duration{40}), {}},
        {"deploy", skipped, {}},
    };
    CHECK(gha_summary(4, "ci", model::RunState::failure, Duration{1600}, "", steps) ==
          "### weft: run 4 (ci): failure in 1.6s\n\n"
          "| Step | Status | Duration |\n| --- | --- | --- |\n"
          "| build | success | 1.2s |\n"
          "| test[os=a\\|b] | failure (exit code 2) | 300ms |\n"
          "| quiet | failure (exit code 1) | 40ms |\n"
          "| deploy | skipped | - |\n"
          "\n#### test[os=a\\|b]: failure (exit code 2)\n\n"
          "````text\nfirst\nhas ``` inside\n````\n"
          "\n#### quiet: failure (exit code 1)\n\n(no output)\n\n");
}

TEST_CASE("report::GithubReporter: warnings, run timeout, summary file") {
    test::Capture out;
    test::TempDir tmp;
    const auto summary = tmp.path / "summary.md";
    std::ofstream(summary) << "before\n";
    const TimePoint t{};
    GithubReporter r(out.file, Verbosity::normal, false, {"lint"}, summary.string());
    r.run_started(9, "wf", 1, t);
    r.step_started(9, "lint", 1, t);
    for (int i = 1; i <= 25; ++i) r.log(9, "lint", 1, "line " + std::to_string(i), t);
    r.step_finished(9, "lint", failed_with(1, Duration{100}), t);
    engine::StepEnd cancelled;
    cancelled.status = model::StepState::cancelled;
    cancelled.signal = "SIGTERM";
    cancelled.duration = Duration{1000};
    r.step_started(9, "slow", 1, t);
    r.step_finished(9, "slow", cancelled, t);
    r.run_finished(9, "wf", model::RunState::failure, Duration{1000}, "the run timed out after 1s",
                   t);
    const std::string text = out.text();
    CHECK(text.find("::warning title=lint::step lint failed (exit code 1); continue-on-error\n") !=
          std::string::npos);
    CHECK(text.find("::error title=lint") == std::string::npos);
    CHECK(text.find("::error title=run 9 (wf)::the run timed out after 1s\n") != std::string::npos);

    const std::string md = slurp(summary);
    CHECK(
        md.rfind("before\n### weft: run 9 (wf): failure in 1.0s\n\n> the run timed out after 1s\n",
                 0) == 0);
    CHECK(md.find("| lint | failure (exit code 1) | 100ms |\n") != std::string::npos);
    CHECK(md.find("| slow | cancelled (SIGTERM) | 1.0s |\n") != std::string::npos);
    // the last 20 lines of the failed step, not the first 5
    CHECK(md.find("```text\nline 6\n") != std::string::npos);
    CHECK(md.find("line 5\n") == std::string::npos);
    CHECK(md.find("line 25\n```\n") != std::string::npos);
}
