#pragma once
// Which lines `weft logs RUN STEP` prints: a step, a matrix step's
// instances, or the steps of a run a sub-workflow step called.
#include <optional>
#include <set>
#include <string>

#include "weft/store/store.hpp"
#include "weft/util/result.hpp"

namespace weft::cli {

// The lines of `run`: of `one_step` alone (printed bare), or of the steps in
// `steps` (a matrix step's instances), or of every step; lines of several
// steps are prefixed `prefix` and their step id (`build/compile | `).
struct LogTarget {
    long long run = 0;
    std::optional<std::string> one_step;
    std::set<std::string> steps;  // empty: every step
    std::string prefix;           // `build/` for the steps of a run `build` called

    bool shows(const std::string& step) const {
        return one_step ? step == *one_step : steps.empty() || steps.contains(step);
    }
    // What precedes a line of `step`.
    std::string line_prefix(const std::string& step) const {
        return one_step ? "" : prefix + step + " | ";
    }
};

// Where the lines of `step` of `run` are (SPEC §9.1, §9.3): the run that
// step called (a sub-workflow: every step of its newest call); the step
// itself; the instances of a matrix step (`test` for `test[suite=unit]`,
// ...); or, for `build/compile`, step `compile` of the run `build` called.
// `prefix` is what the caller's path already says (`` at the top). Fails
// with Errc::usage and a did-you-mean when `run` has no such step or does
// not exist, or as the store does.
Result<LogTarget> log_target(store::Store& store, long long run, const std::string& step,
                             const std::string& prefix = "");

}  // namespace weft::cli
