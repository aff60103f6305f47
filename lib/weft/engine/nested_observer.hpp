#pragma once
// The observer the engine reports to: it passes everything on to the
// caller's, except that a sub-workflow's run (SPEC §9.1) is not a run of its
// own there: its steps are reported as steps of the top run that called it,
// named `build/compile` (the calling step's id, `/`, the child's step id;
// nested calls nest the prefix), and its start and end are not reported.
// Internal to the engine module.
#include <map>
#include <string>
#include <utility>

#include "weft/engine/observer.hpp"

namespace weft::engine {

class NestedObserver final : public Observer {
  public:
    explicit NestedObserver(Observer& out) : m_out(out) {}

    // Run `child` was called by step `step` (an instance id) of `parent`.
    void nest(model::RowId child, model::RowId parent, const std::string& step) {
        auto it = m_nested.find(parent);
        m_nested[child] = it == m_nested.end()
                              ? std::pair{parent, step + "/"}
                              : std::pair{it->second.first, it->second.second + step + "/"};
    }

    void run_started(model::RowId run, const std::string& workflow, int attempt,
                     TimePoint t) override {
        if (!m_nested.count(run)) m_out.run_started(run, workflow, attempt, t);
    }
    void step_started(model::RowId run, const std::string& step, int attempt,
                      TimePoint t) override {
        auto [r, s] = shown(run, step);
        m_out.step_started(r, s, attempt, t);
    }
    void log(model::RowId run, const std::string& step, int stream, const std::string& text,
             TimePoint t) override {
        auto [r, s] = shown(run, step);
        m_out.log(r, s, stream, text, t);
    }
    void step_finished(model::RowId run, const std::string& step, const StepEnd& end,
                       TimePoint t) override {
        auto [r, s] = shown(run, step);
        m_out.step_finished(r, s, end, t);
    }
    // Its steps' ends are reported before it (in commit order): the
    // mapping can go.
    void run_finished(model::RowId run, const std::string& workflow, model::RunState status,
                      Duration duration, const std::string& message, TimePoint t) override {
        if (m_nested.erase(run) == 0)
            m_out.run_finished(run, workflow, status, duration, message, t);
    }
    void problem(Severity severity, const std::string& text) override {
        m_out.problem(severity, text);
    }
    Duration tick_interval() const override { return m_out.tick_interval(); }
    void tick(TimePoint t) override { m_out.tick(t); }

  private:
    std::pair<model::RowId, std::string> shown(model::RowId run, const std::string& step) const {
        auto it = m_nested.find(run);
        if (it == m_nested.end()) return {run, step};
        return {it->second.first, it->second.second + step};
    }

    Observer& m_out;
    std::map<model::RowId, std::pair<model::RowId, std::string>> m_nested;  // run -> top, prefix
};

}  // namespace weft::engine
