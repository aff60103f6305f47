#pragma once
// Dependency cycles of a workflow's steps, reported as paths (SPEC §1).
#include <vector>

#include "weft/model/workflow.hpp"
#include "weft/util/diagnostic.hpp"

namespace weft::dag {

// Add one error to `diags` for each cycle among the steps of `wf` that are
// not in `ordered` (the steps a topological sort could place), as the path
// `a -> b -> a` starting at the step defined first, located at that step's
// `needs` entry for the next one. `step_needs[i]` lists the steps step `i`
// needs directly.
void report_cycles(const model::Workflow& wf, const std::vector<std::vector<int>>& step_needs,
                   const std::vector<int>& ordered, Diagnostics& diags);

}  // namespace weft::dag
