// weft cancel: reach the process that owns a run through its control
// socket (SPEC §5), then wait until the run has ended.
#include <thread>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/state.hpp"
#include "weft/engine/owner.hpp"
#include "weft/events/control.hpp"
#include "weft/model/run.hpp"

namespace weft::cli {

namespace {

bool ended(model::RunState s) {
    return s != model::RunState::running && s != model::RunState::queued;
}

}  // namespace

int cmd_cancel(const Options& o, const Globals& g) {
    if (o.run_id <= 0) {
        return fail(Errc::usage, "run ids are positive integers");
    }
    auto state = open_state(g);
    if (!state) return fail(state.error());
    auto row = state->store.get_run_row(o.run_id);
    if (!row) return fail(row.error());
    if (!*row) return fail(Errc::usage, "no run " + std::to_string(o.run_id));
    if (ended((*row)->status)) {
        out::print("run {} ({}) already ended: {}\n", o.run_id, (*row)->workflow,
                   model::to_string((*row)->status));
        return k_exit_ok;
    }
    const std::string& owner = (*row)->owner;
    auto reply = events::control_call(
        events::control_path(state->dir, owner),
        {{"op", "cancel"}, {"run", o.run_id}, {"reason", "cancelled by weft cancel"}},
        Duration(5000));
    if (!reply)
        return fail(Errc::io, fmt::format("run {}: the weft process that runs it ({}) did not "
                                          "answer: {}",
                                          o.run_id, owner, reply.error().message));
    if (!reply->value("ok", false)) {
        // It may have ended between our read and the request.
        auto again = state->store.get_run_row(o.run_id);
        if (again && *again && ended((**again).status)) {
            out::print("run {} ({}) already ended: {}\n", o.run_id, (**again).workflow,
                       model::to_string((**again).status));
            return k_exit_ok;
        }
        return fail(Errc::state,
                    fmt::format("run {}: {}", o.run_id, reply->value("error", "refused")));
    }
    // The owner stops the run's steps (SIGTERM, SIGKILL after kill-grace) and
    // records the end; wait for that, while the owner lives.
    for (;;) {
        auto now_row = state->store.get_run_row(o.run_id);
        if (!now_row || !*now_row)
            return fail(Errc::state,
                        fmt::format("run {} vanished from the state database", o.run_id));
        if (ended((**now_row).status)) {
            out::print("run {} ({}): {}\n", o.run_id, (**now_row).workflow,
                       model::to_string((**now_row).status));
            return k_exit_ok;
        }
        if (!engine::owner_alive(state->dir, owner))
            return fail(
                Errc::state,
                fmt::format("run {}: its weft process died before recording the end", o.run_id));
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace weft::cli
