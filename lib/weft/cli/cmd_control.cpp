// weft cancel: reach the process that owns a run through its control
// socket (SPEC §5), then wait until the run has ended.
#include <cstdio>
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
        std::fprintf(stderr, "weft: error: run ids are positive integers\n");
        return k_exit_usage;
    }
    auto state = open_state(g);
    if (!state) return k_exit_state;
    auto row = state->store.get_run_row(o.run_id);
    if (!row) {
        std::fprintf(stderr, "weft: error: %s\n", row.error().message.c_str());
        return k_exit_state;
    }
    if (!*row) {
        std::fprintf(stderr, "weft: error: no run %lld\n", o.run_id);
        return k_exit_usage;
    }
    if (ended((*row)->status)) {
        std::printf("run %lld (%s) already ended: %s\n", o.run_id, (*row)->workflow.c_str(),
                    model::to_string((*row)->status));
        return k_exit_ok;
    }
    const std::string& owner = (*row)->owner;
    auto reply = events::control_call(
        events::control_path(state->dir, owner),
        {{"op", "cancel"}, {"run", o.run_id}, {"reason", "cancelled by weft cancel"}},
        Duration(5000));
    if (!reply) {
        std::fprintf(
            stderr,
            "weft: error: run %lld: the weft process that runs it (%s) did not answer: %s\n",
            o.run_id, owner.c_str(), reply.error().message.c_str());
        return k_exit_state;
    }
    if (!reply->value("ok", false)) {
        // It may have ended between our read and the request.
        auto again = state->store.get_run_row(o.run_id);
        if (again && *again && ended((**again).status)) {
            std::printf("run %lld (%s) already ended: %s\n", o.run_id, (**again).workflow.c_str(),
                        model::to_string((**again).status));
            return k_exit_ok;
        }
        std::fprintf(stderr, "weft: error: run %lld: %s\n", o.run_id,
                     reply->value("error", "refused").c_str());
        return k_exit_state;
    }
    // The owner stops the run's steps (SIGTERM, SIGKILL after kill-grace) and
    // records the end; wait for that, while the owner lives.
    for (;;) {
        auto now_row = state->store.get_run_row(o.run_id);
        if (!now_row || !*now_row) {
            std::fprintf(stderr, "weft: error: run %lld vanished from the state database\n",
                         o.run_id);
            return k_exit_state;
        }
        if (ended((**now_row).status)) {
            std::printf("run %lld (%s): %s\n", o.run_id, (**now_row).workflow.c_str(),
                        model::to_string((**now_row).status));
            return k_exit_ok;
        }
        if (!engine::owner_alive(state->dir, owner)) {
            std::fprintf(stderr,
                         "weft: error: run %lld: its weft process died before recording the end\n",
                         o.run_id);
            return k_exit_state;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
}

}  // namespace weft::cli
