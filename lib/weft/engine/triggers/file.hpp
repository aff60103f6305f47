#pragma once
// The file trigger (SPEC §3 "file"): one recursive watch over the roots of
// every armed workflow's globs; each workflow collects the changes that
// match it for its `debounce` window, opened by the first change, and then
// fires one event with the paths (Dispatch::fire merges it into the
// workflow's event already queued). A kernel overflow fires a rescan event for each file workflow.
#include <uv.h>

#include <map>
#include <memory>
#include <set>
#include <string>

#include "weft/engine/dispatch.hpp"
#include "weft/engine/triggers/trigger.hpp"
#include "weft/events/file_watch.hpp"
#include "weft/events/uv_handle.hpp"
#include "weft/util/ignore.hpp"

namespace weft::engine {

class FileTrigger final : public Trigger {
  public:
    // The state directory `state_dir` and the database `state_path` (with
    // its -wal, -shm, -journal) are never watched nor reported.
    FileTrigger(Dispatch& dispatch, uv_loop_t* loop, const std::string& state_dir,
                const std::string& state_path);
    Result<void> arm() override;
    void disarm() override;

  private:
    // One workflow's debounce window: each path with the kinds seen.
    struct Window {
        FileTrigger* self = nullptr;
        std::string workflow;
        std::map<std::string, std::set<model::FileEvent>> pending;
        std::map<std::string, model::FileEvent> first_kind;
        std::set<std::string> appeared;  // its first change made it
        // Paths that changed while no run of the workflow ran nor had just
        // ended (the watch-loop warning, SPEC §9.2).
        std::set<std::string> outside_runs;
        events::UvHandle<uv_timer_t> debounce;
        int loop_events = 0;  // events in a row made only of changes during runs
    };
    void on_files(const std::vector<events::FileChange>& changes, bool overflow);
    void collect(Armed& a, const std::vector<events::FileChange>& changes);
    void flush(Window& w);
    bool is_state(const std::string& path) const;
    void warn_missing_prefixes(const Armed& a);
    void check_watch_loop(Window& w, const std::vector<std::string>& paths);

    Dispatch& m_dispatch;
    uv_loop_t* m_loop;
    std::string m_state_rel;  // the state directory relative to the working directory, if under it
    std::set<std::string> m_state_files;  // the database's files, relative likewise
    std::unique_ptr<events::FileWatcher> m_watcher;
    std::map<std::string, std::unique_ptr<Window>> m_windows;  // by workflow
    IgnoreFiles m_ignore;
};

// A glob's segments before the first with a wildcard, before its last
// segment ("src/**/*.c" -> "src"; "docs/index.md" -> "docs"; "*.c" -> "").
std::string glob_prefix(std::string pattern);

// The directory a glob's matches all live under: its segments before the
// first with a wildcard ("src/**/*.c" -> "src"; "*.c" -> "."), shortened to
// a directory that exists.
std::string glob_root(std::string pattern);

// `path` is `dir` or under it ("." holds everything).
bool path_under(const std::string& path, const std::string& dir);

}  // namespace weft::engine
