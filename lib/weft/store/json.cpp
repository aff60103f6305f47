// State names and the SPEC §6 JSON shapes of runs.
#include <algorithm>
#include <array>

#include "weft/store/sqlite_db.hpp"

namespace weft::store {
namespace {

constexpr std::array<const char*, 6> k_run_states = {"queued",  "running",   "success",
                                                     "failure", "cancelled", "interrupted"};
constexpr std::array<const char*, 8> k_step_states = {"pending",   "running",    "success",
                                                      "failure",   "skipped",    "up-to-date",
                                                      "cancelled", "interrupted"};

nlohmann::json time_json(const std::optional<TimePoint>& t) {
    return t ? nlohmann::json(format_rfc3339(*t)) : nlohmann::json(nullptr);
}

template <class T>
nlohmann::json opt_json(const std::optional<T>& v) {
    return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

}  // namespace

const char* to_string(RunState s) {
    return k_run_states[static_cast<std::size_t>(s)];
}
const char* to_string(StepState s) {
    return k_step_states[static_cast<std::size_t>(s)];
}

std::optional<RunState> parse_run_state(std::string_view name) {
    for (std::size_t i = 0; i < k_run_states.size(); ++i)
        if (name == k_run_states[i]) return static_cast<RunState>(i);
    return std::nullopt;
}

std::optional<StepState> parse_step_state(std::string_view name) {
    for (std::size_t i = 0; i < k_step_states.size(); ++i)
        if (name == k_step_states[i]) return static_cast<StepState>(i);
    return std::nullopt;
}

std::string dump_json(const nlohmann::json& value) {
    return value.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string json_text(const nlohmann::json& value) {
    return dump_json(value);
}

nlohmann::json parse_json_text(std::string_view text, nlohmann::json fallback) {
    auto parsed =
        nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    return parsed.is_discarded() ? fallback : parsed;
}

nlohmann::json run_json(const RunRow& run) {
    return {
        {"id", run.id},
        {"workflow", run.workflow},
        {"status", to_string(run.status)},
        {"trigger", run.trigger},
        {"started", time_json(run.started)},
        {"ended", time_json(run.ended)},
    };
}

nlohmann::json event_json(const EventRow& event) {
    nlohmann::json out = nlohmann::json::object();
    if (event.payload.is_object())
        out = event.payload;
    else if (!event.payload.is_null())
        out["payload"] = event.payload;
    out["id"] = event.id;
    out["kind"] = event.kind;
    out["time"] = format_rfc3339(event.time);
    return out;
}

nlohmann::json run_detail_json(const RunDetail& detail) {
    nlohmann::json steps = nlohmann::json::array();
    for (const StepRow& step : detail.steps) {
        steps.push_back({
            {"id", step.id},
            {"status", to_string(step.status)},
            {"attempts", step.attempts},
            // A signal ended it: no exit code (SPEC §6), whatever was recorded.
            {"exit_code", step.signal ? nlohmann::json(nullptr) : opt_json(step.exit_code)},
            {"signal", opt_json(step.signal)},
            {"started", time_json(step.started)},
            {"ended", time_json(step.ended)},
            {"outputs", step.outputs.is_object() ? step.outputs : nlohmann::json::object()},
        });
        // Why it ended, where the status alone does not say ("timed out after 1s").
        if (!step.message.empty()) steps.back()["message"] = step.message;
        // Lines beyond the log cap, over all attempts, when there were any.
        std::int64_t lines = 0, bytes = 0, cap = 0;
        for (const AttemptRow& a : step.attempt_rows) {
            lines += a.log_dropped_lines;
            bytes += a.log_dropped_bytes;
            cap = std::max(cap, a.log_cap.value_or(0));
        }
        // A Slurm step: the job of its last attempt (SPEC §8).
        if (!step.attempt_rows.empty() && step.attempt_rows.back().slurm)
            steps.back()["slurm_job"] = step.attempt_rows.back().slurm->job;
        if (lines > 0)
            steps.back()["log_dropped"] = {{"lines", lines}, {"bytes", bytes}, {"cap", cap}};
    }
    nlohmann::json out = {
        {"id", detail.run.id},
        {"workflow", detail.run.workflow},
        {"status", to_string(detail.run.status)},
        {"attempt", detail.run.attempt},
        {"event", event_json(detail.event)},
        {"steps", std::move(steps)},
    };
    if (!detail.run.message.empty()) out["message"] = detail.run.message;
    return out;
}

}  // namespace weft::store
