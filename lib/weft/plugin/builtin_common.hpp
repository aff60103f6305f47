#pragma once
// What the built-in plugins share: reading `with` through the host and
// reporting through it, as any shared-library plugin would.
#include <chrono>
#include <optional>
#include <string>
#include <thread>

#include "weft/plugin.h"
#include "weft/util/duration.hpp"
#include "weft/util/result.hpp"

namespace weft::plugin::detail {

inline std::optional<std::string> with(const weft_host* h, const char* key) {
    const char* v = h->with(h->context, key);
    if (!v) return std::nullopt;
    return std::string(v);
}

inline void log(const weft_host* h, const std::string& line) {
    h->log(h->context, line.c_str());
}

// Fail with `message` as the result's message.
inline int fail(const weft_host* h, const std::string& message) {
    h->set_message(h->context, message.c_str());
    return WEFT_FAILURE;
}

// The duration in `with` key `key`, else `fallback`; Errc::invalid naming
// the key when it is not a duration.
inline Result<Duration> duration_param(const weft_host* h, const char* key, Duration fallback) {
    auto v = with(h, key);
    if (!v) return fallback;
    auto d = parse_duration(*v);
    if (!d) return make_error(Errc::invalid, std::string("'") + key + "': " + d.error().message);
    return *d;
}

// Sleep `d`, waking every 50 ms to ask whether the step was cancelled.
// Returns false when it was.
inline bool sleep_unless_cancelled(const weft_host* h, Duration d) {
    const auto until = std::chrono::steady_clock::now() + d;
    while (std::chrono::steady_clock::now() < until) {
        if (h->cancelled(h->context)) return false;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
    }
    return !h->cancelled(h->context);
}

}  // namespace weft::plugin::detail
