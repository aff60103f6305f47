#include "weft/model/run.hpp"

#include <array>

namespace weft::model {
namespace {

constexpr std::array<const char*, 6> k_run_states = {"queued",  "running",   "success",
                                                     "failure", "cancelled", "interrupted"};
constexpr std::array<const char*, 8> k_step_states = {"pending",   "running",    "success",
                                                      "failure",   "skipped",    "up-to-date",
                                                      "cancelled", "interrupted"};

}  // namespace

const char* to_string(RunState s) {
    return k_run_states[static_cast<std::size_t>(s)];
}
const char* to_string(StepState s) {
    return k_step_states[static_cast<std::size_t>(s)];
}

std::optional<RunState> parse_run_state(std::string_view name) {
    for (std::size_t i = 0; i < k_run_states.size(); ++i)
        if (name == k_run_states[i]) return static_cast<RunState>(i);
    return std::nullopt;
}

std::optional<StepState> parse_step_state(std::string_view name) {
    for (std::size_t i = 0; i < k_step_states.size(); ++i)
        if (name == k_step_states[i]) return static_cast<StepState>(i);
    return std::nullopt;
}

}  // namespace weft::model
