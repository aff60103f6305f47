#include "weft/report/reporters.hpp"

#include "weft/report/terminal.hpp"

namespace weft::report {

std::string human_duration(Duration d) {
    const long long ms = d.count();
    char buf[32];
    if (ms < 1000)
        std::snprintf(buf, sizeof buf, "%lldms", ms);
    else if (ms < 60'000)
        std::snprintf(buf, sizeof buf, "%.1fs", static_cast<double>(ms) / 1000.0);
    else if (ms < 3'600'000)
        std::snprintf(buf, sizeof buf, "%lldm%02llds", ms / 60'000, ms / 1000 % 60);
    else
        std::snprintf(buf, sizeof buf, "%lldh%02lldm", ms / 3'600'000, ms / 60'000 % 60);
    return buf;
}

std::string end_reason(const engine::StepEnd& end) {
    if (end.signal)
        return *end.signal + (end.message.rfind("timed out", 0) == 0 ? ", " + end.message : "");
    return end.message;
}

std::string summary_line(store::RowId run, const std::string& workflow, store::RunState status,
                         Duration d, const std::string& message, bool color) {
    return "run " + std::to_string(run) + " (" + workflow +
           "): " + paint(store::to_string(status), tone_of(status), Style{color, false}) + " in " +
           human_duration(d) + (message.empty() ? "" : " (" + message + ")");
}

namespace {

std::string end_detail(const engine::StepEnd& end) {
    const std::string why = end_reason(end);
    return why.empty() ? "" : " (" + why + ")";
}

}  // namespace

void PlainReporter::run_started(store::RowId run, const std::string& workflow, int attempt,
                                TimePoint) {
    if (m_verbosity == Verbosity::quiet) return;
    std::fprintf(m_out, "run %lld (%s) started%s\n", static_cast<long long>(run), workflow.c_str(),
                 attempt > 1 ? (", attempt " + std::to_string(attempt)).c_str() : "");
    std::fflush(m_out);
}

void PlainReporter::step_started(store::RowId, const std::string& step, int attempt, TimePoint) {
    if (m_verbosity == Verbosity::quiet) return;
    if (attempt > 1)
        std::fprintf(m_out, "%s: started, attempt %d\n", step.c_str(), attempt);
    else
        std::fprintf(m_out, "%s: started\n", step.c_str());
    std::fflush(m_out);
}

void PlainReporter::log(store::RowId, const std::string& step, int, const std::string& text,
                        TimePoint) {
    if (m_verbosity == Verbosity::quiet) return;
    std::fprintf(m_out, "%s | %s\n", step.c_str(),
                 is_valid_utf8(text) ? text.c_str() : valid_utf8(text).c_str());
}

std::string PlainReporter::finished_text(const std::string& step,
                                         const engine::StepEnd& end) const {
    const Style style{m_color, false};
    if (end.will_retry)
        return step + ": attempt " + std::to_string(end.attempt) + " " +
               paint("failed", Tone::bad, style) + " in " + human_duration(end.duration) +
               end_detail(end) + "; retrying in " + human_duration(end.retry_in);
    const std::string word = paint(store::to_string(end.status), tone_of(end.status), style);
    if (end.status == store::StepState::skipped || end.status == store::StepState::up_to_date ||
        (end.status == store::StepState::cancelled && end.attempt == 0))
        return step + ": " + word + end_detail(end);
    return step + ": " + word + " in " + human_duration(end.duration) + end_detail(end);
}

void PlainReporter::step_finished(store::RowId, const std::string& step, const engine::StepEnd& end,
                                  TimePoint) {
    const bool bad = end.status == store::StepState::failure;
    if (m_verbosity == Verbosity::quiet && !bad) return;
    std::fprintf(m_out, "%s\n", finished_text(step, end).c_str());
    std::fflush(m_out);
}

void PlainReporter::run_finished(store::RowId run, const std::string& workflow,
                                 store::RunState status, Duration d, const std::string& message,
                                 TimePoint) {
    std::fprintf(m_out, "%s\n", summary_line(run, workflow, status, d, message, m_color).c_str());
    std::fflush(m_out);
}

void JsonReporter::emit(const nlohmann::json& j) {
    std::fprintf(m_out, "%s\n", store::dump_json(j).c_str());
    std::fflush(m_out);
}

void JsonReporter::run_started(store::RowId run, const std::string& workflow, int attempt,
                               TimePoint t) {
    emit({{"type", "run_started"},
          {"run", run},
          {"workflow", workflow},
          {"attempt", attempt},
          {"time", format_rfc3339(t)}});
}

void JsonReporter::step_started(store::RowId run, const std::string& step, int attempt,
                                TimePoint t) {
    emit({{"type", "step_started"},
          {"run", run},
          {"step", step},
          {"attempt", attempt},
          {"time", format_rfc3339(t)}});
}

void JsonReporter::log(store::RowId run, const std::string& step, int stream,
                       const std::string& text, TimePoint t) {
    emit({{"type", "log"},
          {"run", run},
          {"step", step},
          {"stream", stream == 1 ? "stdout" : "stderr"},
          {"text", valid_utf8(text)},  // one U+FFFD a bad byte, as in plain lines
          {"time", format_rfc3339(t)}});
}

void JsonReporter::step_finished(store::RowId run, const std::string& step,
                                 const engine::StepEnd& end, TimePoint t) {
    nlohmann::json j{
        {"type", end.will_retry ? "step_retry" : "step_finished"},
        {"run", run},
        {"step", step},
        {"status", end.will_retry ? "failure" : store::to_string(end.status)},
        {"attempt", end.attempt},
        {"exit_code", end.exit_code ? nlohmann::json(*end.exit_code) : nlohmann::json(nullptr)},
        {"signal", end.signal ? nlohmann::json(*end.signal) : nlohmann::json(nullptr)},
        {"duration_ms", end.duration.count()},
        {"time", format_rfc3339(t)}};
    if (!end.message.empty()) j["message"] = end.message;
    if (end.will_retry) j["retry_in_ms"] = end.retry_in.count();
    emit(j);
}

void JsonReporter::run_finished(store::RowId run, const std::string& workflow,
                                store::RunState status, Duration d, const std::string& message,
                                TimePoint t) {
    nlohmann::json j{{"type", "run_finished"},   {"run", run},
                     {"workflow", workflow},     {"status", store::to_string(status)},
                     {"duration_ms", d.count()}, {"time", format_rfc3339(t)}};
    if (!message.empty()) j["message"] = message;
    emit(j);
}

void print_problem(engine::Severity severity, const std::string& text) {
    std::fprintf(stderr, "weft: %s: %s\n",
                 severity == engine::Severity::error ? "error" : "warning", text.c_str());
}

void PlainReporter::problem(engine::Severity severity, const std::string& text) {
    print_problem(severity, text);
}

void JsonReporter::problem(engine::Severity severity, const std::string& text) {
    print_problem(severity, text);
}

}  // namespace weft::report
