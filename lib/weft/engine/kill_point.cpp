#include "weft/engine/kill_point.hpp"

#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <string>

namespace weft::engine {

void kill_point([[maybe_unused]] const char* name) {
#ifdef WEFT_TEST_HOOKS
    static const std::string spec = [] {
        const char* v = std::getenv("WEFT_TEST_KILL_AT");
        return std::string(v ? v : "");
    }();
    static int hits = 0;
    if (spec.empty()) return;
    const auto colon = spec.find(':');
    if (spec.compare(0, colon, name) != 0) return;
    const int nth = colon == std::string::npos ? 1 : std::atoi(spec.c_str() + colon + 1);
    if (++hits == nth) ::kill(::getpid(), SIGKILL);
#endif
}

bool test_hooks() {
#ifdef WEFT_TEST_HOOKS
    return true;
#else
    return false;
#endif
}

bool cgroups_disabled_for_tests() {
#ifdef WEFT_TEST_HOOKS
    static const bool off = std::getenv("WEFT_TEST_NO_CGROUP") != nullptr;
    return off;
#else
    return false;
#endif
}

}  // namespace weft::engine
