#include "weft/cli/state.hpp"

#include <cstdio>
#include <cstdlib>

#include "weft/engine/owner.hpp"

namespace weft::cli {

std::optional<State> open_state(const Globals& g) {
    std::string path = g.state;
    if (path.empty())
        if (const char* env = std::getenv("WEFT_STATE"); env && *env) path = env;
    if (path.empty()) path = ".weft/state.db";
    auto store = store::Store::open(path);
    if (!store) {
        std::fprintf(stderr, "weft: error: %s\n", store.error().message.c_str());
        return std::nullopt;
    }
    const auto slash = path.find_last_of('/');
    std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
    if (dir.empty()) dir = "/";
    State s{std::move(*store), path, dir};
    if (auto r = engine::recover_dead_runs(s.store, s.dir); !r) {
        std::fprintf(stderr, "weft: error: recovering interrupted runs: %s\n", r.error().message.c_str());
        return std::nullopt;
    } else if (*r > 0 && !g.quiet) {
        std::fprintf(stderr, "weft: marked %d run%s of dead weft processes as interrupted\n", *r, *r == 1 ? "" : "s");
    }
    return s;
}

} // namespace weft::cli
