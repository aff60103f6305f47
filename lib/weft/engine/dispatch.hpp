#pragma once
// `weft up`'s dispatch (SPEC §5): the one way an event goes from a trigger
// to runs. An event is recorded before anything acts on it, announced,
// offered to the workflows it selects, queued in the database as their
// `concurrency` says (on-busy, max-queued), and started through the Engine
// as far as each workflow's limit allows. It also holds the armed workflows
// and their running runs, which every trigger reads.
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "weft/engine/engine.hpp"
#include "weft/engine/triggers/filter.hpp"
#include "weft/model/event.hpp"
#include "weft/parse/workflow_set.hpp"
#include "weft/store/store.hpp"

namespace weft::engine {

using WorkflowPtr = parse::WorkflowPtr;

// One armed workflow.
struct Armed {
    WorkflowPtr wf;
    const model::Workflow& w() const { return *wf->loaded.workflow; }
    bool removed = false;  // its file went away; kept while its runs end
    int running = 0;
    std::set<model::RowId> runs;
    bool queue_checked = false;  // its queue was checked for entries whose secrets are gone
    // Its queue may hold entries: true until a look finds it empty, again
    // once an event is queued. Only this engine queues for its workflows, so
    // dispatch_all need not ask the database about the others.
    bool maybe_queued = true;
    TimePoint last_end{};  // when its last run ended (the watch-loop warning)
};

// Param values as resolve_params takes them: strings as they are, anything
// else as its JSON text.
std::vector<std::pair<std::string, std::string>> param_pairs(const nlohmann::json& params);

// The announcement of a recorded event for the output, as `weft up` prints
// it: {"type": "event", "id", "kind", the kind's fields, "workflows"}.
nlohmann::json announcement(const model::Event& e, model::RowId id,
                            const std::vector<std::string>& workflows);

// What became of an event for one workflow (SPEC §9.2), as recorded in the
// event_outcomes table: run N, queued, merged into event M, skipped,
// dropped, filtered.
using Outcome = store::EventOutcome;

class Dispatch {
  public:
    using Announce = std::function<void(const nlohmann::json&)>;
    Dispatch(store::Store& store, Announce announce);

    void attach(Engine& engine) { m_engine = &engine; }
    store::Store& store() { return m_store; }
    std::map<std::string, Armed>& workflows() { return m_wfs; }
    const std::map<std::string, Armed>& workflows() const { return m_wfs; }
    // No event is acted on once stopping (a signal, a failed store).
    bool stopping() const { return m_stopping; }
    void stop() { m_stopping = true; }

    // Events, skips and reloads for the output; errors as {"type": "error"}.
    void announce(const nlohmann::json& j) const;
    void error(const std::string& msg) const;
    // A write failed: reported; when the database itself failed (a full
    // disk), the engine stops as for its own writes.
    void write_failed(const std::string& what, const Error& e);
    // Open the transaction the engine commits before its loop blocks (and
    // before it creates a run), unless one is open; false if that failed.
    bool open_writes();

    // Record `e`; its id, or 0 when it could not be recorded (reported).
    model::RowId record(const model::Event& e);
    // Record `e`; for each of `targets` (armed workflow names) in order, a
    // workflow whose trigger filter (`if:`, `match:`) it does not pass gets
    // the outcome `filtered`; announce it (unless `quiet`, or it passed for
    // none) and offer it to the others; with `merge`, a file event merges
    // into the workflow's file event already queued instead, if there is
    // one (the file trigger). Its id, or 0.
    model::RowId fire(const model::Event& e, const std::vector<std::string>& targets,
                      bool quiet = false, bool merge = false);
    // Queue `event` for `a` with `params` as its concurrency allows, then
    // start what may start; what became of it (also recorded). The values
    // of `a`'s secret params stay in this process's memory, never in the
    // database (SPEC §9.4).
    Outcome offer(Armed& a, model::RowId event, const nlohmann::json& params);
    // Record what became of `event` for `workflow`.
    void note(model::RowId event, const std::string& workflow, const Outcome& o);
    // Start `a`'s queued events up to its concurrency limit.
    void dispatch(Armed& a);
    // dispatch() for each workflow whose queue may hold entries: the cost
    // follows the workflows with waiting events, not all that are armed.
    void dispatch_all();
    // `run` of `workflow` ended: one fewer running; a removed workflow goes
    // with its last run.
    void run_ended(model::RowId run, const std::string& workflow);

  private:
    // `entry`'s params with its secret ones back from memory; false when they
    // are gone (it was queued by an engine before a restart).
    bool with_secrets(const Armed& a, const store::QueuedRun& entry, nlohmann::json& params) const;
    // Drop `entry` from the queue and say why; false when the store failed.
    bool drop(const Armed& a, const store::QueuedRun& entry, const std::string& why);
    // Drop (and report) every entry of `a`'s queue whose secret params are gone.
    void drop_lost_secrets(Armed& a);
    // Merge the paths of file event `event` into the file event queued for
    // `a`, if one is: fifty saves during a build give one more build, not
    // fifty. The event merged into, or 0.
    model::RowId merge_into_queued(const Armed& a, model::RowId event,
                                   const std::vector<std::string>& paths);

    store::Store& m_store;
    Announce m_announce;
    Engine* m_engine = nullptr;
    std::map<std::string, Armed> m_wfs;  // by name
    // The secret params of queued entries, by entry: in memory only.
    std::map<model::RowId, nlohmann::json> m_secret_params;
    bool m_stopping = false;
    TriggerFilters m_filters;
    // The queue entry offer() waits to see started, the run it got, or
    // whether it was dropped instead.
    model::RowId m_watch_entry = 0, m_watch_run = 0;
    bool m_watch_dropped = false;
};

}  // namespace weft::engine
