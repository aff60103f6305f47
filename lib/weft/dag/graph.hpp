#pragma once
// The DAG of a workflow: `needs` resolved, matrix steps expanded into
// instances, cycles reported as paths, and one deterministic topological
// order (SPEC §1, §4). Matrix expansion is in matrix.hpp, cycle reports in
// cycles.hpp.
#include <string>
#include <vector>

#include "weft/dag/matrix.hpp"
#include "weft/model/workflow.hpp"
#include "weft/util/diagnostic.hpp"

namespace weft::dag {

// One runnable unit: a step, or one combination of a matrix step.
struct Instance {
    std::string id;          // `build`, or `test[suite=unit]`
    int step = 0;            // index into Workflow::steps
    Json matrix;             // the combination's values (object), or null
    std::vector<int> needs;  // instance indices this one waits for
    // A step with a dynamic matrix (SPEC §9.1): one instance, named as the
    // step, that decides the matrix when ready; the engine adds the
    // instances then, and this one ends when they have.
    bool decide = false;
};

struct Graph {
    std::vector<Instance> instances;               // in topological order
    std::vector<std::vector<int>> step_instances;  // step index -> its instances
    std::vector<std::vector<int>> step_needs;      // step index -> steps it needs directly
    std::vector<int> step_order;                   // step indices, topologically

    // True when step `from` needs step `to`, directly or through others.
    bool needs_transitively(int from, int to) const;
};

// Build the graph of `wf`, adding a diagnostic for each unknown or repeated
// `needs` entry (with a suggestion) and for each cycle (`a -> b -> a`).
// The graph is only meaningful when no error was added.
Graph build(const model::Workflow& wf, Diagnostics& diags);

}  // namespace weft::dag
