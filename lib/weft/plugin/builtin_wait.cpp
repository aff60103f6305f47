// The built-in `wait` plugin (SPEC §7): a sensor that succeeds once a file
// exists, a TCP port accepts connections, or a URL answers 2xx, and fails
// at its `timeout`.
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <exception>
#include <functional>

#include "weft/plugin/builtin_common.hpp"
#include "weft/plugin/builtins.hpp"
#include "weft/plugin/curl_module.hpp"

namespace weft::plugin {

namespace {

using detail::fail;
using detail::log;
using detail::with;
using Clock = std::chrono::steady_clock;

const weft_param k_params[] = {
    {"file", "Succeed once this path exists", 0},
    {"port", "Succeed once HOST:PORT accepts a TCP connection", 0},
    {"url", "Succeed once this URL answers with a 2xx status", 0},
    {"timeout", "Fail after this long, a duration; default 5m", 0},
    {"interval", "Time between checks, a duration; default 1s", 0},
    {nullptr, nullptr, 0},
};

bool file_exists(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0;
}

// One TCP connection attempt to `host_port` ("localhost:8080", "[::1]:80"),
// `limit` at most.
bool port_open(const std::string& host_port, Duration limit) {
    const auto colon = host_port.rfind(':');
    std::string host = host_port.substr(0, colon), port = host_port.substr(colon + 1);
    if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
        host = host.substr(1, host.size() - 2);
    addrinfo hints{};
    hints.ai_socktype = SOCK_STREAM;
    addrinfo* res = nullptr;
    if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &res) != 0) return false;
    bool open = false;
    for (addrinfo* a = res; a && !open; a = a->ai_next) {
        const int fd =
            ::socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) continue;
        if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) {
            open = true;
        } else if (errno == EINPROGRESS) {
            pollfd p{fd, POLLOUT, 0};
            int err = 0;
            socklen_t len = sizeof err;
            if (::poll(&p, 1, static_cast<int>(limit.count())) == 1 &&
                ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0)
                open = true;
        }
        ::close(fd);
    }
    ::freeaddrinfo(res);
    return open;
}

int run_wait(const weft_host* host) {
    const auto file = with(host, "file"), port = with(host, "port"), url = with(host, "url");
    if ((file ? 1 : 0) + (port ? 1 : 0) + (url ? 1 : 0) != 1)
        return fail(host, "set exactly one of 'file', 'port' and 'url'");
    auto timeout = detail::duration_param(host, "timeout", Duration{5 * 60 * 1000});
    if (!timeout) return fail(host, timeout.error().message);
    auto interval = detail::duration_param(host, "interval", Duration{1000});
    if (!interval) return fail(host, interval.error().message);
    if (interval->count() <= 0) return fail(host, "'interval' must be more than 0");
    if (port && port->rfind(':') == std::string::npos)
        return fail(host, "'port': expected HOST:PORT, got '" + *port + "'");
    // A URL is checked by the libcurl module, loaded only in the plugin host.
    const auto curl = url ? curl_module() : Result<CurlModule>(CurlModule{});
    if (!curl) return fail(host, curl.error().message);

    const std::string what = file ? "file " + *file : port ? "port " + *port : "URL " + *url;
    const auto start = Clock::now();
    const auto deadline = start + *timeout;
    auto left = [&] { return std::chrono::duration_cast<Duration>(deadline - Clock::now()); };
    const std::function<bool()> ready = [&] {
        const Duration limit = std::max(Duration{1}, std::min(*interval, left()));
        if (file) return file_exists(*file);
        if (port) return port_open(*port, limit);
        return curl->url_ready(url->c_str(), static_cast<long>(limit.count())) != 0;
    };
    log(host, "waiting for " + what + " (timeout " + format_duration(*timeout) + ", every " +
                  format_duration(*interval) + ")");
    for (int checks = 1;; ++checks) {
        if (ready()) {
            const auto took = std::chrono::duration_cast<Duration>(Clock::now() - start);
            log(host, what + " is ready after " + format_duration(took) + " (" +
                          std::to_string(checks) + " checks)");
            return WEFT_SUCCESS;
        }
        if (left().count() <= 0)
            return fail(host,
                        "timed out after " + format_duration(*timeout) + " waiting for " + what);
        if (!detail::sleep_unless_cancelled(host, std::min(*interval, left())))
            return fail(host, "cancelled while waiting for " + what);
    }
}

int run(const char*, const weft_host* host) {
    try {
        return run_wait(host);
    } catch (const std::exception& e) {
        return fail(host, e.what());
    }
}

const weft_plugin k_table = {
    sizeof(weft_plugin), WEFT_PLUGIN_ABI_VERSION, "wait", WEFT_VERSION, k_params, run};

}  // namespace

const weft_plugin* wait_plugin() {
    return &k_table;
}

}  // namespace weft::plugin
