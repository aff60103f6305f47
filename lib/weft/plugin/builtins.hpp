#pragma once
// The built-in plugins, in one table (no self-registration). Each is a
// weft/plugin.h table like a shared library's, run by the plugin host in a
// child process exactly like one.
#include <string_view>
#include <vector>

#include "weft/plugin.h"

namespace weft::plugin {

struct Builtin {
    const char* name;
    const weft_plugin* (*entry)();
};

// Every built-in, by name.
const std::vector<Builtin>& builtins();

// The built-in `name`, or nullptr.
const weft_plugin* find_builtin(std::string_view name);

// The tables of the built-ins (builtin_http.cpp, builtin_wait.cpp).
const weft_plugin* http_plugin();
const weft_plugin* wait_plugin();

}  // namespace weft::plugin
