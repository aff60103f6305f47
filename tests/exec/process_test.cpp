#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "support/exec_child.hpp"
#include "weft/exec/process.hpp"

namespace ex = weft::exec;
using weft::test::eventually;
using weft::test::ExecChild;
using weft::test::marker_holders;
using weft::test::not_running;
using weft::test::read_text;
using weft::test::test_env;
using Pids = std::vector<pid_t>;

namespace {

// A fresh directory under the temp dir, removed at the end of the scope.
class TempDir {
  public:
    TempDir() {
        std::string templ = (std::filesystem::temp_directory_path() / "weft-exec-XXXXXX").string();
        REQUIRE(mkdtemp(templ.data()) != nullptr);
        m_path = templ;
    }
    ~TempDir() {
        std::error_code ec;
        std::filesystem::remove_all(m_path, ec);
    }
    const std::string& path() const { return m_path; }
    std::string write(const std::string& name, const std::string& text, mode_t mode) {
        std::string file = m_path + "/" + name;
        std::ofstream(file) << text;
        chmod(file.c_str(), mode);
        return file;
    }

  private:
    std::string m_path;
};

std::string spawn_error(const ex::SpawnRequest& r) {
    auto c = ex::spawn(r);
    if (c.ok()) {
        kill(c->pid, SIGKILL);
        waitpid(c->pid, nullptr, 0);
        ex::close_fds(*c);
        return "(spawned)";
    }
    CHECK(c.error().code == weft::Errc::exec);
    return c.error().message;
}

// Field 22 of /proc/PID/stat, parsed here independently of weft::exec.
long long stat_start_time(pid_t pid) {
    std::string stat = read_text("/proc/" + std::to_string(pid) + "/stat");
    std::istringstream in(stat.substr(stat.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 22; ++i) in >> field;
    return std::stoll(field);
}

pid_t to_pid(const std::string& s) {
    return static_cast<pid_t>(std::stol(s));
}

const auto k_untracked = [](pid_t) { return false; };

// Makes this test process a child subreaper for the scope, then stops being
// one so later tests see the usual reparenting to init.
class SubreaperScope {
  public:
    SubreaperScope() { REQUIRE(ex::become_child_subreaper().ok()); }
    ~SubreaperScope() { prctl(PR_SET_CHILD_SUBREAPER, 0UL, 0UL, 0UL, 0UL); }
};

}  // namespace

TEST_CASE("exec::spawn") {
    SUBCASE("stdout and stderr arrive on separate pipes") {
        ExecChild c({"sh", "-c", "echo out; echo err >&2; echo more"});
        for (int fd : {c.child().stdout_fd, c.child().stderr_fd}) {
            CHECK((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0);
            CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
        }
        CHECK((fcntl(c.child().pidfd, F_GETFD) & FD_CLOEXEC) != 0);
        auto o = c.finish();
        CHECK(o.out == "out\nmore\n");
        CHECK(o.err == "err\n");
        CHECK(o.status.exit_code == 0);
        CHECK_FALSE(o.status.signal);
    }
    SUBCASE("exit codes") {
        ExecChild c({"sh", "-c", "exit 3"});
        auto st = c.reap();
        CHECK(st.exit_code == 3);
        CHECK_FALSE(st.signal);
    }
    SUBCASE("signal deaths") {
        for (const char* sig : {"TERM", "KILL", "HUP"}) {
            CAPTURE(sig);
            ExecChild c({"sh", "-c", std::string("kill -") + sig + " $$"});
            auto st = c.reap();
            CHECK_FALSE(st.exit_code);
            REQUIRE(st.signal);
            CHECK(std::string(ex::signal_name(*st.signal)) == std::string("SIG") + sig);
        }
    }
    SUBCASE("stdin is /dev/null") {
        ExecChild cat({"cat"});
        auto o = cat.finish();
        CHECK(o.out.empty());
        CHECK(o.status.exit_code == 0);
        ExecChild link({"readlink", "/proc/self/fd/0"});
        CHECK(link.finish().out == "/dev/null\n");
    }
    SUBCASE("cwd") {
        TempDir dir;
        ExecChild pwd({"pwd", "-P"}, {}, dir.path());
        CHECK(pwd.finish().out == std::filesystem::canonical(dir.path()).string() + "\n");
        // A relative program path is taken from the new working directory.
        dir.write("hello.sh", "#!/bin/sh\necho hello from $(basename \"$PWD\")\n", 0755);
        ExecChild rel({"./hello.sh"}, {}, dir.path());
        CHECK(rel.finish().out ==
              "hello from " + std::filesystem::path(dir.path()).filename().string() + "\n");
    }
    SUBCASE("a bad cwd is an error naming it") {
        TempDir dir;
        std::string file = dir.write("file", "", 0644);
        CHECK(spawn_error({{"pwd"}, test_env(), "/nonexistent/weft"}) ==
              "cannot run 'pwd': working directory '/nonexistent/weft': No such file or directory");
        CHECK(spawn_error({{"pwd"}, test_env(), file}) ==
              "cannot run 'pwd': working directory '" + file + "': Not a directory");
    }
    SUBCASE("a missing or unrunnable program is an error naming it") {
        TempDir dir;
        CHECK(spawn_error({{"weft-no-such-program", "x"}, test_env(), ""}) ==
              "cannot run 'weft-no-such-program': No such file or directory");
        CHECK(spawn_error({{"/nonexistent/prog"}, test_env(), ""}) ==
              "cannot run '/nonexistent/prog': No such file or directory");
        std::string plain = dir.write("plain", "#!/bin/sh\n", 0644);
        CHECK(spawn_error({{plain}, test_env(), ""}) ==
              "cannot run '" + plain + "': Permission denied");
        CHECK(spawn_error({{"plain"}, {"PATH=" + dir.path()}, ""}) ==
              "cannot run 'plain': Permission denied");
        CHECK(spawn_error({{}, test_env(), ""}) == "cannot run an empty command");
    }
    SUBCASE("the program is looked up in the PATH of the given environment") {
        TempDir dir;
        dir.write("weft-test-tool", "#!/bin/sh\necho tool \"$@\"\n", 0755);
        ExecChild c({{"weft-test-tool", "a b"}, {"PATH=/nonexistent:" + dir.path()}, ""},
                    ExecChild::AddMarker::no);
        CHECK(c.finish().out == "tool a b\n");
    }
    SUBCASE("a program found in the PATH is looked up again once it is gone") {
        // spawn remembers where it found a name: that must not outlive the file.
        TempDir a, b;
        const std::vector<std::string> env{"PATH=" + a.path() + ":" + b.path()};
        const std::string first = a.write("weft-test-moved", "#!/bin/sh\necho a\n", 0755);
        b.write("weft-test-moved", "#!/bin/sh\necho b\n", 0755);
        ExecChild c1({{"weft-test-moved"}, env, ""}, ExecChild::AddMarker::no);
        CHECK(c1.finish().out == "a\n");
        REQUIRE(::unlink(first.c_str()) == 0);
        ExecChild c2({{"weft-test-moved"}, env, ""}, ExecChild::AddMarker::no);
        CHECK(c2.finish().out == "b\n");
        const std::string second = b.path() + "/weft-test-moved";
        REQUIRE(::unlink(second.c_str()) == 0);
        CHECK(spawn_error({{"weft-test-moved"}, env, ""}) ==
              "cannot run 'weft-test-moved': No such file or directory");
    }
    SUBCASE("a relative PATH entry is searched from the cwd every time") {
        TempDir a, b;
        a.write("weft-test-rel", "#!/bin/sh\necho a\n", 0755);
        b.write("weft-test-rel", "#!/bin/sh\necho b\n", 0755);
        ExecChild c1({{"weft-test-rel"}, {"PATH=."}, a.path()}, ExecChild::AddMarker::no);
        CHECK(c1.finish().out == "a\n");
        ExecChild c2({{"weft-test-rel"}, {"PATH=."}, b.path()}, ExecChild::AddMarker::no);
        CHECK(c2.finish().out == "b\n");
    }
    SUBCASE("a new process group") {
        ExecChild c({"sleep", "1000"});
        CHECK(getpgid(c.pid()) == c.pid());
        CHECK(getpgid(c.pid()) != getpgrp());
        CHECK(getsid(c.pid()) == getsid(0));  // a group, not a session
    }
    SUBCASE("the environment is exactly the one given") {
        ExecChild c({{"/usr/bin/env"}, {"A=1", "B=two words", "EMPTY="}, ""},
                    ExecChild::AddMarker::no);
        CHECK(c.finish().out == "A=1\nB=two words\nEMPTY=\n");
        ExecChild none({{"/usr/bin/env"}, {}, ""}, ExecChild::AddMarker::no);
        CHECK(none.finish().out.empty());
    }
    SUBCASE("env_view, when given, is the environment, and its PATH finds the program") {
        ex::SpawnRequest r{{"env"}, {"IGNORED=1", "PATH=/nonexistent"}, ""};
        const std::string path = "PATH=/usr/bin:/bin", a = "A=two words";
        r.env_view = {path.c_str(), a.c_str()};
        ExecChild c(r, ExecChild::AddMarker::no);
        CHECK(c.finish().out == "PATH=/usr/bin:/bin\nA=two words\n");
    }
    SUBCASE("no fd other than 0-2 is inherited") {
        // An fd without O_CLOEXEC, as a careless library would leave one.
        int low = open("/dev/null", O_RDONLY);
        int leaked = fcntl(low, F_DUPFD, 100);
        REQUIRE(leaked >= 100);
        ExecChild c({"ls", "/proc/self/fd"});
        auto o = c.finish();
        close(leaked);
        close(low);
        CHECK(o.out == "0\n1\n2\n3\n");  // 3: the directory ls is reading
    }
    SUBCASE("an empty signal mask and default dispositions") {
        struct sigaction ign {};
        ign.sa_handler = SIG_IGN;
        struct sigaction old_term {};
        struct sigaction old_pipe {};
        sigaction(SIGTERM, &ign, &old_term);
        sigaction(SIGPIPE, &ign, &old_pipe);
        sigset_t block;
        sigset_t old_mask;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        pthread_sigmask(SIG_BLOCK, &block, &old_mask);
        ExecChild status({"grep", "-E", "^Sig(Blk|Ign):", "/proc/self/status"});
        // sh cannot trap or reset a signal ignored on entry: it would survive.
        ExecChild term({"sh", "-c", "kill -TERM $$; exit 7"});
        sigaction(SIGTERM, &old_term, nullptr);
        sigaction(SIGPIPE, &old_pipe, nullptr);
        pthread_sigmask(SIG_SETMASK, &old_mask, nullptr);
        CHECK(status.finish().out == "SigBlk:\t0000000000000000\nSigIgn:\t0000000000000000\n");
        CHECK(term.reap().signal == SIGTERM);
    }
    SUBCASE("start_time is the process's") {
        ExecChild c({"sleep", "1000"});
        CHECK(c.child().start_time > 0);
        CHECK(c.child().start_time == stat_start_time(c.pid()));
    }
    SUBCASE("start_time is the process's, spawn after spawn") {
        // Taken from the clock around clone when its tick did not change:
        // it must agree with /proc every time, ticks crossed or not.
        for (int i = 0; i < 200; ++i) {
            ExecChild c({"sleep", "1000"});
            REQUIRE(c.child().start_time == stat_start_time(c.pid()));
        }
    }
}

TEST_CASE("exec::try_reap") {
    SUBCASE("nullopt while running, the status once exited") {
        ExecChild c({"sleep", "1000"});
        CHECK_FALSE(ex::try_reap(c.pid()));
        kill(c.pid(), SIGKILL);
        REQUIRE(c.wait_exited());
        auto st = ex::try_reap(c.pid());
        REQUIRE(st);
        CHECK(st->signal == SIGKILL);
        CHECK_FALSE(st->exit_code);
        c.mark_reaped();
        CHECK(weft::test::proc_state(c.pid()) == '-');
    }
    SUBCASE("not a child: neither field set") {
        auto st = ex::try_reap(1);
        REQUIRE(st);
        CHECK_FALSE(st->exit_code);
        CHECK_FALSE(st->signal);
    }
}

TEST_CASE("exec::reap_untracked") {
    // Both orders: the kernel answers a WNOWAIT peek with the oldest exited
    // child, so a tracked zombie first hides the untracked one behind it.
    for (bool tracked_first : {true, false}) {
        CAPTURE(tracked_first);
        std::optional<ExecChild> first(std::in_place, std::vector<std::string>{"true"});
        std::optional<ExecChild> second(std::in_place, std::vector<std::string>{"true"});
        ExecChild& tracked = tracked_first ? *first : *second;
        ExecChild& untracked = tracked_first ? *second : *first;
        REQUIRE(tracked.wait_exited());
        REQUIRE(untracked.wait_exited());
        pid_t tracked_pid = tracked.pid();
        ex::reap_untracked([&](pid_t p) { return p == tracked_pid; }, true);
        siginfo_t info{};
        int rc =
            waitid(P_PID, static_cast<id_t>(untracked.pid()), &info, WEXITED | WNOHANG | WNOWAIT);
        int err = errno;
        if (rc == -1 && err == ECHILD) untracked.mark_reaped();
        CHECK(rc == -1);
        CHECK(err == ECHILD);
        auto st = ex::try_reap(tracked_pid);
        REQUIRE(st);
        tracked.mark_reaped();
        CHECK(st->exit_code == 0);
    }
}

TEST_CASE("exec::reap_untracked, not thorough: one peek, what a tracked zombie hides waits") {
    // The engine's call at each attempt's end: the oldest exited child is
    // tracked, so the untracked one behind it stays a zombie until that one
    // is reaped, and the next call reaps it.
    std::optional<ExecChild> tracked(std::in_place, std::vector<std::string>{"true"});
    std::optional<ExecChild> untracked(std::in_place, std::vector<std::string>{"true"});
    REQUIRE(tracked->wait_exited());
    REQUIRE(untracked->wait_exited());
    const pid_t tracked_pid = tracked->pid();
    const auto is_tracked = [&](pid_t p) { return p == tracked_pid; };
    const auto zombie = [](pid_t pid) {
        siginfo_t info{};
        return waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
               info.si_pid == pid;
    };
    ex::reap_untracked(is_tracked, false);
    CHECK(zombie(untracked->pid()));
    auto st = ex::try_reap(tracked_pid);
    REQUIRE(st);
    tracked->mark_reaped();
    ex::reap_untracked(is_tracked, false);
    CHECK_FALSE(zombie(untracked->pid()));
    if (!zombie(untracked->pid())) untracked->mark_reaped();
}

TEST_CASE("exec::process_start_time") {
    CHECK(ex::process_start_time(getpid()) == stat_start_time(getpid()));
    CHECK(ex::process_start_time(1) == stat_start_time(1));
    ExecChild c({"sh", "-c", "exit 0"});
    REQUIRE(c.wait_exited());
    // A zombie keeps its start time until reaped.
    CHECK(ex::process_start_time(c.pid()) == c.child().start_time);
    c.reap();
    CHECK(ex::process_start_time(c.pid()) == 0);
    CHECK(ex::process_start_time(0) == 0);
    CHECK(ex::process_start_time(-1) == 0);
}

TEST_CASE("exec::attempt_processes") {
    SUBCASE("the leader, its group, and a descendant that left both group and marker") {
        ExecChild c({"sh", "-c",
                     "sleep 1000 & a=$!; setsid env -u WEFT_ATTEMPT_KEY sleep 1000 & b=$!;"
                     " echo $a $b; exec sleep 1000"});
        std::istringstream line(c.read_line());
        pid_t a = 0;
        pid_t b = 0;
        line >> a >> b;
        // Wait until `b` has called setsid and dropped the marker.
        REQUIRE(eventually([&] {
            return getsid(b) == b && read_text("/proc/" + std::to_string(b) + "/comm") == "sleep\n";
        }));
        Pids expected{c.pid(), a, b};
        std::sort(expected.begin(), expected.end());
        CHECK(ex::attempt_processes(c.pid(), c.child().start_time, c.marker()) == expected);
        // With a wrong start time the leader is still found by its marker, and
        // `b` as its child.
        CHECK(ex::attempt_processes(c.pid(), c.child().start_time - 1, c.marker()) == expected);
        // An unknown marker and a wrong start time: nothing is trusted.
        CHECK(
            ex::attempt_processes(c.pid(), c.child().start_time - 1, "WEFT_ATTEMPT_KEY=x").empty());
    }
    SUBCASE("processes in the middle of an exec are found") {
        // Each job execs setsid, leaves the group, then execs sleep. Inside an
        // execve /proc/PID/environ reads empty until the new image's
        // environment is set up, and once the leader is reaped and a job has
        // left the group, its marker is all that identifies it. Every scan,
        // back to back until all eight have settled, must find all eight.
        ExecChild c(
            {"sh", "-c", "for i in 1 2 3 4 5 6 7 8; do setsid sleep 1000 >/dev/null 2>&1 & done"});
        CHECK(c.reap().exit_code == 0);
        auto settled = [](const Pids& pids) {
            return pids.size() == 8 && std::all_of(pids.begin(), pids.end(), [](pid_t p) {
                       return getsid(p) == p &&
                              read_text("/proc/" + std::to_string(p) + "/comm") == "sleep\n";
                   });
        };
        auto end = std::chrono::steady_clock::now() + weft::test::k_exec_deadline;
        Pids pids;
        int scans = 0;
        int short_scans = 0;
        do {
            pids = ex::attempt_processes(c.pid(), c.child().start_time, c.marker());
            ++scans;
            if (pids.size() != 8) ++short_scans;
        } while (!settled(pids) && std::chrono::steady_clock::now() < end);
        CAPTURE(scans);
        CHECK(short_scans == 0);
        REQUIRE(settled(pids));
        CHECK(eventually([&] {
            ex::signal_attempt(c.pid(), c.child().start_time, c.marker(), SIGKILL);
            return ex::attempt_processes(c.pid(), c.child().start_time, c.marker()).empty();
        }));
        CHECK(marker_holders(c.marker()).empty());
    }
    SUBCASE("nothing for an attempt that has ended") {
        ExecChild c({"true"});
        c.reap();
        CHECK(ex::attempt_processes(c.pid(), c.child().start_time, c.marker()).empty());
    }
}

TEST_CASE("exec::signal_attempt") {
    SUBCASE("a background job without the marker, found by its group") {
        ExecChild c({"sh", "-c", "env -u WEFT_ATTEMPT_KEY sleep 1000 & echo $!"});
        pid_t bg = to_pid(c.read_line());
        REQUIRE(c.wait_exited());  // the leader is a zombie: its group is still trusted
        CHECK(ex::attempt_processes(c.pid(), c.child().start_time, c.marker()) == Pids{bg});
        CHECK(ex::signal_attempt(c.pid(), c.child().start_time, c.marker(), SIGTERM) == 1);
        CHECK(eventually([&] { return not_running(bg); }));
        CHECK(c.reap().exit_code == 0);
    }
    SUBCASE("after the leader is reaped, a marked member vouches for the group") {
        ExecChild c(
            {"sh", "-c", "sleep 1000 & a=$!; env -u WEFT_ATTEMPT_KEY sleep 1000 & echo $a $!"});
        std::istringstream line(c.read_line());
        pid_t a = 0;
        pid_t b = 0;
        line >> a >> b;
        CHECK(c.reap().exit_code == 0);
        REQUIRE(eventually(
            [&] { return read_text("/proc/" + std::to_string(b) + "/comm") == "sleep\n"; }));
        CHECK(ex::maybe_leftovers(c.pid(), k_untracked));
        Pids expected{std::min(a, b), std::max(a, b)};
        CHECK(ex::attempt_processes(c.pid(), c.child().start_time, c.marker()) == expected);
        CHECK(ex::signal_attempt(c.pid(), c.child().start_time, c.marker(), SIGKILL) == 2);
        CHECK(eventually([&] { return not_running(a) && not_running(b); }));
        CHECK(marker_holders(c.marker()).empty());
    }
    for (bool subreaper : {true, false}) {
        SUBCASE(subreaper ? "a setsid orphan reparented to us as subreaper"
                          : "a setsid orphan reparented to init") {
            std::optional<SubreaperScope> scope;
            if (subreaper) scope.emplace();
            ExecChild c({"sh", "-c", "setsid sleep 1000 >/dev/null 2>&1 &"});
            CHECK(c.reap().exit_code == 0);
            pid_t orphan = 0;
            REQUIRE(eventually([&] {
                auto pids = ex::attempt_processes(c.pid(), c.child().start_time, c.marker());
                if (pids.size() != 1) return false;
                orphan = pids[0];
                return getsid(orphan) == orphan &&
                       read_text("/proc/" + std::to_string(orphan) + "/comm") == "sleep\n";
            }));
            CHECK(marker_holders(c.marker()) == Pids{orphan});
            std::string stat = read_text("/proc/" + std::to_string(orphan) + "/stat");
            pid_t parent = std::stoi(stat.substr(stat.rfind(')') + 4));
            if (subreaper) {
                CHECK(parent == getpid());
                CHECK(ex::maybe_leftovers(c.pid(), k_untracked));
            } else {
                CHECK(parent != getpid());
            }
            CHECK(ex::signal_attempt(c.pid(), c.child().start_time, c.marker(), SIGTERM) == 1);
            CHECK(eventually([&] { return not_running(orphan); }));
            CHECK(ex::attempt_processes(c.pid(), c.child().start_time, c.marker()).empty());
            CHECK(marker_holders(c.marker()).empty());
            if (subreaper) {
                ex::reap_untracked(k_untracked, true);
                CHECK(weft::test::proc_state(orphan) == '-');
                CHECK_FALSE(ex::maybe_leftovers(c.pid(), k_untracked));
            }
        }
    }
    SUBCASE("a wrong start time never signals the pid") {
        ExecChild c({"sleep", "1000"});
        const std::string other = "WEFT_ATTEMPT_KEY=exec-test:nobody";
        for (long long delta : {-1LL, 1LL}) {
            long long wrong = c.child().start_time + delta;
            CHECK(ex::attempt_processes(c.pid(), wrong, other).empty());
            CHECK(ex::signal_attempt(c.pid(), wrong, other, SIGKILL) == 0);
        }
        CHECK(ex::signal_attempt(c.pid(), 0, other, SIGKILL) == 0);
        CHECK_FALSE(ex::try_reap(c.pid()));
        CHECK(kill(c.pid(), 0) == 0);
        // The right one does.
        CHECK(ex::signal_attempt(c.pid(), c.child().start_time, other, SIGKILL) == 1);
        CHECK(c.reap().signal == SIGKILL);
    }
}

TEST_CASE("exec::maybe_leftovers") {
    ex::reap_untracked(k_untracked, true);  // orphans of earlier tests
    SUBCASE("false once a lone leader is reaped") {
        ExecChild c({"true"});
        c.reap();
        CHECK_FALSE(ex::maybe_leftovers(c.pid(), k_untracked));
    }
    SUBCASE("true while the group has members") {
        // As subreaper we reap the orphan ourselves: init here reaps lazily,
        // and a group of zombies still answers kill(-pgid, 0).
        SubreaperScope scope;
        ExecChild c({"sh", "-c", "sleep 1000 & echo $!"});
        pid_t bg = to_pid(c.read_line());
        c.reap();
        CHECK(ex::maybe_leftovers(c.pid(), [&](pid_t p) { return p == bg; }));
        CHECK(ex::signal_attempt(c.pid(), c.child().start_time, c.marker(), SIGKILL) == 1);
        REQUIRE(eventually([&] {
            ex::reap_untracked(k_untracked, true);
            return weft::test::proc_state(bg) == '-';
        }));
        CHECK_FALSE(ex::maybe_leftovers(c.pid(), k_untracked));
    }
    SUBCASE("true when we have an untracked child") {
        ExecChild done({"true"});
        done.reap();
        ExecChild other({"sleep", "1000"});
        pid_t other_pid = other.pid();
        CHECK(ex::maybe_leftovers(done.pid(), k_untracked));
        CHECK_FALSE(ex::maybe_leftovers(done.pid(), [&](pid_t p) { return p == other_pid; }));
    }
}

TEST_CASE("exec::become_child_subreaper") {
    SubreaperScope scope;
    int on = 0;
    REQUIRE(prctl(PR_GET_CHILD_SUBREAPER, &on, 0UL, 0UL, 0UL) == 0);
    CHECK(on == 1);
}

TEST_CASE("exec::signal_name") {
    CHECK(std::string(ex::signal_name(SIGKILL)) == "SIGKILL");
    CHECK(std::string(ex::signal_name(SIGTERM)) == "SIGTERM");
    CHECK(std::string(ex::signal_name(SIGINT)) == "SIGINT");
    CHECK(std::string(ex::signal_name(SIGSEGV)) == "SIGSEGV");
    CHECK(std::string(ex::signal_name(SIGRTMIN + 1)) == "SIG" + std::to_string(SIGRTMIN + 1));
    CHECK(std::string(ex::signal_name(0)) == "SIG0");
    CHECK(std::string(ex::signal_name(200)) == "SIG200");
    CHECK(std::string(ex::signal_name(-3)) == "SIG-3");
}

TEST_CASE("exec::read_available") {
    int fds[2];
    REQUIRE(pipe2(fds, O_NONBLOCK | O_CLOEXEC) == 0);
    std::string out;
    CHECK(*ex::read_available(fds[0], out) == ex::ReadEnd::open);
    CHECK(out.empty());
    REQUIRE(write(fds[1], "abcdef", 6) == 6);
    CHECK(*ex::read_available(fds[0], out, 4) == ex::ReadEnd::open);
    CHECK(out == "abcd");
    CHECK(*ex::read_available(fds[0], out) == ex::ReadEnd::open);
    CHECK(out == "abcdef");
    close(fds[1]);
    CHECK(*ex::read_available(fds[0], out) == ex::ReadEnd::eof);
    CHECK(out == "abcdef");
    close(fds[0]);
    auto bad = ex::read_available(fds[0], out);
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == weft::Errc::io);
}
