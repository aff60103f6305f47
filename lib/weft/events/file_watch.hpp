#pragma once
// Recursive file watching on raw inotify (SPEC §3 "file", DESIGN.md §2: not
// uv_fs_event, which is not recursive and hides IN_Q_OVERFLOW). Directories
// created under a root are watched as they appear and scanned, so files made
// in them before their watch existed are still reported. The fd is polled by
// the caller's libuv loop; changes arrive in batches, one per read.
#include <uv.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "weft/events/uv_handle.hpp"
#include "weft/model/workflow.hpp"
#include "weft/util/result.hpp"

namespace weft::events {

struct FileChange {
    std::string path;  // relative to the working directory, '/'-separated, no leading "./"
    model::FileEvent kind;
    // It came into being here (created, or moved in): a path that appeared
    // and is gone again within one debounce window never happened.
    bool appeared = false;
};

class FileWatcher {
  public:
    // `changes` is empty and `overflow` true when the kernel dropped events:
    // the watches were renewed, and the caller should treat everything as changed.
    using Callback = std::function<void(std::vector<FileChange> changes, bool overflow)>;
    // Directories for which `skip(dir)` is true are not watched (the state
    // directory, ignored trees). Errc::io when inotify cannot be set up, and
    // when the watch limit is reached, with a message naming
    // fs.inotify.max_user_watches. A directory that appears later and cannot
    // be watched (the limit again) goes to `error`, once: this module never
    // prints; its owner reports it.
    static Result<std::unique_ptr<FileWatcher>> start(uv_loop_t* loop,
                                                      std::vector<std::string> roots,
                                                      std::function<bool(const std::string&)> skip,
                                                      Callback cb,
                                                      std::function<void(const Error&)> error);
    ~FileWatcher();
    FileWatcher(const FileWatcher&) = delete;
    FileWatcher& operator=(const FileWatcher&) = delete;

  private:
    FileWatcher() = default;
    // Watch `dir` and its subdirectories; with `report`, files found in them
    // are reported as created (a directory that appeared while we ran).
    Result<void> add_tree(const std::string& dir, bool report, std::vector<FileChange>& out);
    void on_readable();

    int m_fd = -1;
    UvHandle<uv_poll_t> m_poll;
    std::vector<std::string> m_roots;
    std::function<bool(const std::string&)> m_skip;
    Callback m_cb;
    std::function<void(const Error&)> m_error;
    std::map<int, std::string> m_dirs;  // watch descriptor -> directory
    bool m_failed = false;              // the watch limit was reported once
};

// The inotify watch limit that binds here and the setting that holds it
// (fs.inotify.max_user_watches, or a user namespace's lower
// user.max_inotify_watches); value -1 when neither can be read.
struct WatchLimit {
    long value;
    std::string name;
};
WatchLimit max_user_watches();

}  // namespace weft::events
