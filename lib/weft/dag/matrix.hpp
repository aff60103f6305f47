#pragma once
// A matrix step's combinations and the ids of its instances (SPEC §4).
#include <string>
#include <vector>

#include "weft/model/workflow.hpp"

namespace weft::dag {

using Json = model::Json;

// The combinations of `m`, GitHub Actions' way: the cartesian product of the
// axes in file order, minus `exclude` matches, then `include` entries merged
// into every combination they do not contradict, or added as new ones.
// Empty when `m` expands past model::k_max_matrix_instances (the loader
// reports that).
std::vector<Json> expand_matrix(const model::Matrix& m);

// `step[k=v,k2=v2]`, naming the axes of `m` (or, for a combination that only
// `include` made, its own keys) in file order.
std::string instance_id(const std::string& step, const model::Matrix& m, const Json& combination);

// The first instance id that two of `combinations` (of `m`) share, or empty.
// `k: [a, a]` or `k: [1, "1"]` name one instance twice: a load error for a
// matrix in the file, a failed step for one an expression decided.
std::string duplicate_instance(const std::string& step, const model::Matrix& m,
                               const std::vector<Json>& combinations);

}  // namespace weft::dag
