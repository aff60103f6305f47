#pragma once
// The manual trigger (SPEC §3, `weft trigger`): every armed workflow has
// it. A control request {"op": "trigger", "workflow", "params"} is checked
// (the workflow is armed, its params resolve), recorded with secret params
// masked, and queued with the params as given. Nothing to arm: the control
// socket is the Engine's.
#include <nlohmann/json.hpp>

#include "weft/engine/dispatch.hpp"
#include "weft/engine/triggers/trigger.hpp"

namespace weft::engine {

class ManualTrigger final : public Trigger {
  public:
    explicit ManualTrigger(Dispatch& dispatch) : m_dispatch(dispatch) {}
    Result<void> arm() override { return {}; }
    void disarm() override {}
    // The reply to a trigger request, once the engine decided: {"ok": true,
    // "event", "workflow", "outcome": run|queued|skipped|dropped, "run"}, or
    // {"ok": false, "error"} with "usage" for the caller's mistakes.
    nlohmann::json request(const nlohmann::json& req);

  private:
    Dispatch& m_dispatch;
};

}  // namespace weft::engine
