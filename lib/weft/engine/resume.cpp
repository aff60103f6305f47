#include "weft/engine/resume.hpp"

namespace weft::engine {

Result<Resume> plan_resume(const store::RunDetail& detail) {
    using model::RunState;
    using model::StepState;
    const auto& run = detail.run;
    if (run.status != RunState::interrupted && run.status != RunState::failure &&
        run.status != RunState::cancelled)
        return make_error(Errc::invalid,
                          "run " + std::to_string(run.id) + " is " + model::to_string(run.status) +
                              "; only interrupted, failed and cancelled runs can be resumed");
    Resume resume;
    resume.run = run.id;
    resume.attempt = run.attempt + 1;
    for (const auto& step : detail.steps) {
        resume.attempts[step.id] = step.attempts;
        if (step.status == StepState::success || step.status == StepState::up_to_date)
            resume.done[step.id] = step.outputs;
        else if (!step.attempt_rows.empty() &&
                 step.attempt_rows.back().status == StepState::running &&
                 step.attempt_rows.back().slurm)
            resume.reattach[step.id] = step.attempt_rows.back();
    }
    return resume;
}

}  // namespace weft::engine
