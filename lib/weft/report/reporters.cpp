#include "weft/report/reporters.hpp"

#include "weft/model/json.hpp"
#include "weft/report/terminal.hpp"
#include "weft/util/out.hpp"

namespace weft::report {

std::string human_duration(Duration d) {
    const long long ms = d.count();
    if (ms < 1000) return fmt::format("{}ms", ms);
    if (ms < 60'000) return fmt::format("{:.1f}s", static_cast<double>(ms) / 1000.0);
    if (ms < 3'600'000) return fmt::format("{}m{:02}s", ms / 60'000, ms / 1000 % 60);
    return fmt::format("{}h{:02}m", ms / 3'600'000, ms / 60'000 % 60);
}

std::string end_reason(const engine::StepEnd& end) {
    if (end.signal)
        return *end.signal + (end.message.rfind("timed out", 0) == 0 ? ", " + end.message : "");
    return end.message;
}

std::string run_end_text(model::RunState status, Duration d, const std::string& message,
                         bool color) {
    return paint(model::to_string(status), tone_of(status), Style{color, false}) + " in " +
           human_duration(d) + (message.empty() ? "" : " (" + message + ")");
}

std::string summary_line(model::RowId run, const std::string& workflow, model::RunState status,
                         Duration d, const std::string& message, bool color) {
    return "run " + std::to_string(run) + " (" + workflow +
           "): " + run_end_text(status, d, message, color);
}

namespace {

std::string end_detail(const engine::StepEnd& end) {
    const std::string why = end_reason(end);
    return why.empty() ? "" : " (" + why + ")";
}

}  // namespace

PlainReporter::PlainReporter(std::FILE* out, Verbosity v, bool color, RunNames names)
    : m_out(out), m_verbosity(v), m_color(color), m_terminal(is_terminal(out)), m_names(names) {}

std::string PlainReporter::name_of(model::RowId run) const {
    if (m_names == RunNames::no) return {};
    const auto it = m_workflows.find(run);
    return fmt::format("[{}#{}] ", it == m_workflows.end() ? "run" : it->second, run);
}

void PlainReporter::run_started(model::RowId run, const std::string& workflow, int attempt,
                                TimePoint) {
    if (m_names == RunNames::yes) m_workflows[run] = workflow;
    if (m_verbosity == Verbosity::quiet) return;
    const std::string again = attempt > 1 ? ", attempt " + std::to_string(attempt) : "";
    if (m_names == RunNames::yes)
        out::print_to(m_out, "{}started{}\n", name_of(run), again);
    else
        out::print_to(m_out, "run {} ({}) started{}\n", run, workflow, again);
    std::fflush(m_out);
}

void PlainReporter::step_started(model::RowId run, const std::string& step, int attempt,
                                 TimePoint) {
    if (m_verbosity == Verbosity::quiet) return;
    if (attempt > 1)
        out::print_to(m_out, "{}{}: started, attempt {}\n", name_of(run), step, attempt);
    else
        out::print_to(m_out, "{}{}: started\n", name_of(run), step);
    std::fflush(m_out);
}

void PlainReporter::log(model::RowId run, const std::string& step, int, const std::string& text,
                        TimePoint) {
    if (m_verbosity == Verbosity::quiet) return;
    const std::string name = name_of(run);
    if (m_terminal)
        out::print_to(m_out, "{}{} | {}\n", terminal_safe(name), terminal_safe(step),
                      terminal_safe(text, m_color ? Colors::keep : Colors::drop));
    else if (is_valid_utf8(text))  // the common case: no copy
        out::print_to(m_out, "{}{} | {}\n", name, step, text);
    else
        out::print_to(m_out, "{}{} | {}\n", name, step, valid_utf8(text));
}

std::string PlainReporter::finished_text(const std::string& step,
                                         const engine::StepEnd& end) const {
    const Style style{m_color, false};
    if (end.will_retry)
        return step + ": attempt " + std::to_string(end.attempt) + " " +
               paint("failed", Tone::bad, style) + " in " + human_duration(end.duration) +
               end_detail(end) + "; retrying in " + human_duration(end.retry_in);
    const std::string word = paint(model::to_string(end.status), tone_of(end.status), style);
    if (end.status == model::StepState::skipped || end.status == model::StepState::up_to_date ||
        (end.status == model::StepState::cancelled && end.attempt == 0))
        return step + ": " + word + end_detail(end);
    return step + ": " + word + " in " + human_duration(end.duration) + end_detail(end);
}

void PlainReporter::step_finished(model::RowId run, const std::string& step,
                                  const engine::StepEnd& end, TimePoint) {
    const bool bad = end.status == model::StepState::failure;
    if (m_verbosity == Verbosity::quiet && !bad) return;
    out::print_to(m_out, "{}{}\n", name_of(run), finished_text(step, end));
    std::fflush(m_out);
}

void PlainReporter::run_finished(model::RowId run, const std::string& workflow,
                                 model::RunState status, Duration d, const std::string& message,
                                 TimePoint) {
    if (m_names == RunNames::yes) {
        m_workflows[run] = workflow;  // a run that ended before it started (a resume refused)
        out::print_to(m_out, "{}{}\n", name_of(run), run_end_text(status, d, message, m_color));
        m_workflows.erase(run);
    } else {
        out::print_to(m_out, "{}\n", summary_line(run, workflow, status, d, message, m_color));
    }
    std::fflush(m_out);
}

void JsonReporter::emit(const nlohmann::json& j) {
    out::print_to(m_out, "{}\n", model::dump_json(j));
    std::fflush(m_out);
}

void JsonReporter::run_started(model::RowId run, const std::string& workflow, int attempt,
                               TimePoint t) {
    emit({{"type", "run_started"},
          {"run", run},
          {"workflow", workflow},
          {"attempt", attempt},
          {"time", format_rfc3339(t)}});
}

void JsonReporter::step_started(model::RowId run, const std::string& step, int attempt,
                                TimePoint t) {
    emit({{"type", "step_started"},
          {"run", run},
          {"step", step},
          {"attempt", attempt},
          {"time", format_rfc3339(t)}});
}

void JsonReporter::log(model::RowId run, const std::string& step, int stream,
                       const std::string& text, TimePoint t) {
    emit({{"type", "log"},
          {"run", run},
          {"step", step},
          {"stream", stream == 1 ? "stdout" : "stderr"},
          {"text", valid_utf8(text)},  // one U+FFFD a bad byte, as in plain lines
          {"time", format_rfc3339(t)}});
}

void JsonReporter::step_finished(model::RowId run, const std::string& step,
                                 const engine::StepEnd& end, TimePoint t) {
    nlohmann::json j{
        {"type", end.will_retry ? "step_retry" : "step_finished"},
        {"run", run},
        {"step", step},
        {"status", end.will_retry ? "failure" : model::to_string(end.status)},
        {"attempt", end.attempt},
        {"exit_code", end.exit_code ? nlohmann::json(*end.exit_code) : nlohmann::json(nullptr)},
        {"signal", end.signal ? nlohmann::json(*end.signal) : nlohmann::json(nullptr)},
        {"duration_ms", end.duration.count()},
        {"time", format_rfc3339(t)}};
    if (!end.message.empty()) j["message"] = end.message;
    if (end.will_retry) j["retry_in_ms"] = end.retry_in.count();
    emit(j);
}

void JsonReporter::run_finished(model::RowId run, const std::string& workflow,
                                model::RunState status, Duration d, const std::string& message,
                                TimePoint t) {
    nlohmann::json j{{"type", "run_finished"},   {"run", run},
                     {"workflow", workflow},     {"status", model::to_string(status)},
                     {"duration_ms", d.count()}, {"time", format_rfc3339(t)}};
    if (!message.empty()) j["message"] = message;
    emit(j);
}

void print_problem(engine::Severity severity, const std::string& text) {
    out::message("weft: {}: {}\n", severity == engine::Severity::error ? "error" : "warning", text);
}

void PlainReporter::problem(engine::Severity severity, const std::string& text) {
    print_problem(severity, text);
}

void JsonReporter::problem(engine::Severity severity, const std::string& text) {
    print_problem(severity, text);
}

}  // namespace weft::report
