#pragma once
// What the engine tells reporters (terminal lines, JSON lines): one callback
// per state change, in the order they happen. Reporters only print; the
// engine has already recorded the change in the store.
#include <optional>
#include <string>

#include "weft/model/run.hpp"
#include "weft/util/duration.hpp"
#include "weft/util/time.hpp"

namespace weft::engine {

struct StepEnd {
    model::StepState status = model::StepState::success;
    int attempt = 1;
    std::optional<int> exit_code;
    std::optional<std::string> signal;
    Duration duration{0};
    std::string message;      // why, when the status alone does not say
    bool will_retry = false;  // another attempt follows after `retry_in`
    Duration retry_in{0};
};

// How grave an engine problem is (Observer::problem).
enum class Severity { warning, error };

class Observer {
  public:
    virtual ~Observer() = default;
    virtual void run_started(model::RowId run, const std::string& workflow, int attempt,
                             TimePoint t) = 0;
    virtual void step_started(model::RowId run, const std::string& step, int attempt,
                              TimePoint t) = 0;
    // One line of a step's output, without its newline; stream 1 stdout, 2 stderr.
    virtual void log(model::RowId run, const std::string& step, int stream, const std::string& text,
                     TimePoint t) = 0;
    virtual void step_finished(model::RowId run, const std::string& step, const StepEnd& end,
                               TimePoint t) = 0;
    virtual void run_finished(model::RowId run, const std::string& workflow, model::RunState status,
                              Duration duration, const std::string& message, TimePoint t) = 0;
    // A problem of the engine's own, not of one step: the state database
    // failed (an error: the engine stops), squeue cannot be asked (a warning).
    // The engine never prints; reporters say it on stderr.
    virtual void problem(Severity severity, const std::string& text) = 0;
    // How often the engine calls tick() while its loop runs (a live view
    // redraws then); zero, the default, for never. Asked once, at Engine::create.
    virtual Duration tick_interval() const { return Duration{0}; }
    virtual void tick(TimePoint) {}
};

}  // namespace weft::engine
