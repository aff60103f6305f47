#pragma once
// The JSON shapes of recorded runs that commands print (SPEC §6).
#include "weft/model/json.hpp"
#include "weft/store/store.hpp"

namespace weft::report {

// `weft runs --json`: {"id", "workflow", "status", "trigger", "started",
// "ended"}; times RFC 3339 UTC with milliseconds, or null.
model::Json run_json(const store::RunRow& run);
// `weft show --json`: {"id", "workflow", "status", "attempt", "event",
// "steps": [{"id", "status", "attempts", "exit_code", "signal", "started",
// "ended", "outputs"}]}, with "message", "slurm_job" and "log_dropped" where
// they apply. "event" is store::event_json's.
model::Json run_detail_json(const store::RunDetail& detail);

// `weft show --json`'s "children": the runs that steps of the run called
// (sub-workflows), oldest first: [{"step", "run"}].
model::Json child_runs_json(const std::vector<store::ChildRun>& children);

}  // namespace weft::report
