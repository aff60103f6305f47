#pragma once
// A dynamic matrix (SPEC §9.1): the matrix of a step, or an axis's list,
// given by an expression that is evaluated when the step is ready.
#include <vector>

#include "weft/model/workflow.hpp"
#include "weft/util/result.hpp"

namespace weft::engine {

struct Decided {
    model::Matrix matrix;                // `m` with every expression replaced by its value
    std::vector<model::Json> instances;  // its combinations, in matrix order; may be empty
};

// Evaluate the expressions of `m` against `contexts`. The whole matrix must
// give a map of lists (and `include`/`exclude` lists of maps) or a list of
// maps (one instance each); an axis, a list. Errc::invalid, with a message
// for the step's log, for another value, an evaluation error or more than
// model::k_max_matrix_instances instances.
Result<Decided> decide_matrix(const model::Matrix& m, const model::Json& contexts);

}  // namespace weft::engine
