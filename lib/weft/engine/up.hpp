#pragma once
// `weft up`: the event engine (SPEC §3, §5). It loads a folder of workflows,
// owns an Engine and arms their triggers on its loop (engine/triggers/, one
// file a kind), writes every event to the database before acting on it,
// queues it for the workflows it selects (engine/dispatch: their
// `concurrency` decides), and starts runs through the same Engine as
// `weft run`: one code path for a run, whatever started it. Events still
// queued when the engine stops wait in the database for the next start.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "weft/engine/engine.hpp"
#include "weft/engine/triggers/schedule.hpp"
#include "weft/events/sd_notify.hpp"
#include "weft/parse/workflow_set.hpp"
#include "weft/store/store.hpp"

namespace weft::engine {

using WorkflowPtr = parse::WorkflowPtr;

struct UpConfig {
    std::vector<std::string> paths;  // workflow files and directories
    std::string state_dir;           // DB.d beside the database: never watched,
    std::string state_path;          // nor the database and its -wal, -shm, -journal
    // Events, skips, reloads and errors, as JSON objects with a "type" (for
    // the output); errors are {"type": "error", "message"}.
    std::function<void(const nlohmann::json&)> announce;
    // A workflow file's diagnostics (an invalid edit while running).
    std::function<void(const parse::Loaded&)> diagnostics;
    // systemd (SPEC §9.2): READY=1 once armed, RELOADING=1 then READY=1
    // around a SIGHUP's reload, STOPPING=1, a STATUS= line of armed
    // workflows and running runs, WATCHDOG=1 when asked for.
    events::SdNotify notify;
};

class Up {
  public:
    Up(store::Store& store, UpConfig config);
    ~Up();
    Up(const Up&) = delete;
    Up& operator=(const Up&) = delete;

    // Load every workflow of config.paths. False when one is invalid, or the
    // set is not (two workflows with one name, a cycle of workflow triggers);
    // the diagnostics and messages are announced.
    bool load();
    // Create this Up's Engine on `observer` and `config`, whose hooks are
    // Up's own (a signal or a failed store stops the triggers; control
    // requests `trigger`, `status` and `emit`, the records of `weft emit`,
    // each answered once committed; a run's end fires workflow triggers and
    // starts what is queued), arm every trigger on its loop and start what
    // the queue holds. With /dev/null as stdin the engine stays up until
    // stopped, whatever its triggers. Errc::exec when the engine cannot be set up;
    // Errc::invalid when the workflows cannot share a trigger (two stdin
    // formats); Errc::io when a trigger cannot be armed (the inotify watch
    // limit). On failure, what was armed is closed again.
    Result<void> start(Observer& observer, Config config);
    // Run the engine until it stops (a signal, the end of a stdin-only
    // input) and every run has ended, then end it. False if the store failed.
    bool run();

    struct Impl;

  private:
    std::unique_ptr<Impl> m;
};

// The triggers of `wf` for humans: `file: src/**/*.c`, `schedule: */5 * * * *`, ...
std::vector<std::string> describe_triggers(const model::Workflow& wf);

}  // namespace weft::engine
