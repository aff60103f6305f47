#pragma once
// YAML → model::Workflow, with every problem reported as a Diagnostic that
// points at the offending key or value (SPEC §1). The loader never throws and
// never stops at the first error: it collects all of a file's errors.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/model/workflow.hpp"
#include "weft/util/diagnostic.hpp"

namespace weft::parse {

// A context read found in one of the workflow's expressions, kept so that the
// checks that need the whole DAG (step outputs, matrix keys) can run later and
// still point at the right place.
struct ExprRef {
    int step = -1;  // index into Workflow::steps; -1 for workflow-level fields
    std::vector<std::string> path;
    Location loc;
};

// The largest workflow file weft reads, and the most YAML nodes (scalars,
// maps, sequences, aliases) one may hold: beyond them loading would take
// minutes and gigabytes; the error says so instead.
inline constexpr long long k_max_file_size = 64LL << 20;
inline constexpr std::size_t k_max_yaml_nodes = 1'000'000;
// How deeply collections may nest: the bound on JSON nesting elsewhere
// (`with` becomes a plugin's JSON), far below yaml-cpp's 500-level guard.
inline constexpr std::size_t k_max_yaml_nesting = 256;

struct Loaded {
    std::string file;
    std::string
        source;  // the file's text (less a UTF-8 byte order mark), for printing source lines
    std::optional<model::Workflow> workflow;  // set unless the YAML was unreadable
    std::vector<ExprRef> refs;
    Diagnostics diagnostics;
};

// The keys allowed in one section of a workflow file: "workflow" (top
// level), "step", "on", "file", "schedule", "stdin", "workflow-trigger",
// "param", "defaults", "slurm", "retry", "concurrency", "retention". Empty for
// an unknown section. The JSON Schema is tested against these.
const std::vector<std::string>& known_keys(std::string_view section);

// Read `path` and load it; a missing or unreadable file is one diagnostic at line 0.
Loaded load_file(const std::string& path);

// Load `source` as if read from `file`.
Loaded load_string(std::string source, std::string file);

}  // namespace weft::parse
