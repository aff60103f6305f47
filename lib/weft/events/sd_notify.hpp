#pragma once
// systemd's notification protocol (sd_notify(3)), spoken directly: one
// AF_UNIX datagram of `KEY=VALUE` lines to $NOTIFY_SOCKET (a path, or `@name`
// in the abstract namespace). Not libsystemd: it would add six libraries to
// every start of weft (issue 18). `weft up` says READY=1, RELOADING=1,
// STOPPING=1, STATUS=... and WATCHDOG=1 through it.
#include <cstdint>
#include <optional>
#include <string>

#include "weft/util/duration.hpp"

namespace weft::events {

class SdNotify {
  public:
    // Read $NOTIFY_SOCKET, $WATCHDOG_USEC and $WATCHDOG_PID, then remove them
    // from this process's environment, so that no step inherits them. A
    // watchdog is asked for when WATCHDOG_USEC is a positive number and
    // WATCHDOG_PID, if set, is this process's pid. Never fails: without a
    // usable socket, send() does nothing.
    static SdNotify from_env();
    SdNotify() = default;
    SdNotify(std::string socket, std::optional<Duration> watchdog);

    bool enabled() const { return !m_socket.empty(); }
    // How often to send WATCHDOG=1: half the interval systemd waits.
    std::optional<Duration> watchdog_every() const { return m_watchdog_every; }
    // Send `state` (`READY=1\nSTATUS=...`) as one datagram. False when it
    // could not be sent (nothing listens); nothing is retried.
    bool send(const std::string& state) const;

  private:
    std::string m_socket;
    std::optional<Duration> m_watchdog_every;
};

// `MONOTONIC_USEC=N`, the CLOCK_MONOTONIC time in µs that systemd wants with
// RELOADING=1.
std::string monotonic_usec();

}  // namespace weft::events
