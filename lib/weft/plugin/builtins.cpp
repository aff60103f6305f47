#include "weft/plugin/builtins.hpp"

namespace weft::plugin {

const std::vector<Builtin>& builtins() {
    static const std::vector<Builtin> table{
        {"http", http_plugin},
        {"wait", wait_plugin},
    };
    return table;
}

const weft_plugin* find_builtin(std::string_view name) {
    for (const auto& b : builtins())
        if (name == b.name) return b.entry();
    return nullptr;
}

}  // namespace weft::plugin
