#include "weft/events/sd_notify.hpp"

#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <ctime>

namespace weft::events {

SdNotify::SdNotify(std::string socket, std::optional<Duration> watchdog)
    : m_socket(std::move(socket)) {
    if (watchdog && watchdog->count() > 0)
        m_watchdog_every = Duration(std::max<long long>(watchdog->count() / 2, 1));
}

SdNotify SdNotify::from_env() {
    const char* sock = std::getenv("NOTIFY_SOCKET");
    const char* usec = std::getenv("WATCHDOG_USEC");
    const char* pid = std::getenv("WATCHDOG_PID");
    std::optional<Duration> watchdog;
    if (usec && *usec) {
        char* end = nullptr;
        errno = 0;
        const unsigned long long us = std::strtoull(usec, &end, 10);
        const bool ours = !pid || !*pid || std::strtoll(pid, nullptr, 10) == ::getpid();
        if (errno == 0 && end && *end == '\0' && us > 0 && ours)
            watchdog = Duration(static_cast<long long>(us / 1000));
    }
    SdNotify n(sock ? sock : "", watchdog);
    for (const char* name : {"NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID"}) ::unsetenv(name);
    return n;
}

bool SdNotify::send(const std::string& state) const {
    if (m_socket.empty()) return false;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    // "@name" is the abstract namespace: a leading NUL, and the length says
    // where the name ends.
    if (m_socket.size() >= sizeof addr.sun_path || (m_socket[0] != '/' && m_socket[0] != '@'))
        return false;
    std::memcpy(addr.sun_path, m_socket.data(), m_socket.size());
    if (m_socket[0] == '@') addr.sun_path[0] = '\0';
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + m_socket.size() +
                                            (m_socket[0] == '/' ? 1 : 0));
    const int fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    const ssize_t n = ::sendto(fd, state.data(), state.size(), MSG_NOSIGNAL,
                               reinterpret_cast<const sockaddr*>(&addr), len);
    ::close(fd);
    return n == static_cast<ssize_t>(state.size());
}

std::string monotonic_usec() {
    timespec ts{};
    ::clock_gettime(CLOCK_MONOTONIC, &ts);
    return "MONOTONIC_USEC=" +
           std::to_string(static_cast<long long>(ts.tv_sec) * 1'000'000 + ts.tv_nsec / 1000);
}

}  // namespace weft::events
