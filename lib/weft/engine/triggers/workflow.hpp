#pragma once
// The workflow trigger (SPEC §3 "workflow"): chains and fan-in. When a run
// ends with a status some armed workflow listens for (`names`, `status`),
// one event is fired for all of them. Nothing to arm: the Engine's run end
// is what it receives.
#include <string>

#include "weft/engine/dispatch.hpp"
#include "weft/engine/triggers/trigger.hpp"

namespace weft::engine {

class WorkflowTrigger final : public Trigger {
  public:
    explicit WorkflowTrigger(Dispatch& dispatch) : m_dispatch(dispatch) {}
    Result<void> arm() override { return {}; }
    void disarm() override {}
    // `run` of `workflow` ended, committed, with `status`.
    void run_ended(model::RowId run, const std::string& workflow, model::RunState status);

  private:
    Dispatch& m_dispatch;
};

}  // namespace weft::engine
