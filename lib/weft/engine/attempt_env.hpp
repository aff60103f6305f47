#pragma once
// The environment an attempt adds to weft's own (SPEC §3): the step's env,
// the secrets, and the WEFT_* variables. A pure function: what it returns
// depends on its arguments alone.
#include <map>
#include <string>

#include <nlohmann/json.hpp>

namespace weft::engine {

// Bytes of one WEFT_EVENT_* variable at most: one environment string holds
// at most 128 KiB (MAX_ARG_STRLEN), and all share the space of the arguments.
inline constexpr std::size_t k_event_env_max = 64 * 1024;

struct AttemptEnvInput {
    const nlohmann::json* env = nullptr;  // the resolved step's env (strings)
    const std::map<std::string, std::string>* secrets = nullptr;
    long long run_id = 0;
    std::string workflow;
    std::string step;  // the instance's id
    int attempt = 1;
    std::string output_file;
    const nlohmann::json* event = nullptr;  // the run's event
    std::string event_file;                 // where the event's JSON is
};

// The variables, by name. A WEFT_EVENT_PATHS or WEFT_EVENT_LINE longer than
// k_event_env_max is cut after its last whole line that fits (a single
// longer line at a character boundary) and named in WEFT_EVENT_TRUNCATED;
// WEFT_EVENT_JSON names the file that has it whole.
std::map<std::string, std::string> attempt_env(const AttemptEnvInput& in);

}  // namespace weft::engine
