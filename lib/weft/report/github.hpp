#pragma once
// Plain lines for GitHub Actions (`GITHUB_ACTIONS=true`, SPEC §6): each
// step's log folded in a `::group::`, a failed step reported with `::error`.
#include <map>
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

// The `::error` line for a failed step:
// `::error title=test::step test failed (exit code 2)`.
std::string gha_error(const std::string& step, const engine::StepEnd& end);

// Steps run in parallel and a group cannot interleave with another, so a
// step's log lines are kept until it ends, then printed at once:
// `::group::compile (success in 1.2s)`, the lines, `::endgroup::`. The
// plain `started` lines stay as they are; quiet prints only failed steps'
// groups and the summary.
class GithubReporter : public PlainReporter {
  public:
    GithubReporter(std::FILE* out, Verbosity v, bool color) : PlainReporter(out, v, color) {}
    void log(model::RowId run, const std::string& step, int stream, const std::string& text,
             TimePoint t) override;
    void step_finished(model::RowId run, const std::string& step, const engine::StepEnd& end,
                       TimePoint t) override;

  private:
    struct Held {
        std::vector<std::string> lines;
        std::size_t bytes = 0;
        std::size_t dropped = 0;  // lines past k_held_bytes
    };
    std::map<std::string, Held> m_held;  // per step instance, its current attempt's lines
};

// The most of one attempt's log held for its group, as the store's cap:
// a step that prints more is shown in full by `weft logs`.
constexpr std::size_t k_held_bytes = 10u << 20;

}  // namespace weft::report
