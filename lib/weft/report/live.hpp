#pragma once
// The live view of `weft run` on a terminal (SPEC §6): a region at the
// bottom of the screen, redrawn in place on each engine tick, with a line per
// running step and its elapsed time (a matrix step's instances under a
// `test  2/6 running` line); above it, printed once, each finished step with
// its state and duration and, when it failed, its last log lines.
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "weft/report/reporters.hpp"
#include "weft/report/terminal.hpp"

namespace weft::report {

// One step instance that is running or waiting for its next attempt.
struct LiveStep {
    std::string id;  // `compile`, `test[suite=unit]`
    TimePoint started{};
    int attempt = 1;
    std::optional<TimePoint> retry_at;  // set while it waits to retry
};

// What the live region shows.
struct LiveState {
    std::vector<LiveStep> running;         // in the order they started
    std::map<std::string, int> instances;  // matrix step -> how many instances it has
    std::map<std::string, int> ended;      // matrix step -> how many of them ended
};

// The live region for `state` at `now`, one string a line (without newline):
// at most `size.rows - 1` lines, the last of them `… 3 more running` when not
// all fit, each at most `size.cols - 1` columns so that no line wraps.
std::vector<std::string> render_frame(const LiveState& state, TimePoint now, TermSize size,
                                      const Style& style);

// The line printed once when a step ends (or an attempt fails and will be
// retried): `✓ compile  1.2s`, `✗ test  0.4s (exit code 2)`,
// `- deploy  skipped`, `⊘ slow  cancelled after 2.0s (SIGTERM)`.
std::string finished_line(const std::string& step, const engine::StepEnd& end, const Style& style);

// The step of instance `id`: `test` for `test[suite=unit]`.
std::string step_of(const std::string& id);

// How many log lines of a failed step the live view prints under it.
constexpr std::size_t k_tail_lines = 10;

// The live view. Step output is shown only when verbose (each line above the
// region, prefixed with its step's id) and as a failed step's last lines;
// quiet shows no region, only failed steps and the summary line. Step
// output is drawn terminal_safe(), with its colours when `style.color`.
class LiveReporter : public engine::Observer {
  public:
    // `matrix_sizes`: a matrix step's number of instances, by step id.
    // `fallback`: the size to draw for when `out` reports none.
    LiveReporter(std::FILE* out, Verbosity v, Style style, std::map<std::string, int> matrix_sizes,
                 TermSize fallback);
    Duration tick_interval() const override;
    void tick(TimePoint t) override;
    void problem(engine::Severity severity, const std::string& text) override;
    void run_started(model::RowId run, const std::string& workflow, int attempt,
                     TimePoint t) override;
    void step_started(model::RowId run, const std::string& step, int attempt, TimePoint t) override;
    void log(model::RowId run, const std::string& step, int stream, const std::string& text,
             TimePoint t) override;
    void step_finished(model::RowId run, const std::string& step, const engine::StepEnd& end,
                       TimePoint t) override;
    void run_finished(model::RowId run, const std::string& workflow, model::RunState status,
                      Duration d, const std::string& message, TimePoint t) override;

  private:
    struct Tail {
        std::deque<std::string> lines;  // the last k_tail_lines of the current attempt
        std::size_t count = 0;          // lines of the current attempt
    };
    // Move up over the region drawn last, print the pending lines, draw the
    // region for `now`: one write, nothing when nothing changed.
    void draw(TimePoint now);
    void write_out(const std::string& bytes);
    // Step output keeps its colours when the view has colour (SPEC §9.4).
    Colors colors() const { return m_style.color ? Colors::keep : Colors::drop; }

    std::FILE* m_out;
    Verbosity m_verbosity;
    Style m_style;
    TermSize m_size;
    model::RowId m_run = 0;
    LiveState m_state;
    std::map<std::string, Tail> m_tails;
    std::vector<std::string> m_pending;  // printed once, above the region, at the next draw
    std::vector<std::string> m_region;   // the region on screen
    bool m_finished = false;
};

}  // namespace weft::report
