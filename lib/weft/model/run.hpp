#pragma once
// What a run is while and after it runs (SPEC §4): the states of runs and
// steps, and the ids of recorded rows. The engine changes them, the store
// records them, reporters and commands show them.
#include <cstdint>
#include <optional>
#include <string_view>

namespace weft::model {

// The id of a row of the state database: a run, an event, an attempt.
using RowId = std::int64_t;

// Run and step states (SPEC §4), stored and shown by their SPEC names.
enum class RunState { queued, running, success, failure, cancelled, interrupted };
// Also the state of one attempt (running, then success/failure/cancelled/interrupted).
enum class StepState {
    pending,
    running,
    success,
    failure,
    skipped,
    up_to_date,
    cancelled,
    interrupted
};

const char* to_string(RunState s);   // "queued", ...
const char* to_string(StepState s);  // "pending", ..., "up-to-date", ...
// The state named `name` (a SPEC name, as to_string gives); nullopt for any other text.
std::optional<RunState> parse_run_state(std::string_view name);
std::optional<StepState> parse_step_state(std::string_view name);

}  // namespace weft::model
