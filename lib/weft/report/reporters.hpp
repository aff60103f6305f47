#pragma once
// Reporters print what the engine observes: plain lines for logs and CI
// (SPEC §6), or JSON lines for scripts (`--json`).
#include <cstdio>

#include "weft/engine/observer.hpp"

namespace weft::report {

enum class Verbosity { quiet, normal, verbose };

// Plain lines: `run 3 (build) started`, `compile: started`,
// `compile | <output line>`, `compile: failure in 1.2s (exit code 2)`,
// `run 3 (build): failure in 1.5s`. Quiet prints only failures and the run's end.
class PlainReporter : public engine::Observer {
public:
    PlainReporter(std::FILE* out, Verbosity v) : m_out(out), m_verbosity(v) {}
    void run_started(store::RowId run, const std::string& workflow, int attempt, TimePoint t) override;
    void step_started(store::RowId run, const std::string& step, int attempt, TimePoint t) override;
    void log(store::RowId run, const std::string& step, int stream, const std::string& text, TimePoint t) override;
    void step_finished(store::RowId run, const std::string& step, const engine::StepEnd& end, TimePoint t) override;
    void run_finished(store::RowId run, const std::string& workflow, store::RunState status, Duration d,
                      const std::string& message, TimePoint t) override;

private:
    std::FILE* m_out;
    Verbosity m_verbosity;
};

// One JSON object a line, each with "type", "run" and "time" (SPEC §6).
class JsonReporter : public engine::Observer {
public:
    explicit JsonReporter(std::FILE* out) : m_out(out) {}
    void run_started(store::RowId run, const std::string& workflow, int attempt, TimePoint t) override;
    void step_started(store::RowId run, const std::string& step, int attempt, TimePoint t) override;
    void log(store::RowId run, const std::string& step, int stream, const std::string& text, TimePoint t) override;
    void step_finished(store::RowId run, const std::string& step, const engine::StepEnd& end, TimePoint t) override;
    void run_finished(store::RowId run, const std::string& workflow, store::RunState status, Duration d,
                      const std::string& message, TimePoint t) override;

private:
    void emit(const nlohmann::json& j);
    std::FILE* m_out;
};

// `1.2s`, `35ms`, `2m03s`: a duration for humans.
std::string human_duration(Duration d);

} // namespace weft::report
