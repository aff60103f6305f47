#include "weft/report/json.hpp"

#include <algorithm>

#include "weft/model/run.hpp"
#include "weft/util/time.hpp"

namespace weft::report {
namespace {

using model::Json;

Json time_json(const std::optional<TimePoint>& t) {
    return t ? Json(format_rfc3339(*t)) : Json(nullptr);
}

template <class T>
Json opt_json(const std::optional<T>& v) {
    return v ? Json(*v) : Json(nullptr);
}

Json step_json(const store::StepRow& step) {
    Json out = {
        {"id", step.id},
        {"status", model::to_string(step.status)},
        {"attempts", step.attempts},
        // A signal ended it: no exit code (SPEC §6), whatever was recorded.
        {"exit_code", step.signal ? Json(nullptr) : opt_json(step.exit_code)},
        {"signal", opt_json(step.signal)},
        {"started", time_json(step.started)},
        {"ended", time_json(step.ended)},
        {"outputs", step.outputs.is_object() ? step.outputs : Json::object()},
    };
    // Why it ended, where the status alone does not say ("timed out after 1s").
    if (!step.message.empty()) out["message"] = step.message;
    // Lines beyond the log cap, over all attempts, when there were any.
    std::int64_t lines = 0, bytes = 0, cap = 0;
    for (const store::AttemptRow& a : step.attempt_rows) {
        lines += a.log_dropped_lines;
        bytes += a.log_dropped_bytes;
        cap = std::max(cap, a.log_cap.value_or(0));
    }
    // A Slurm step: the job of its last attempt (SPEC §8).
    if (!step.attempt_rows.empty() && step.attempt_rows.back().slurm)
        out["slurm_job"] = step.attempt_rows.back().slurm->job;
    if (lines > 0) out["log_dropped"] = {{"lines", lines}, {"bytes", bytes}, {"cap", cap}};
    return out;
}

}  // namespace

Json run_json(const store::RunRow& run) {
    return {
        {"id", run.id},
        {"workflow", run.workflow},
        {"status", model::to_string(run.status)},
        {"trigger", run.trigger},
        {"started", time_json(run.started)},
        {"ended", time_json(run.ended)},
    };
}

Json run_detail_json(const store::RunDetail& detail) {
    Json steps = Json::array();
    for (const store::StepRow& step : detail.steps) steps.push_back(step_json(step));
    Json out = {
        {"id", detail.run.id},
        {"workflow", detail.run.workflow},
        {"status", model::to_string(detail.run.status)},
        {"attempt", detail.run.attempt},
        {"event", store::event_json(detail.event)},
        {"steps", std::move(steps)},
    };
    if (!detail.run.message.empty()) out["message"] = detail.run.message;
    return out;
}

Json child_runs_json(const std::vector<store::ChildRun>& children) {
    Json out = Json::array();
    for (const auto& c : children) out.push_back({{"step", c.step}, {"run", c.run}});
    return out;
}

}  // namespace weft::report
