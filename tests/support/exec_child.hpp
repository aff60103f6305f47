#pragma once
// Test helpers for weft::exec: a guard that kills and reaps everything a test
// started (also when a CHECK failed halfway), and polling with generous
// deadlines instead of fixed sleeps.
#include <doctest/doctest.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "weft/exec/process.hpp"

namespace weft::test {

inline constexpr std::chrono::seconds k_exec_deadline{20};

// Poll `pred` every few milliseconds until it holds; false after `timeout`.
template <class Pred>
bool eventually(Pred pred, std::chrono::milliseconds timeout = k_exec_deadline) {
    auto end = std::chrono::steady_clock::now() + timeout;
    while (!pred()) {
        if (std::chrono::steady_clock::now() > end) return false;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
}

// A marker unique to this test process and call.
inline std::string unique_marker() {
    static int n = 0;
    return "WEFT_ATTEMPT_KEY=exec-test:" + std::to_string(getpid()) + ":" + std::to_string(++n);
}

// PATH from the test process, plus `extra` entries.
inline std::vector<std::string> test_env(std::vector<std::string> extra = {}) {
    const char* path = std::getenv("PATH");
    extra.insert(extra.begin(), std::string("PATH=") + (path ? path : "/usr/bin:/bin"));
    return extra;
}

inline std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// State letter from /proc/PID/stat, '-' if the process is gone.
inline char proc_state(pid_t pid) {
    std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    auto paren = stat.rfind(')');
    return paren == std::string::npos || paren + 2 >= stat.size() ? '-' : stat[paren + 2];
}

// Gone or a zombie: nothing left running.
inline bool not_running(pid_t pid) {
    char s = proc_state(pid);
    return s == '-' || s == 'Z' || s == 'X';
}

// Every live process whose environment holds `marker`, found independently of
// weft::exec by reading each /proc/PID/environ.
inline std::vector<pid_t> marker_holders(const std::string& marker) {
    std::vector<pid_t> pids;
    std::string needle = marker + '\0';
    for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
        const std::string name = entry.path().filename();
        if (name.find_first_not_of("0123456789") != std::string::npos) continue;
        pid_t pid = std::stoi(name);
        std::string env = read_text("/proc/" + name + "/environ");
        if ((env.rfind(needle, 0) == 0 || env.find('\0' + needle) != std::string::npos) &&
            !not_running(pid)) {
            pids.push_back(pid);
        }
    }
    return pids;
}

struct Outcome {
    std::string out;
    std::string err;
    exec::ExitStatus status;
};

// A process started by a test. The destructor kills its whole attempt (group,
// descendants, marker holders) and reaps what is ours to reap.
class ExecChild {
  public:
    enum class AddMarker { yes, no };

    // `argv` with the test PATH, `extra_env` and a fresh marker.
    explicit ExecChild(std::vector<std::string> argv, std::vector<std::string> extra_env = {},
                       std::string cwd = "")
        : ExecChild(
              exec::SpawnRequest{std::move(argv), test_env(std::move(extra_env)), std::move(cwd)},
              AddMarker::yes) {}

    ExecChild(exec::SpawnRequest r, AddMarker add) {
        if (add == AddMarker::yes) {
            m_marker = unique_marker();
            r.env.push_back(m_marker);
        }
        auto c = exec::spawn(r);
        REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.error().message));
        m_child = *c;
    }
    ExecChild(const ExecChild&) = delete;
    ExecChild& operator=(const ExecChild&) = delete;
    ~ExecChild() { kill_all(); }

    exec::Child& child() { return m_child; }
    pid_t pid() const { return m_child.pid; }
    const std::string& marker() const { return m_marker; }
    // Someone else reaped it: the pid must not be signalled any more.
    void mark_reaped() { m_reaped = true; }

    // Wait for the process to exit (its pidfd), without reaping it.
    bool wait_exited() {
        pollfd p{m_child.pidfd, POLLIN, 0};
        return poll(&p, 1, static_cast<int>(k_exec_deadline.count() * 1000)) == 1;
    }

    // Wait for the exit and reap it.
    exec::ExitStatus reap() {
        REQUIRE(wait_exited());
        auto st = exec::try_reap(m_child.pid);
        REQUIRE(st);
        m_reaped = true;
        return *st;
    }

    // Read stdout and stderr to their end, then reap.
    Outcome finish() {
        Outcome o;
        bool out_open = true;
        bool err_open = true;
        auto end = std::chrono::steady_clock::now() + k_exec_deadline;
        auto drain = [](int fd, std::string& text) {
            auto r = exec::read_available(fd, text);
            if (!r.ok()) FAIL(r.error().message);
            return *r == exec::ReadEnd::open;
        };
        while ((out_open || err_open) && std::chrono::steady_clock::now() < end) {
            pollfd fds[2] = {{out_open ? m_child.stdout_fd : -1, POLLIN, 0},
                             {err_open ? m_child.stderr_fd : -1, POLLIN, 0}};
            poll(fds, 2, 1000);
            if (out_open) out_open = drain(m_child.stdout_fd, o.out);
            if (err_open) err_open = drain(m_child.stderr_fd, o.err);
        }
        REQUIRE_FALSE(out_open);
        REQUIRE_FALSE(err_open);
        o.status = reap();
        return o;
    }

    // One line of stdout (without its newline).
    std::string read_line() {
        std::string text;
        REQUIRE(eventually([&] {
            auto r = exec::read_available(m_child.stdout_fd, text);
            return !r.ok() || text.find('\n') != std::string::npos || *r == exec::ReadEnd::eof;
        }));
        auto nl = text.find('\n');
        REQUIRE(nl != std::string::npos);
        return text.substr(0, nl);
    }

    // SIGKILL everything of the attempt until nothing of it runs; reap the
    // leader and any of its processes that ended up as our children.
    void kill_all() {
        if (m_child.pid <= 0) return;
        std::set<pid_t> seen;
        std::vector<pid_t> left;
        bool all_gone = eventually([&] {
            left = exec::attempt_processes(m_child.pid, m_child.start_time, m_marker);
            seen.insert(left.begin(), left.end());
            exec::signal_attempt(m_child.pid, m_child.start_time, m_marker, SIGKILL);
            return left.empty();
        });
        if (!all_gone) {
            // Loudly: a timeout here would otherwise only show as a slow test.
            std::string list;
            for (pid_t p : left) {
                list += "\n  " + std::to_string(p) + ": " +
                        read_text("/proc/" + std::to_string(p) + "/stat");
            }
            FAIL_CHECK("processes of attempt " << m_child.pid << " (" << m_marker
                                               << ") still run after SIGKILL for "
                                               << k_exec_deadline.count() << " s:" << list);
        }
        if (!m_reaped) {
            kill(m_child.pid, SIGKILL);
            waitpid(m_child.pid, nullptr, 0);
            m_reaped = true;
        }
        for (pid_t p : seen) waitpid(p, nullptr, WNOHANG);  // ECHILD when init has it
        exec::close_fds(m_child);
    }

  private:
    exec::Child m_child;
    std::string m_marker;
    bool m_reaped = false;
};

}  // namespace weft::test
