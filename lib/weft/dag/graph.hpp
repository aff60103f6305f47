#pragma once
// The DAG of a workflow: `needs` resolved, matrix steps expanded into
// instances, cycles reported as paths, and one deterministic topological
// order (SPEC §1, §4).
#include <string>
#include <vector>

#include "weft/model/workflow.hpp"
#include "weft/util/diagnostic.hpp"

namespace weft::dag {

using Json = model::Json;

// One runnable unit: a step, or one combination of a matrix step.
struct Instance {
    std::string id;          // `build`, or `test[suite=unit]`
    int step = 0;            // index into Workflow::steps
    Json matrix;             // the combination's values (object), or null
    std::vector<int> needs;  // instance indices this one waits for
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

// The combinations of `m`, GitHub Actions' way: the cartesian product of the
// axes in file order, minus `exclude` matches, then `include` entries merged
// into every combination they do not contradict, or added as new ones.
std::vector<Json> expand_matrix(const model::Matrix& m);

// `step[k=v,k2=v2]`, naming the axes of `m` (or, for a combination that only
// `include` made, its own keys) in file order.
std::string instance_id(const std::string& step, const model::Matrix& m, const Json& combination);

}  // namespace weft::dag
