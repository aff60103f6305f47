#pragma once
// cgroup v2 groups for attempts: every process a step starts, however it
// escapes (setsid, a cleared environment, a double fork), stays in its
// attempt's cgroup, and `cgroup.kill` ends them all at once (DESIGN.md §2).
//
// Layout: MOUNT/OWN/weft-TOKEN/a-N, where MOUNT is the cgroup2 mount found in
// /proc/self/mountinfo (a unified or hybrid hierarchy), OWN the caller's own
// cgroup (/proc/self/cgroup), TOKEN the weft process's owner token
// (PID-STARTTIME) and N a number of the caller's (a group that an attempt left
// empty may serve the next one). Where weft cannot make one
// (no cgroup2 mount, not root and no delegation, a kernel before 5.14
// without cgroup.kill), every call here fails and the caller falls back to
// finding processes by group, session and environment marker.
#include <string>

#include "weft/util/result.hpp"

namespace weft::exec::cgroup {

// The directory of a cgroup2 mount, from /proc/self/mountinfo; empty if none.
std::string mount_point();

// MOUNT/OWN/weft-TOKEN for the caller's cgroup: where a weft process whose
// owner token is `token` keeps its attempts' cgroups. Empty when there is no
// cgroup2 mount or the caller's cgroup cannot be read.
std::string owner_dir(const std::string& token);

// One attempt's cgroup, made under `owner_dir` (created too, 0755, if
// missing): its path, an O_DIRECTORY fd for clone3(CLONE_INTO_CGROUP) and its
// cgroup.events open for populated(). Errc::exec when the kernel refuses
// (EACCES without delegation, EROFS) or the group has no cgroup.kill.
struct Group {
    std::string path;
    int fd = -1;         // owned by the caller (close_fds)
    int events_fd = -1;  // cgroup.events; -1: read by path
};
Result<Group> create(const std::string& owner_dir, const std::string& name);

// Close the fds of `g` that are open and set them to -1 (the cgroup stays).
void close_fds(Group& g);
// Close the fds of `g` and remove its (empty) cgroup; `g` is left empty.
void discard(Group& g);

// True while `g` (or a child of it) holds a process: one pread of its open
// cgroup.events.
bool populated(const Group& g);

// Kill every process in the cgroup at `path` and its children (cgroup.kill:
// SIGKILL, no process can fork away meanwhile). False if it cannot be written.
bool kill(const std::string& path);

// Send `sig` to every process of the cgroup at `path` (cgroup.procs);
// returns how many were signalled.
int signal(const std::string& path, int sig);

// True while the cgroup at `path` (or a child of it) holds a process.
bool populated(const std::string& path);

// Remove the cgroup at `path` once empty (rmdir); false while it holds a
// process or it cannot be removed.
bool remove(const std::string& path);

// A dead weft's `owner_dir`: kill each attempt cgroup in it, wait for them to
// empty (at most about a second), then remove them and the directory.
// Returns how many cgroups still held processes when it looked.
int kill_owner_dir(const std::string& owner_dir);

}  // namespace weft::exec::cgroup
