#include "weft/cli/state.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>

#include "weft/engine/owner.hpp"
#include "weft/events/control.hpp"
#include "weft/util/fs.hpp"
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

namespace {

// DB.d and every directory in it are private (SPEC §9.4): a directory
// another user can write to, or a link planted there, would let that user
// redirect weft's files. locks/, tmp/ and slurm/ (the default Slurm job
// directory) are made here, 0700 whatever the umask, before the engine puts
// anything in them (it would make them with the umask's mode).
Result<void> check_state_dir(const std::string& dir) {
    if (auto r = make_private_dir(dir); !r) return r;
    for (const char* sub : {"/locks", "/tmp", "/slurm"})
        if (auto r = make_private_dir(dir + sub); !r) return r;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
        const auto type = entry.symlink_status(ec).type();
        if (type == std::filesystem::file_type::directory ||
            type == std::filesystem::file_type::symlink)
            if (auto r = check_private_dir(entry.path().string()); !r) return r;
    }
    if (ec) return make_error(Errc::io, "cannot list " + dir + ": " + ec.message());
    return {};
}

}  // namespace

Result<State> open_state(const Globals& g) {
    const std::string path = state_path(g);
    auto store = store::Store::open(path);
    if (!store) return make_error(Errc::state, store.error().message);
    // Locks and scratch files of this database live in DB.d beside it, so two
    // databases in one directory never share them; absolute, because steps
    // run in other directories and read $WEFT_OUTPUT from there.
    std::error_code ec;
    std::string dir = std::filesystem::absolute(path, ec).string() + ".d";
    if (ec) return make_error(Errc::state, "cannot create " + dir + ": " + ec.message());
    if (auto r = check_state_dir(dir); !r) return make_error(Errc::state, r.error().message);
    State s{std::move(*store), path, dir};
    if (auto r = engine::recover_dead_runs(s.store, s.dir); !r) {
        return make_error(Errc::state, "recovering interrupted runs: " + r.error().message);
    } else if (*r > 0 && !g.quiet) {
        out::message("weft: marked {} run{} of dead weft processes as interrupted\n", *r,
                     *r == 1 ? "" : "s");
    }
    return s;
}

Result<std::uint64_t> log_cap_from_env() {
    const char* env = std::getenv("WEFT_LOG_CAP");
    if (!env || !*env) return store::k_default_log_cap;
    auto cap = parse_size(env);
    if (!cap) return make_error(Errc::usage, "WEFT_LOG_CAP: " + cap.error().message);
    return *cap;
}

std::string slurm_dir_from_env() {
    const char* dir = std::getenv("WEFT_SLURM_DIR");
    return dir ? dir : "";
}

std::vector<std::string> paths_or_default(const Options& o) {
    return o.files.empty() ? std::vector<std::string>{"workflows"} : o.files;
}

Result<nlohmann::json> ask_engine(const Globals& g, const nlohmann::json& req) {
    auto state = open_state(g);
    if (!state) return state.error();
    const auto eng = engine::running_engine(state->dir);
    if (!eng)
        return make_error(Errc::state,
                          "no engine is running on " + state->path + " (start one with 'weft up')");
    auto reply =
        events::control_call(events::control_path(state->dir, eng->token), req, Duration(10000));
    if (!reply)
        return make_error(Errc::state, fmt::format("the engine (pid {}) did not answer: {}",
                                                   eng->pid, reply.error().message));
    return *reply;
}

}  // namespace weft::cli
