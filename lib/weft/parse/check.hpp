#pragma once
// Checks that need the whole workflow: the DAG (needs, cycles, matrices) and
// the context reads of every expression (SPEC §1, §2).
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "weft/dag/graph.hpp"
#include "weft/parse/loader.hpp"

namespace weft::parse {

// Build the DAG of `loaded` and check its expressions' context reads, adding
// diagnostics to `loaded`. Returns the graph when the workflow has no error.
std::optional<dag::Graph> check(Loaded& loaded);

// load_file + plugin::check_workflow + check: the one way commands read a
// workflow. The workflows its steps call (`uses: ./child.yaml`, SPEC §9.1)
// are loaded and checked with it: a child's error becomes one in the
// parent at the calling `uses`, naming the child's FILE:LINE:COL; so do a
// call cycle (printed as the path of calls, each `uses` located), calls
// nested deeper than model::k_max_call_depth, and a `with` that does not
// fit the child's params (an unknown or missing required one, a map or
// list value).
struct Workflow {
    Loaded loaded;
    std::optional<dag::Graph> graph;  // set when the workflow is valid
    // Per step of the workflow: the workflow it calls, null for other steps.
    std::vector<std::shared_ptr<const Workflow>> calls;
    bool ok() const { return graph.has_value(); }
};
Workflow load_workflow(const std::string& path);

}  // namespace weft::parse
