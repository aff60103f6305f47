#include "weft/model/workflow.hpp"

#include <algorithm>

namespace weft::model {

bool is_workflow_path(std::string_view uses) {
    auto starts = [&](std::string_view p) { return uses.substr(0, p.size()) == p; };
    auto ends = [&](std::string_view x) {
        return uses.size() > x.size() && uses.substr(uses.size() - x.size()) == x;
    };
    return (starts("./") || starts("../") || starts("/")) && (ends(".yaml") || ends(".yml"));
}

const Step* Workflow::find_step(std::string_view id) const {
    for (const auto& s : steps)
        if (s.id == id) return &s;
    return nullptr;
}

const Param* Workflow::find_param(std::string_view param) const {
    for (const auto& p : params)
        if (p.name == param) return &p;
    return nullptr;
}

const char* to_string(FileEvent e) {
    switch (e) {
        case FileEvent::create:
            return "create";
        case FileEvent::modify:
            return "modify";
        case FileEvent::remove:
            return "delete";
        case FileEvent::move:
            return "move";
    }
    return "?";
}

std::size_t matrix_size(const Matrix& m) {
    const std::size_t cap = k_max_matrix_instances + 1;
    std::size_t n = m.axes.empty() ? 0 : 1;
    for (const auto& [key, values] : m.axes)
        n = std::min(cap, n * std::max<std::size_t>(values.size(), 1));
    return std::min(cap, n + m.include.size());
}

}  // namespace weft::model
