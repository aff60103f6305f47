#include "weft/cli/state.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "weft/engine/owner.hpp"
#include "weft/util/out.hpp"
#include "weft/util/size.hpp"

namespace weft::cli {

std::string state_path(const Globals& g) {
    std::string path = g.state;
    if (path.empty())
        if (const char* env = std::getenv("WEFT_STATE"); env && *env) path = env;
    if (path.empty()) path = ".weft/state.db";
    return path;
}

std::optional<State> open_state(const Globals& g) {
    const std::string path = state_path(g);
    auto store = store::Store::open(path);
    if (!store) {
        out::error(store.error().message);
        return std::nullopt;
    }
    // Locks and scratch files of this database live in DB.d beside it, so two
    // databases in one directory never share them; absolute, because steps
    // run in other directories and read $WEFT_OUTPUT from there.
    std::error_code ec;
    std::string dir = std::filesystem::absolute(path, ec).string() + ".d";
    if (ec || (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)) {
        out::error("cannot create " + dir + ": " + (ec ? ec.message() : std::strerror(errno)));
        return std::nullopt;
    }
    State s{std::move(*store), path, dir};
    if (auto r = engine::recover_dead_runs(s.store, s.dir); !r) {
        out::error("recovering interrupted runs: " + r.error().message);
        return std::nullopt;
    } else if (*r > 0 && !g.quiet) {
        out::message("weft: marked {} run{} of dead weft processes as interrupted\n", *r,
                     *r == 1 ? "" : "s");
    }
    return s;
}

std::optional<std::uint64_t> log_cap_from_env() {
    const char* env = std::getenv("WEFT_LOG_CAP");
    if (!env || !*env) return store::k_default_log_cap;
    auto cap = parse_size(env);
    if (!cap) {
        out::error("WEFT_LOG_CAP: " + cap.error().message);
        return std::nullopt;
    }
    return *cap;
}

std::string slurm_dir_from_env() {
    const char* dir = std::getenv("WEFT_SLURM_DIR");
    return dir ? dir : "";
}

}  // namespace weft::cli
