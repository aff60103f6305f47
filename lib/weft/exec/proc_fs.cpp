#include "weft/exec/proc_fs.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstring>
#include <system_error>

namespace weft::exec::detail {
namespace {

// Parse a decimal pid from a /proc directory entry name; 0 if it is not one.
pid_t parse_pid(const char* name) {
    pid_t pid = 0;
    const char* end = name + std::strlen(name);
    auto [p, ec] = std::from_chars(name, end, pid);
    if (ec != std::errc() || p != end || pid <= 0) return 0;
    return pid;
}

// Skip spaces, then parse one signed decimal field; false at the end.
bool next_field(const char*& p, const char* end, long long& value) {
    while (p < end && *p == ' ') ++p;
    auto [q, ec] = std::from_chars(p, end, value);
    if (ec != std::errc()) return false;
    p = q;
    return true;
}

bool next_field(const char*& p, const char* end, unsigned long long& value) {
    while (p < end && *p == ' ') ++p;
    auto [q, ec] = std::from_chars(p, end, value);
    if (ec != std::errc()) return false;
    p = q;
    return true;
}

// Skip spaces, then one field of any content; false at the end.
bool skip_field(const char*& p, const char* end) {
    while (p < end && *p == ' ') ++p;
    if (p == end || *p == '\n') return false;
    while (p < end && *p != ' ' && *p != '\n') ++p;
    return true;
}

template <class F>
void for_each_numeric_entry(const char* dir_path, F&& f) {
    DIR* dir = opendir(dir_path);
    if (!dir) return;
    while (const dirent* e = readdir(dir)) {
        if (pid_t pid = parse_pid(e->d_name)) f(pid);
    }
    closedir(dir);
}

}  // namespace

std::optional<ProcStat> read_proc_stat(pid_t pid) {
    const std::string path = fmt::format("/proc/{}/stat", pid);
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    // One line of about 300 bytes; comm is at most 64 bytes (kernel threads).
    char buf[2048];
    std::size_t len = 0;
    while (len < sizeof buf) {
        ssize_t n = read(fd, buf + len, sizeof buf - len);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        len += static_cast<std::size_t>(n);
        if (buf[len - 1] == '\n') break;  // the whole line: no read to see the end
    }
    close(fd);
    // comm may contain ')' and spaces: the fields start after the last ')'.
    const char* end = buf + len;
    const char* p = end;
    while (p > buf && p[-1] != ')') --p;
    if (p == buf || end - p < 3) return std::nullopt;
    ProcStat st;
    st.pid = pid;
    st.state = p[1];
    p += 2;
    // Fields 4 (ppid) to 22 (starttime).
    long long f[19];
    for (long long& v : f) {
        if (!next_field(p, end, v)) return std::nullopt;
    }
    st.ppid = static_cast<pid_t>(f[0]);
    st.pgid = static_cast<pid_t>(f[1]);
    st.sid = static_cast<pid_t>(f[2]);
    st.flags = static_cast<unsigned long long>(f[5]);
    st.start_time = f[18];
    // Fields 23 to 49 are not needed (some exceed long long: skip them as
    // text), then 50 (env_start) and 51 (env_end).
    bool more = true;
    for (int field = 23; more && field <= 49; ++field) more = skip_field(p, end);
    st.has_env_bounds = more && next_field(p, end, st.env_start) && next_field(p, end, st.env_end);
    if (!st.has_env_bounds) st.env_start = st.env_end = 0;
    return st;
}

bool read_whole_file(const char* path, std::string& out) {
    out.clear();
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buf[16384];
    bool ok = true;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) ok = false;
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
    }
    close(fd);
    return ok;
}

std::vector<pid_t> all_pids() {
    std::vector<pid_t> pids;
    for_each_numeric_entry("/proc", [&](pid_t pid) { pids.push_back(pid); });
    return pids;
}

std::vector<pid_t> own_children() {
    std::vector<pid_t> children;
    // CONFIG_PROC_CHILDREN is optional; Debian's kernels have it.
    static const bool have_children_files = access("/proc/thread-self/children", R_OK) == 0;
    if (have_children_files) {
        std::string text;
        // An orphan reparented to a subreaper hangs off one of its threads, so
        // every thread's list is needed.
        for_each_numeric_entry("/proc/self/task", [&](pid_t tid) {
            const std::string path = fmt::format("/proc/self/task/{}/children", tid);
            if (!read_whole_file(path.c_str(), text)) return;  // the thread just ended
            const char* p = text.data();
            const char* end = p + text.size();
            long long v = 0;
            while (next_field(p, end, v)) children.push_back(static_cast<pid_t>(v));
        });
        return children;
    }
    const pid_t self = getpid();
    for (pid_t pid : all_pids()) {
        auto st = read_proc_stat(pid);
        if (st && st->ppid == self) children.push_back(pid);
    }
    return children;
}

std::string errno_text(int err) {
    return std::system_category().message(err);
}

}  // namespace weft::exec::detail
