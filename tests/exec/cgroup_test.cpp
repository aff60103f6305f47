#include "weft/exec/cgroup.hpp"

#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

#include "support/exec_child.hpp"
#include "weft/exec/process.hpp"

namespace ex = weft::exec;
namespace cg = weft::exec::cgroup;
using weft::test::ExecChild;
using weft::test::test_env;

TEST_CASE("exec::sealed_memfd and inherited fds") {
    auto fd = ex::sealed_memfd("weft-test", "echo from-memfd $0\n");
    REQUIRE(fd.ok());
    CHECK(::write(*fd, "x", 1) < 0);  // sealed
    SUBCASE("a script at /dev/fd/3") {
        ex::SpawnRequest r{{"sh", "/dev/fd/3"}, test_env(), ""};
        r.script_fd = *fd;
        ExecChild c(r, ExecChild::AddMarker::yes);
        auto o = c.finish();
        CHECK(o.out == "from-memfd /dev/fd/3\n");
        CHECK(o.status.exit_code == 0);
    }
    SUBCASE("a script at fd 0-2 of ours still reaches /dev/fd/3, stdin untouched") {
        // Moved onto 0, 1 and 2 before the script's move, it must be copied away first.
        const int saved = ::dup(0);
        REQUIRE(::dup2(*fd, 0) == 0);
        ex::SpawnRequest r{{"sh", "-c", ". /dev/fd/3; cat"}, test_env(), ""};
        r.script_fd = 0;
        r.stdin_path = "/dev/null";
        ExecChild c(r, ExecChild::AddMarker::yes);
        REQUIRE(::dup2(saved, 0) == 0);
        ::close(saved);
        auto o = c.finish();
        CHECK(o.out == "from-memfd sh\n");
        CHECK(o.status.exit_code == 0);
    }
    SUBCASE("the script's fd and stdin's may be the same") {
        ex::SpawnRequest r{{"sh", "-c", "cat; . /dev/fd/3"}, test_env(), ""};
        r.script_fd = *fd;
        r.stdin_fd = *fd;
        ExecChild c(r, ExecChild::AddMarker::yes);
        auto o = c.finish();
        // Both share one offset: cat reads it all, then the shell reads /dev/fd/3,
        // which opens the memfd anew (at offset 0).
        CHECK(o.out == "echo from-memfd $0\nfrom-memfd sh\n");
    }
    SUBCASE("as stdin, nothing else inherited") {
        ex::SpawnRequest r{
            {"sh", "-c", "cat; ls /proc/self/fd | sort -n | tr '\\n' ' '"}, test_env(), ""};
        r.stdin_fd = *fd;
        ExecChild c(r, ExecChild::AddMarker::yes);
        auto o = c.finish();
        // 0-2, and the fd ls opened for the listing.
        CHECK(o.out == "echo from-memfd $0\n0 1 2 3 ");
    }
    ::close(*fd);
}

TEST_CASE("exec::cgroup") {
    const std::string mount = cg::mount_point();
    const std::string dir = cg::owner_dir("test-" + std::to_string(::getpid()));
    auto g = cg::create(dir, "a-1");
    if (mount.empty() || !g.ok()) {
        MESSAGE("no writable cgroup v2 here: skipped");
        return;
    }
    CHECK(dir.rfind(mount + "/", 0) == 0);
    // A process that escapes its group and session stays in the cgroup.
    ex::SpawnRequest r{{"sh", "-c", "setsid -f sleep 4699; exec sleep 4698"}, test_env(), ""};
    r.cgroup_fd = g->fd;
    auto c = ex::spawn(r);
    REQUIRE(c.ok());
    CHECK(c->in_cgroup);
    ::close(g->fd);
    for (int i = 0; i < 200 && cg::signal(g->path, 0) != 2; ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    CHECK(cg::signal(g->path, 0) == 2);
    CHECK(cg::populated(g->path));
    CHECK_FALSE(cg::remove(g->path));  // busy
    CHECK(cg::kill(g->path));
    int status = 0;
    waitpid(c->pid, &status, 0);
    CHECK(WIFSIGNALED(status));
    ex::close_fds(*c);
    // The escapee was reparented to init (this test is no subreaper): it
    // dies all the same; kill_owner_dir waits for the group to empty.
    cg::kill_owner_dir(dir);
    CHECK(::access(dir.c_str(), F_OK) != 0);
}

TEST_CASE("exec::spawn without the cgroup it was given, when clone3 refuses it") {
    // /dev/null is no cgroup: clone3 fails, and spawn starts the process
    // outside any cgroup of weft's rather than not at all.
    const int not_a_cgroup = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(not_a_cgroup >= 0);
    ex::SpawnRequest r{{"sh", "-c", "echo ran"}, test_env(), ""};
    r.cgroup_fd = not_a_cgroup;
    ExecChild c(r, ExecChild::AddMarker::yes);
    CHECK_FALSE(c.child().in_cgroup);
    CHECK(c.finish().out == "ran\n");
    ::close(not_a_cgroup);
}
