#pragma once
// Plain lines for GitHub Actions (`GITHUB_ACTIONS=true`, SPEC §6, §9.3):
// each step's log folded in a `::group::`, a failed step reported with
// `::error` (`::warning` under continue-on-error), a run that timed out with
// `::error`, and a Markdown summary appended to `GITHUB_STEP_SUMMARY`.
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "weft/report/reporters.hpp"

namespace weft::report {

// A workflow command's message with `%`, `\r` and `\n` escaped as GitHub
// requires (`%25`, `%0D`, `%0A`), so it stays one command.
std::string gha_escape_data(std::string_view text);

// A workflow command's property value (`title=`): as gha_escape_data, and
// `:` and `,` too (`%3A`, `%2C`), which would end the value.
std::string gha_escape_property(std::string_view text);

// Whether weft runs under GitHub Actions: `GITHUB_ACTIONS` is `true`.
bool under_github_actions();

// The `::error` line for a failed step:
// `::error title=test::step test failed (exit code 2)`; `::warning` with
// engine::Severity::warning (a continue-on-error step).
std::string gha_error(const std::string& step, const engine::StepEnd& end,
                      engine::Severity severity = engine::Severity::error);

// A file annotation: `::error file=F,line=L,col=C::MESSAGE` (`::warning`
// with Severity::warning); `line` and `col` are left out when `line` is 0.
std::string gha_file_annotation(engine::Severity severity, const std::string& file, int line,
                                int col, std::string_view message);

// What the summary says of a run: its line, each step's end in the order the
// steps ended, and the last lines of each step that failed.
struct SummaryStep {
    std::string step;
    engine::StepEnd end;
    std::vector<std::string> tail;  // the last k_summary_lines of a failed step's log
};
inline constexpr std::size_t k_summary_lines = 20;

// The Markdown appended to GITHUB_STEP_SUMMARY for a run: a heading with its
// end, a table of steps (status and duration), and a section with the last
// log lines of each failed step, in a code fence longer than any backtick
// run in them.
std::string gha_summary(model::RowId run, const std::string& workflow, model::RunState status,
                        Duration d, const std::string& message,
                        const std::vector<SummaryStep>& steps);

// Steps run in parallel and a group cannot interleave with another, so a
// step's log lines are kept until it ends, then printed at once:
// `::group::compile (success in 1.2s)`, the lines, `::endgroup::`. The
// plain `started` lines stay as they are; quiet prints only failed steps'
// groups and the summary. A failure of a step instance in
// `continue_on_error` is a `::warning`. A run that ends failed with a
// message (its `timeout`) adds an `::error`. With `summary_path` (the
// value of GITHUB_STEP_SUMMARY) the run's summary is appended to that file
// when the run ends; a file that cannot be written is a warning on stderr.
class GithubReporter : public PlainReporter {
  public:
    GithubReporter(std::FILE* out, Verbosity v, bool color,
                   std::set<std::string> continue_on_error = {}, std::string summary_path = {})
        : PlainReporter(out, v, color),
          m_continue_on_error(std::move(continue_on_error)),
          m_summary_path(std::move(summary_path)) {}
    void log(model::RowId run, const std::string& step, int stream, const std::string& text,
             TimePoint t) override;
    void step_finished(model::RowId run, const std::string& step, const engine::StepEnd& end,
                       TimePoint t) override;
    void run_finished(model::RowId run, const std::string& workflow, model::RunState status,
                      Duration d, const std::string& message, TimePoint t) override;

  private:
    struct Held {
        std::vector<std::string> lines;
        std::size_t bytes = 0;
        std::size_t dropped = 0;  // lines past k_held_bytes
    };
    std::map<std::string, Held> m_held;  // per step instance, its current attempt's lines
    std::set<std::string> m_continue_on_error;
    std::string m_summary_path;
    std::vector<SummaryStep> m_ended;  // for the summary
};

// The most of one attempt's log held for its group, as the store's cap:
// a step that prints more is shown in full by `weft logs`.
constexpr std::size_t k_held_bytes = 10u << 20;

}  // namespace weft::report
