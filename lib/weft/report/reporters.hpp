#pragma once
// Reporters print what the engine observes: plain lines for logs and CI
// (SPEC §6), or JSON lines for scripts (`--json`). The terminal's live view
// is in live.hpp, GitHub Actions' folded logs in github.hpp.
#include <cstdio>
#include <map>
#include <string>

#include "weft/engine/observer.hpp"
#include "weft/model/json.hpp"
#include "weft/model/run.hpp"

namespace weft::report {

enum class Verbosity { quiet, normal, verbose };
// Whether each line about a run names it `[WORKFLOW#RUN]`: `weft up`, whose
// runs interleave (SPEC §9.2 "Lines of weft up"), does.
enum class RunNames { no, yes };

// Plain lines: `run 3 (build) started`, `compile: started`,
// `compile | <output line>`, `compile: failure in 1.2s (exit code 2)`,
// `run 3 (build): failure in 1.5s`. With RunNames::yes every line starts
// with the run's name instead: `[build#3] started`, `[build#3] compile |
// <output line>`, `[build#3] compile: success in 1.2s`, `[build#3] failure in
// 1.5s`. Quiet prints only failures and the run's end. With `color`, state words are coloured
// (failure red). On a terminal (a narrow one, or TERM=dumb) output lines are terminal_safe(),
// keeping their colours only with `color`; elsewhere only invalid UTF-8 is replaced.
class PlainReporter : public engine::Observer {
  public:
    PlainReporter(std::FILE* out, Verbosity v, bool color = false, RunNames names = RunNames::no);
    void run_started(model::RowId run, const std::string& workflow, int attempt,
                     TimePoint t) override;
    void step_started(model::RowId run, const std::string& step, int attempt, TimePoint t) override;
    void log(model::RowId run, const std::string& step, int stream, const std::string& text,
             TimePoint t) override;
    void step_finished(model::RowId run, const std::string& step, const engine::StepEnd& end,
                       TimePoint t) override;
    void run_finished(model::RowId run, const std::string& workflow, model::RunState status,
                      Duration d, const std::string& message, TimePoint t) override;
    void problem(engine::Severity severity, const std::string& text) override;

  protected:
    // `compile: failure in 1.2s (exit code 2)`, without a newline.
    std::string finished_text(const std::string& step, const engine::StepEnd& end) const;
    // `[build#3] ` with RunNames::yes, else empty.
    std::string name_of(model::RowId run) const;

    std::FILE* m_out;
    Verbosity m_verbosity;
    bool m_color;
    bool m_terminal;
    RunNames m_names;
    std::map<model::RowId, std::string> m_workflows;  // running runs (RunNames::yes)
};

// One JSON object a line, each with "type", "run" and "time" (SPEC §6).
class JsonReporter : public engine::Observer {
  public:
    explicit JsonReporter(std::FILE* out) : m_out(out) {}
    void run_started(model::RowId run, const std::string& workflow, int attempt,
                     TimePoint t) override;
    void step_started(model::RowId run, const std::string& step, int attempt, TimePoint t) override;
    void log(model::RowId run, const std::string& step, int stream, const std::string& text,
             TimePoint t) override;
    void step_finished(model::RowId run, const std::string& step, const engine::StepEnd& end,
                       TimePoint t) override;
    void run_finished(model::RowId run, const std::string& workflow, model::RunState status,
                      Duration d, const std::string& message, TimePoint t) override;
    void problem(engine::Severity severity, const std::string& text) override;

  private:
    void emit(const nlohmann::json& j);
    std::FILE* m_out;
};

// `weft: error: TEXT` (or warning) on stderr: every reporter's problem().
void print_problem(engine::Severity severity, const std::string& text);

// `1.2s`, `35ms`, `2m03s`: a duration for humans.
std::string human_duration(Duration d);

// Why a step ended as it did, for humans: `exit code 2`, `SIGKILL`,
// `SIGTERM, timed out after 5s`, or the engine's message; empty when its
// state says it all.
std::string end_reason(const engine::StepEnd& end);

// `success in 1.2s (MESSAGE)`: how a run ended, for humans.
std::string run_end_text(model::RunState status, Duration d, const std::string& message,
                         bool color);

// The final line of every reporter but JSON: `run 3 (build): success in 1.2s`.
std::string summary_line(model::RowId run, const std::string& workflow, model::RunState status,
                         Duration d, const std::string& message, bool color);

}  // namespace weft::report
