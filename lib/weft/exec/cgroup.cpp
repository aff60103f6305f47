#include "weft/exec/cgroup.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <sstream>
#include <string_view>
#include <thread>
#include <vector>

#include "weft/exec/proc_fs.hpp"

namespace weft::exec::cgroup {
namespace {

using detail::errno_text;

// mountinfo escapes space, tab, newline and backslash in paths as \ooo.
std::string unescape(const std::string& s) {
    std::string out;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (s[i] == '\\' && i + 3 < s.size()) {
            const std::string oct = s.substr(i + 1, 3);
            if (oct.find_first_not_of("01234567") == std::string::npos) {
                out += static_cast<char>(std::stoi(oct, nullptr, 8));
                i += 3;
                continue;
            }
        }
        out += s[i];
    }
    return out;
}

bool write_file(const std::string& path, const char* text) {
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return false;
    const std::size_t n = std::char_traits<char>::length(text);
    const bool ok = ::write(fd, text, n) == static_cast<ssize_t>(n);
    ::close(fd);
    return ok;
}

std::vector<std::string> child_groups(const std::string& dir) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != ".." && e->d_type == DT_DIR) out.push_back(dir + "/" + name);
    }
    ::closedir(d);
    return out;
}

}  // namespace

std::string mount_point() {
    static const std::string k_mount = [] {
        std::string text;
        if (!detail::read_whole_file("/proc/self/mountinfo", text)) return std::string();
        std::istringstream lines(text);
        for (std::string line; std::getline(lines, line);) {
            // ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER
            const auto dash = line.find(" - ");
            if (dash == std::string::npos) continue;
            std::istringstream tail(line.substr(dash + 3));
            std::string fstype;
            tail >> fstype;
            if (fstype != "cgroup2") continue;
            std::istringstream head(line.substr(0, dash));
            std::string id, parent, dev, root, mount;
            head >> id >> parent >> dev >> root >> mount;
            if (root == "/") return unescape(mount);
        }
        return std::string();
    }();
    return k_mount;
}

std::string owner_dir(const std::string& token) {
    const std::string mount = mount_point();
    if (mount.empty() || token.empty()) return {};
    std::string text;
    if (!detail::read_whole_file("/proc/self/cgroup", text)) return {};
    std::istringstream lines(text);
    for (std::string line; std::getline(lines, line);) {
        if (line.rfind("0::", 0) != 0) continue;
        std::string own = line.substr(3);
        if (own == "/") own.clear();
        return mount + own + "/weft-" + token;
    }
    return {};
}

Result<Group> create(const std::string& owner_dir, const std::string& name) {
    if (owner_dir.empty()) return make_error(Errc::exec, "no cgroup v2 mount");
    Group g;
    g.path = owner_dir + "/" + name;
    // The attempt's group first: its owner directory exists but for the
    // first attempt, so that is one mkdir per attempt, not two.
    int rc = ::mkdir(g.path.c_str(), 0755);
    if (rc != 0 && errno == ENOENT) {
        if (::mkdir(owner_dir.c_str(), 0755) != 0 && errno != EEXIST)
            return make_error(Errc::exec, "cannot create " + owner_dir + ": " + errno_text(errno));
        rc = ::mkdir(g.path.c_str(), 0755);
    }
    if (rc != 0 && errno != EEXIST)
        return make_error(Errc::exec, "cannot create " + g.path + ": " + errno_text(errno));
    // The kernel's, so the same for every group: asked once per process.
    static const bool has_kill = ::access((g.path + "/cgroup.kill").c_str(), W_OK) == 0;
    if (!has_kill) {
        ::rmdir(g.path.c_str());
        return make_error(Errc::exec, g.path + " has no cgroup.kill (Linux >= 5.14)");
    }
    g.fd = ::open(g.path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (g.fd < 0) {
        const int err = errno;
        ::rmdir(g.path.c_str());
        return make_error(Errc::exec, "cannot open " + g.path + ": " + errno_text(err));
    }
    g.events_fd = ::openat(g.fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
    return g;
}

void close_fds(Group& g) {
    for (int* fd : {&g.fd, &g.events_fd}) {
        if (*fd >= 0) ::close(*fd);
        *fd = -1;
    }
}

void discard(Group& g) {
    close_fds(g);
    if (!g.path.empty()) remove(g.path);
    g.path.clear();
}

// cgroup.events is generated anew by each read from offset 0, so the one fd
// serves every check.
bool populated(const Group& g) {
    if (g.events_fd < 0) return populated(g.path);
    char buf[128];
    const ssize_t n = ::pread(g.events_fd, buf, sizeof buf - 1, 0);
    if (n < 0) return populated(g.path);
    return std::string_view(buf, static_cast<std::size_t>(n)).find("populated 1") !=
           std::string_view::npos;
}

bool kill(const std::string& path) {
    return write_file(path + "/cgroup.kill", "1");
}

int signal(const std::string& path, int sig) {
    std::string text;
    if (!detail::read_whole_file((path + "/cgroup.procs").c_str(), text)) return 0;
    int n = 0;
    std::istringstream pids(text);
    for (long pid; pids >> pid;)
        if (::kill(static_cast<pid_t>(pid), sig) == 0) ++n;
    return n;
}

bool populated(const std::string& path) {
    std::string text;
    if (!detail::read_whole_file((path + "/cgroup.events").c_str(), text)) return false;
    return text.find("populated 1") != std::string::npos;
}

bool remove(const std::string& path) {
    return ::rmdir(path.c_str()) == 0 || errno == ENOENT;
}

int kill_owner_dir(const std::string& owner_dir) {
    if (owner_dir.empty()) return 0;
    const auto groups = child_groups(owner_dir);
    int busy = 0;
    for (const auto& g : groups)
        if (populated(g)) {
            ++busy;
            kill(g);
        }
    // cgroup.kill is asynchronous: the group empties once its processes
    // have died, which takes a few milliseconds.
    for (int i = 0; i < 100; ++i) {
        bool any = false;
        for (const auto& g : groups) any = !remove(g) || any;
        if (!any) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    remove(owner_dir);
    return busy;
}

}  // namespace weft::exec::cgroup
