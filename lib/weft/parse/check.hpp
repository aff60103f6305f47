#pragma once
// Checks that need the whole workflow: the DAG (needs, cycles, matrices) and
// the context reads of every expression (SPEC §1, §2).
#include <optional>

#include "weft/dag/graph.hpp"
#include "weft/parse/loader.hpp"

namespace weft::parse {

// Build the DAG of `loaded` and check its expressions' context reads, adding
// diagnostics to `loaded`. Returns the graph when the workflow has no error.
std::optional<dag::Graph> check(Loaded& loaded);

// load_file + plugin::check_workflow + check: the one way commands read a
// workflow.
struct Workflow {
    Loaded loaded;
    std::optional<dag::Graph> graph;  // set when the workflow is valid
    bool ok() const { return graph.has_value(); }
};
Workflow load_workflow(const std::string& path);

}  // namespace weft::parse
