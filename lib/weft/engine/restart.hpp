#pragma once
// `weft up` at its next start (SPEC §9.2 "Stop and restart"): the runs that
// an earlier `weft up` on this database left `interrupted` (stopped by a
// signal, or dead) are resumed, as `weft resume` would, before new events
// are handled, unless their workflow says `on-restart: leave`. A run that
// had secret params, or whose workflow reads `secrets`, stays interrupted:
// those values were never stored; the engine names the `weft resume` that
// finishes it.
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "weft/engine/engine.hpp"
#include "weft/parse/workflow_set.hpp"
#include "weft/store/store.hpp"

namespace weft::engine {

// The lock tokens of the earlier `weft up` engines on the database of
// `state_dir` (STATE_DIR/up.owners); none when the file is missing.
std::vector<std::string> previous_engines(const std::string& state_dir);
// Make `token` the one earlier engine the next `weft up` looks for. Errc::io
// when the file cannot be written.
Result<void> record_engine(const std::string& state_dir, const std::string& token);

// What the next engine does with one run an earlier one left.
struct Restart {
    model::RowId run = 0;
    std::string workflow;
    std::optional<RunRequest> request;  // resume with it; absent: it stays interrupted
    std::string message;                // what the engine says about it
};

// The interrupted runs of `owners`, oldest first, each with its Restart.
// `armed(name)` is the armed workflow of that name, or null. Errc::state
// when the runs cannot be read.
Result<std::vector<Restart>> plan_restarts(
    store::Store& store, const std::vector<std::string>& owners,
    const std::function<parse::WorkflowPtr(const std::string&)>& armed);

}  // namespace weft::engine
