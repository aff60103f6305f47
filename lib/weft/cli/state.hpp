#pragma once
// Opening the state database the way every command does: --state, then
// $WEFT_STATE, then .weft/state.db; crash recovery of dead processes' runs.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "weft/cli/commands.hpp"
#include "weft/store/store.hpp"
#include "weft/util/result.hpp"

namespace weft::cli {

struct State {
    store::Store store;
    std::string path;
    std::string dir;  // absolute DB.d beside the database (0700): locks/ and tmp/
};

// The database's path: --state, then $WEFT_STATE, then .weft/state.db.
std::string state_path(const Globals& g);

// Open (creating if needed) and recover. Fails with Errc::state (exit 3)
// saying why when the database or its state directory cannot be used.
Result<State> open_state(const Globals& g);

// The log cap of the commands that run steps: $WEFT_LOG_CAP (a size: 10M,
// 512K, 4096; 0 for none), else store::k_default_log_cap. Fails with
// Errc::usage (exit 2) when the value is not a size.
Result<std::uint64_t> log_cap_from_env();

// $WEFT_SLURM_DIR, the shared job directory of Slurm steps; empty when unset
// (the engine then uses STATE_DIR/slurm).
std::string slurm_dir_from_env();

// The workflow files and directories of `o`, default `workflows`.
std::vector<std::string> paths_or_default(const Options& o);

// Ask the engine of this database for its reply to `req`. Fails with
// Errc::state (exit 3) when the database cannot be used or no engine answers.
Result<nlohmann::json> ask_engine(const Globals& g, const nlohmann::json& req);

}  // namespace weft::cli
