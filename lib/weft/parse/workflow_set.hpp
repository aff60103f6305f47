#pragma once
// A folder of workflows as one set (SPEC §5: what `weft up`, `weft list`
// arm or show together): which files it holds, and what makes valid
// workflows unusable together.
#include <memory>
#include <string>
#include <vector>

#include "weft/parse/check.hpp"
#include "weft/util/result.hpp"

namespace weft::parse {

using WorkflowPtr = std::shared_ptr<const Workflow>;

// The workflow files named by `paths`: a file as given, a directory's
// *.yaml and *.yml files (sorted). Errc::invalid for a path that does not exist.
Result<std::vector<std::string>> workflow_files(const std::vector<std::string>& paths);

// `w` starts when a run of workflow `other` ends: one of its
// `on.workflow.names` globs matches `other`, which is not `w` itself
// (`["*"]`: every workflow but itself). Statuses are not looked at.
bool follows(const model::Workflow& w, const std::string& other);

// What makes a set of valid workflows unusable together: two with one name,
// a cycle of workflow triggers, an `on.workflow.names` entry that matches no
// other workflow of the set ("FILE:LINE:COL: ... (did you mean ...)"). One
// message per problem.
std::vector<std::string> check_workflow_set(const std::vector<WorkflowPtr>& workflows);

}  // namespace weft::parse
