#pragma once
// `weft resume`: what a run's next attempt keeps and what it follows again.
#include "weft/engine/engine.hpp"

namespace weft::engine {

// The Resume of `detail`'s run: its steps that succeeded (or were
// up-to-date) are kept with their outputs; a step whose last attempt is a
// Slurm job left running when its weft died is followed again, not
// resubmitted; every other step runs again, its attempts counted on.
// Errc::invalid when the run is not interrupted, failed or cancelled.
Result<Resume> plan_resume(const store::RunDetail& detail);

}  // namespace weft::engine
