// weft up (the event engine).
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/params.hpp"
#include "weft/cli/prune.hpp"
#include "weft/cli/state.hpp"
#include "weft/engine/engine.hpp"
#include "weft/engine/owner.hpp"
#include "weft/engine/up.hpp"
#include "weft/events/control.hpp"
#include "weft/events/sd_notify.hpp"
#include "weft/report/reporters.hpp"
#include "weft/util/strings.hpp"
#include "weft/util/time.hpp"

namespace weft::cli {
namespace {

// A stdin line as `weft up` shows it: quoted, escaped, at most 60 bytes.
std::string quoted_line(std::string line) {
    constexpr std::size_t k_shown = 60;
    const bool cut = line.size() > k_shown;
    if (cut) {
        std::size_t n = k_shown;
        while (n > 0 && utf8_continuation(line[n])) --n;
        line.resize(n);
    }
    return nlohmann::json(line).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
           (cut ? "..." : "");
}

// An engine event for people: `event 4 (file: src/a.c +2) -> build`.
void print_announcement(const nlohmann::json& j, bool json) {
    if (json) {
        nlohmann::json shown = j;
        shown["time"] = format_rfc3339(now());
        out::print("{}\n", shown.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
        std::fflush(stdout);
        return;
    }
    const std::string type = j.value("type", "");
    if (type == "error") {
        out::error(j.value("message", ""));
        return;
    }
    if (j.value("warning", false)) {  // a message to the person, as errors are
        out::message("{}\n", j.value("message", ""));
        return;
    }
    std::string line;
    if (type == "event") {
        line = "event " + std::to_string(j.value("id", 0LL)) + " (" + j.value("kind", "");
        if (j.contains("paths") && !j["paths"].empty()) {
            line += ": " + j["paths"][0].get<std::string>();
            if (j["paths"].size() > 1) line += " +" + std::to_string(j["paths"].size() - 1);
        }
        if (j.contains("line")) line += ": " + quoted_line(j["line"].get<std::string>());
        if (j.contains("cron")) line += ": " + j["cron"].get<std::string>();
        if (j.contains("time")) {
            // People read their own zone (SPEC §9.2 "Local time").
            if (auto t = parse_rfc3339(j["time"].get<std::string>()))
                line += " at " + format_local(*t);
        }
        if (j.contains("after")) line += ": " + j["after"].get<std::string>() + " ended";
        line += ")";
        if (j.value("merged", false))
            line += " merged into the queued run of";
        else
            line += " ->";
        for (const auto& w : j.value("workflows", nlohmann::json::array()))
            line += " " + w.get<std::string>();
        if (j.contains("filtered")) {
            line += j.value("workflows", nlohmann::json::array()).empty() ? " filtered by"
                                                                          : "; filtered by";
            for (const auto& w : j["filtered"]) line += " " + w.get<std::string>();
        }
    } else if (type == "skip") {
        line = j.value("workflow", "") + ": event " + std::to_string(j.value("event", 0LL)) + " " +
               j.value("message", "");
    } else if (type == "reload") {
        line = j.contains("file")
                   ? j.value("file", "") + ": " + j.value("message", "")
                   : "reloaded: " + std::to_string(j.value("workflows", 0)) + " workflow(s) armed";
    } else {
        line = j.value("message", type);
    }
    out::print("{}\n", line);
    std::fflush(stdout);
}

}  // namespace

int cmd_up(const Options& o, const Globals& g) {
    // First, before a step could inherit them: systemd's variables are ours.
    auto notify = events::SdNotify::from_env();
    // A closed stdin would be the next file opened (the database): /dev/null
    // takes its place, and is not read (SPEC §9.2 "Standard input").
    if (::fcntl(0, F_GETFD) < 0 && errno == EBADF) {
        const int fd = ::open("/dev/null", O_RDONLY);
        if (fd > 0) ::close(fd);  // 0 was free, so fd is 0 unless that failed
    }
    // A long-running engine: each line goes out as it is printed, also
    // into a file or a pipe.
    std::setvbuf(stdout, nullptr, _IOLBF, 0);
    auto log_cap = log_cap_from_env();
    if (!log_cap) return fail(log_cap.error());
    engine::UpConfig cfg;
    cfg.paths = paths_or_default(o);
    cfg.announce = [json = o.json](const nlohmann::json& j) { print_announcement(j, json); };
    cfg.diagnostics = [&g](const parse::Loaded& l) { print_diagnostics(l, g.out); };
    cfg.notify = std::move(notify);
    auto state = open_state(g);
    if (!state) return fail(state.error());
    cfg.state_dir = state->dir;
    cfg.state_path = state->path;
    state->store.set_log_cap(*log_cap);
    std::unique_ptr<engine::Observer> reporter;
    if (o.json)
        reporter = std::make_unique<report::JsonReporter>(stdout);
    else
        reporter = std::make_unique<report::PlainReporter>(stdout,
                                                           g.quiet     ? report::Verbosity::quiet
                                                           : g.verbose ? report::Verbosity::verbose
                                                                       : report::Verbosity::normal,
                                                           use_color(parse_color(g.color), stdout),
                                                           report::RunNames::yes);
    engine::Up up(state->store, cfg);  // after the reporter: its Engine reports there
    if (!up.load()) return k_exit_usage;
    auto lock = engine::OwnerLock::acquire(state->dir);
    if (!lock) return fail(lock.error());
    auto engine_lock = engine::EngineLock::acquire(state->dir, lock->token());
    if (!engine_lock) return fail(engine_lock.error());
    engine::Config config;
    config.state_dir = state->dir;
    config.owner = lock->token();
    config.control_socket = true;
    config.signal_interrupts = true;
    config.slurm_dir = slurm_dir_from_env();
    if (auto r = up.start(*reporter, std::move(config)); !r) return fail(r.error());
    if (o.json)
        print_announcement({{"type", "armed"}, {"pid", ::getpid()}, {"state", state->path}}, true);
    else {
        out::print("weft up: engine pid {} armed, state {}\n", ::getpid(), state->path);
        std::fflush(stdout);
    }
    const bool stored = up.run();
    if (!stored)
        out::message(
            "weft: the engine stopped: the state database failed, and nothing after the failure "
            "could be recorded; the next weft command marks the runs it left interrupted ('weft "
            "resume' continues them)\n");
    return stored ? k_exit_ok : k_exit_state;
}

}  // namespace weft::cli
