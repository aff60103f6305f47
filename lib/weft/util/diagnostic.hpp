#pragma once
#include <string>
#include <vector>

namespace weft {

// A 1-based position in a source file; line 0 means "the file as a whole".
struct Location {
    int line = 0;
    int column = 0;
};

enum class Severity { error, warning };

// One message about a workflow file, printed as FILE:LINE:COL: error: MESSAGE.
struct Diagnostic {
    Severity severity = Severity::error;
    Location loc;
    std::string message;
};

using Diagnostics = std::vector<Diagnostic>;

inline bool has_errors(const Diagnostics& ds) {
    for (const auto& d : ds)
        if (d.severity == Severity::error) return true;
    return false;
}

}  // namespace weft
