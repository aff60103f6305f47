#pragma once
// `weft up`: the event engine (SPEC §3, §5). It loads a folder of workflows,
// arms their triggers on the Engine's loop, writes every event to the
// database before acting on it, queues it for the workflows it selects
// (their `concurrency` decides), and starts runs through the same Engine as
// `weft run`: one code path for a run, whatever started it. Events still
// queued when the engine stops wait in the database for the next start.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "weft/cron/cron.hpp"
#include "weft/engine/engine.hpp"
#include "weft/parse/check.hpp"
#include "weft/store/store.hpp"

namespace weft::engine {

using WorkflowPtr = std::shared_ptr<const parse::Workflow>;

struct UpConfig {
    std::vector<std::string> paths;  // workflow files and directories
    std::string state_dir;           // DB.d beside the database: never watched,
    std::string state_path;          // nor the database and its -wal, -shm, -journal
    // Events, skips and reloads, as JSON objects with a "type" (for the output).
    std::function<void(const nlohmann::json&)> announce;
    // A workflow file's diagnostics (an invalid edit while running).
    std::function<void(const parse::Loaded&)> diagnostics;
};

class Up {
  public:
    Up(store::Store& store, UpConfig config);
    ~Up();
    Up(const Up&) = delete;
    Up& operator=(const Up&) = delete;

    // Load every workflow of config.paths. False when one is invalid, or the
    // set is not (two workflows with one name, a cycle of workflow triggers);
    // the diagnostics and messages are printed.
    bool load();
    // Arm every trigger on `engine`'s loop and start what the queue holds.
    // Errc::io when a trigger cannot be armed (the inotify watch limit).
    Result<void> arm(Engine& engine);

    // The Engine's hooks (Config::on_signal, on_request, on_run_end).
    void on_signal(int sig);
    std::optional<nlohmann::json> on_request(const nlohmann::json& req);
    void on_run_end(store::RowId run, const std::string& workflow, store::RunState status);

    struct Impl;

  private:
    std::unique_ptr<Impl> m;
};

// What a cron entry does when the clock reads `now` and its last fire was
// `last`: its fires in (last, now], those at most `on_time` old on time and
// the older ones (missed while the engine was down, or skipped by a clock
// jump) as `catchup` says, oldest first, late ones marked; the newest fire
// handled (the new `last`); and the next fire after both `now` and `last`.
struct CronPlan {
    std::vector<std::pair<TimePoint, bool>> fires;  // instant, late
    std::optional<TimePoint> last;
    std::optional<TimePoint> next;
};
CronPlan plan_cron(const cron::Schedule& sched, const date::time_zone* zone, model::Catchup catchup,
                   TimePoint last, TimePoint now, Duration on_time);

// The workflow files named by `paths`: a file as given, a directory's
// *.yaml and *.yml files (sorted). Errc::invalid for a path that does not exist.
Result<std::vector<std::string>> workflow_files(const std::vector<std::string>& paths);

// What makes a set of valid workflows unusable together: two with one name,
// a cycle of workflow triggers. One message per problem.
std::vector<std::string> check_workflow_set(const std::vector<WorkflowPtr>& workflows);

// The next `count` fires of a workflow's cron entries after `after`, merged
// and sorted (`weft list`, `weft status`).
std::vector<TimePoint> next_cron_fires(const model::Workflow& wf, TimePoint after,
                                       std::size_t count);

// The triggers of `wf` for humans: `file: src/**/*.c`, `schedule: */5 * * * *`, ...
std::vector<std::string> describe_triggers(const model::Workflow& wf);

}  // namespace weft::engine
