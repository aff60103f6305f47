#pragma once
// Retention (SPEC §1 `retention`, §5): the store's prune applied to each
// workflow with the retention its file gives, by `weft prune` and after
// `weft run`.
#include "weft/cli/commands.hpp"
#include "weft/model/workflow.hpp"
#include "weft/store/store.hpp"

namespace weft::cli {

store::Retention retention_of(const model::Workflow& wf);

// After `weft run`: prune the history of `wf` as its retention says, in one
// transaction. The run just ended is the workflow's newest, so it stays. A
// failure is a warning on stderr, never the run's exit code.
void prune_after_run(store::Store& store, const model::Workflow& wf, const Globals& g);

}  // namespace weft::cli
