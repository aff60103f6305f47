#pragma once
// Plugins (SPEC §7): finding them, asking them to describe themselves, the
// JSON request and result of protocol 1, and the command that runs one
// attempt. Every attempt of a plugin step is a child process the engine runs
// like a shell step: the plugin itself for an executable plugin, `weft
// __plugin-host` (host.cpp) for a shared library or a built-in, so timeouts,
// cancellation, kill-grace and crash recovery are the process machinery's.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "weft/model/workflow.hpp"
#include "weft/util/diagnostic.hpp"
#include "weft/util/result.hpp"

namespace weft::plugin {

using Json = nlohmann::json;

enum class Kind { executable, library, builtin };
const char* to_string(Kind k);

// The protocol this weft speaks, and the bounds on what crosses it: a larger
// request is refused before the plugin starts, a larger result fails the
// step (and the plugin is killed as soon as it passes the bound).
inline constexpr int k_protocol = 1;
inline constexpr std::size_t k_max_request = 16u << 20;
inline constexpr std::size_t k_max_result = 1u << 20;

struct Found {
    std::string name;
    Kind kind = Kind::builtin;
    std::string path;  // empty for a built-in
};

struct Param {
    bool required = false;
    std::string description;
};

// What `--describe` (or a library's table) says. A plugin that does not
// describe itself has `described` false and accepts any `with`.
struct Description {
    bool described = false;
    std::string version;
    std::map<std::string, Param> params;
};

// Where plugins are looked for, in order: each entry of WEFT_PLUGIN_PATH,
// then the plugins directory next to the weft binary. Built-ins come last.
std::vector<std::string> search_dirs();

// The first `weft-plugin-NAME` (executable) or `weft-plugin-NAME.so` in
// search_dirs(), else the built-in NAME. Errc::not_found naming every place
// looked at when there is none.
Result<Found> find(const std::string& name);

// Every plugin found, in search order; a name found twice is listed once
// (the first one wins, as for find).
std::vector<Found> list_all();

// Ask `p` to describe itself: `PLUGIN --describe` for an executable (5 s at
// most; a plugin that exits non-zero or prints nothing is undescribed), the
// plugin host for a library (any failure there is an error: a library that
// cannot be loaded or has an ABI weft does not know), the table for a
// built-in. Errc::invalid with the reason. Results are cached per process.
Result<Description> describe(const Found& p);

// Check each plugin step of `wf`: the plugin exists, describes itself
// properly, and `with` sets only keys it knows and every key it requires.
// Problems are errors at the `uses` value or the `with` key.
void check_workflow(const model::Workflow& wf, Diagnostics& diags);

// The argv of one attempt of `p` (its request goes on stdin).
std::vector<std::string> command(const Found& p);

// The binary to run as the plugin host: this process's own executable.
std::string self_exe();

struct RunInfo {
    std::int64_t id = 0;
    std::string workflow;
    std::string step;
    int attempt = 1;      // the step's attempt
    int run_attempt = 1;  // the run's
};

// The request of protocol 1: {"protocol", "with", "env", "event", "run"}.
// Errc::invalid when it is larger than k_max_request.
Result<std::string> make_request(const Json& with, const Json& env, const Json& event,
                                 const RunInfo& run);

struct Outcome {
    bool success = false;
    Json outputs = Json::object();  // string values
    std::string message;
};

// Parse what a plugin printed on stdout: one JSON object {"status":
// "success"|"failure", "outputs": {...}, "message": "..."}, nothing else
// but whitespace. Output values that are not strings become their JSON
// text. Errc::invalid saying what is wrong.
Result<Outcome> parse_result(const std::string& text);

// The JSON `--describe` prints for a description (used by the host).
Json description_json(const std::string& name, const Description& d);

// `weft __plugin-host KIND TARGET [--describe]`: load the library at TARGET
// (KIND `library`) or the built-in TARGET (KIND `builtin`), then print its
// description, or run it on the request read from stdin and print the
// result. Returns the exit status: 0 when a result (success or failure) was
// printed, 2 when the plugin could not be loaded or run.
int host_main(int argc, char** argv);

}  // namespace weft::plugin
