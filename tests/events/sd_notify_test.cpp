#include <doctest/doctest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <string>

#include "weft/events/sd_notify.hpp"

using namespace weft;
using namespace weft::events;

namespace {

// A datagram socket bound to `name` in the abstract namespace.
int listen_abstract(const std::string& name) {
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::memcpy(addr.sun_path + 1, name.data(), name.size());
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    REQUIRE(::bind(fd, reinterpret_cast<const sockaddr*>(&addr), len) == 0);
    return fd;
}

std::string receive(int fd) {
    char buf[512];
    const ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

}  // namespace

TEST_CASE("events::SdNotify") {
    SUBCASE("from_env reads the variables and removes them, so steps never see them") {
        const std::string name = "weft-sd-test-" + std::to_string(::getpid());
        const int fd = listen_abstract(name);
        ::setenv("NOTIFY_SOCKET", ("@" + name).c_str(), 1);
        ::setenv("WATCHDOG_USEC", "3000000", 1);
        ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
        const auto n = SdNotify::from_env();
        CHECK(std::getenv("NOTIFY_SOCKET") == nullptr);
        CHECK(std::getenv("WATCHDOG_USEC") == nullptr);
        CHECK(std::getenv("WATCHDOG_PID") == nullptr);
        CHECK(n.enabled());
        REQUIRE(n.watchdog_every());
        CHECK(n.watchdog_every()->count() == 1500);
        CHECK(n.send("READY=1\nSTATUS=armed"));
        CHECK(receive(fd) == "READY=1\nSTATUS=armed");
        ::close(fd);
    }
    SUBCASE("a WATCHDOG_PID of another process asks for no pings") {
        ::setenv("WATCHDOG_USEC", "3000000", 1);
        ::setenv("WATCHDOG_PID", "1", 1);
        CHECK_FALSE(SdNotify::from_env().watchdog_every());
    }
    SUBCASE("without NOTIFY_SOCKET nothing is sent") {
        ::unsetenv("NOTIFY_SOCKET");
        const auto n = SdNotify::from_env();
        CHECK_FALSE(n.enabled());
        CHECK_FALSE(n.send("READY=1"));
    }
    SUBCASE("a relative socket path is refused") {
        CHECK_FALSE(SdNotify("notify.sock", std::nullopt).send("READY=1"));
    }
}
