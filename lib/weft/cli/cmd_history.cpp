// weft runs, weft show, weft logs: reading the history in the state database.
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/state.hpp"
#include "weft/engine/owner.hpp"
#include "weft/model/json.hpp"
#include "weft/model/run.hpp"
#include "weft/report/json.hpp"
#include "weft/report/reporters.hpp"
#include "weft/util/size.hpp"
#include "weft/util/strings.hpp"

namespace weft::cli {

namespace {

std::string time_or_dash(const std::optional<TimePoint>& t) {
    return t ? format_rfc3339(*t) : "-";
}

std::string took(const std::optional<TimePoint>& a, const std::optional<TimePoint>& b) {
    if (!a || !b) return "-";
    return report::human_duration(std::chrono::duration_cast<Duration>(*b - *a));
}

// `weft logs --follow` polls at this interval: lines show up within a fifth
// of a second, and an idle follower costs a few reads a second.
constexpr int k_follow_interval = 150;  // ms
// Lines read per poll: a long log is printed in pages, never held whole.
constexpr std::size_t k_log_page = 4096;
// Polls between checks that the followed run's weft process still lives.
constexpr int k_owner_check_polls = 7;

volatile std::sig_atomic_t g_sigint = 0;

// SIGINT ends `logs --follow` between polls, with exit 130. No SA_RESTART:
// the sleep returns at once.
void catch_sigint() {
    struct sigaction sa {};
    sa.sa_handler = [](int) { g_sigint = 1; };
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
}

void sleep_interruptibly(int ms) {
    ::poll(nullptr, 0, ms);
}

// Whether more lines of the run (of the step, when one was asked for) can
// still come: the run has not ended, and the step has not ended.
bool still_writing(const store::LogPage& page, bool one_step) {
    if (!page.run ||
        (*page.run != model::RunState::queued && *page.run != model::RunState::running))
        return false;
    if (!one_step) return true;
    return !page.step || *page.step == model::StepState::pending ||
           *page.step == model::StepState::running;
}

// `… 1200 lines (81920 bytes) dropped: log cap 10 MiB reached`, and which attempt
// when the step has several.
std::string dropped_note(const store::AttemptRow& a, int attempts) {
    std::string s = "\u2026 " + std::to_string(a.log_dropped_lines) +
                    (a.log_dropped_lines == 1 ? " line (" : " lines (") +
                    std::to_string(a.log_dropped_bytes) +
                    (a.log_dropped_bytes == 1 ? " byte)" : " bytes)") + " dropped: log cap " +
                    format_size(static_cast<std::uint64_t>(a.log_cap.value_or(0))) + " reached";
    if (attempts > 1) s += " (attempt " + std::to_string(a.number) + ")";
    return s;
}

// After a run's (or a step's) lines: what the log cap dropped, a line per
// attempt that lost lines. False when the database failed (printed).
bool print_dropped(store::Store& store, long long run, std::optional<std::string_view> step) {
    auto detail = store.get_run(run);
    if (!detail) {
        std::fprintf(stderr, "weft: error: %s\n", detail.error().message.c_str());
        return false;
    }
    if (!*detail) return true;  // pruned meanwhile
    for (const auto& s : (*detail)->steps) {
        if (step && s.id != *step) continue;
        for (const auto& a : s.attempt_rows)
            if (a.log_dropped_lines > 0)
                std::printf("%s%s\n", step ? "" : (s.id + " | ").c_str(),
                            dropped_note(a, static_cast<int>(s.attempt_rows.size())).c_str());
    }
    std::fflush(stdout);
    return true;
}

}  // namespace

int cmd_runs(const Options& o, const Globals& g) {
    store::RunFilter f;
    if (!o.workflow.empty()) f.workflow = o.workflow;
    if (!o.status.empty()) {
        f.status = model::parse_run_state(o.status);
        if (!f.status) {
            std::fprintf(stderr,
                         "weft: error: --status %s: expected queued, running, success, failure, "
                         "cancelled or "
                         "interrupted\n",
                         o.status.c_str());
            return k_exit_usage;
        }
    }
    if (o.limit < 1) {
        std::fprintf(stderr, "weft: error: --limit must be at least 1\n");
        return k_exit_usage;
    }
    f.limit = static_cast<std::size_t>(o.limit);
    auto state = open_state(g);
    if (!state) return k_exit_state;
    auto runs = state->store.list_runs(f);
    if (!runs) {
        std::fprintf(stderr, "weft: error: %s\n", runs.error().message.c_str());
        return k_exit_state;
    }
    if (o.json) {
        for (const auto& r : *runs)
            std::printf("%s\n", model::dump_json(report::run_json(r)).c_str());
        return k_exit_ok;
    }
    if (runs->empty()) {
        if (!g.quiet) std::fprintf(stderr, "no runs\n");
        return k_exit_ok;
    }
    std::printf("%-6s %-20s %-12s %-9s %-25s %s\n", "ID", "WORKFLOW", "STATUS", "TRIGGER",
                "STARTED", "TOOK");
    for (const auto& r : *runs)
        std::printf("%-6lld %-20s %-12s %-9s %-25s %s\n", static_cast<long long>(r.id),
                    r.workflow.c_str(), model::to_string(r.status), r.trigger.c_str(),
                    time_or_dash(r.started).c_str(), took(r.started, r.ended).c_str());
    return k_exit_ok;
}

int cmd_show(const Options& o, const Globals& g) {
    auto state = open_state(g);
    if (!state) return k_exit_state;
    auto detail = state->store.get_run(o.run_id);
    if (!detail) {
        std::fprintf(stderr, "weft: error: %s\n", detail.error().message.c_str());
        return k_exit_state;
    }
    if (!*detail) {
        std::fprintf(stderr, "weft: error: no run %lld\n", o.run_id);
        return k_exit_usage;
    }
    const auto& d = **detail;
    if (o.json) {
        std::printf("%s\n", model::dump_json(report::run_detail_json(d)).c_str());
        return k_exit_ok;
    }
    std::printf("run %lld  %s  %s  attempt %d\n", static_cast<long long>(d.run.id),
                d.run.workflow.c_str(), model::to_string(d.run.status), d.run.attempt);
    std::printf(
        "  file     %s\n  trigger  %s (event %lld at %s)\n  started  %s\n  ended    %s  (took "
        "%s)\n",
        d.run.file.c_str(), d.event.kind.c_str(), static_cast<long long>(d.event.id),
        format_rfc3339(d.event.time).c_str(), time_or_dash(d.run.started).c_str(),
        time_or_dash(d.run.ended).c_str(), took(d.run.started, d.run.ended).c_str());
    if (!d.run.message.empty()) std::printf("  message  %s\n", d.run.message.c_str());
    if (!d.run.params.empty())
        std::printf("  params   %s\n", model::dump_json(d.run.params).c_str());
    std::printf("\n%-28s %-12s %-8s %-10s %s\n", "STEP", "STATUS", "ATTEMPTS", "EXIT", "TOOK");
    for (const auto& s : d.steps) {
        std::string exit = s.signal ? *s.signal : s.exit_code ? std::to_string(*s.exit_code) : "-";
        std::printf("%-28s %-12s %-8d %-10s %s%s\n", s.id.c_str(), model::to_string(s.status),
                    s.attempts, exit.c_str(), took(s.started, s.ended).c_str(),
                    s.message.empty() ? "" : ("  " + s.message).c_str());
        for (const auto& a : s.attempt_rows)  // `runs-on: slurm`: the job of each attempt
            if (a.slurm)
                std::printf("    slurm: attempt %d: job %s (%s)\n", a.number,
                            a.slurm->job.empty() ? "not submitted" : a.slurm->job.c_str(),
                            a.slurm->name.c_str());
        for (const auto& a : s.attempt_rows)
            if (a.log_dropped_lines > 0)
                std::printf("    log: %s\n",
                            dropped_note(a, static_cast<int>(s.attempt_rows.size())).c_str());
        for (auto it = s.outputs.begin(); it != s.outputs.end(); ++it)
            std::printf("    %s = %s\n", it.key().c_str(),
                        it.value().is_string() ? it.value().get<std::string>().c_str()
                                               : model::dump_json(it.value()).c_str());
    }
    return k_exit_ok;
}

int cmd_logs(const Options& o, const Globals& g) {
    auto state = open_state(g);
    if (!state) return k_exit_state;
    auto run = state->store.get_run_row(o.run_id);
    if (!run) {
        std::fprintf(stderr, "weft: error: %s\n", run.error().message.c_str());
        return k_exit_state;
    }
    if (!*run) {
        std::fprintf(stderr, "weft: error: no run %lld\n", o.run_id);
        return k_exit_usage;
    }
    std::optional<std::string_view> step;
    if (!o.step.empty()) {
        step = o.step;
        auto detail = state->store.get_run(o.run_id);
        bool known = false;
        std::vector<std::string> ids;
        if (detail && *detail)
            for (const auto& s : (*detail)->steps) {
                ids.push_back(s.id);
                known = known || s.id == o.step;
            }
        if (!known) {
            std::fprintf(
                stderr, "weft: error: %s\n",
                with_suggestion("run " + std::to_string(o.run_id) + " has no step '" + o.step + "'",
                                o.step, ids)
                    .c_str());
            return k_exit_usage;
        }
    }
    if (o.follow) catch_sigint();
    std::int64_t seq = 0;
    int polls = 0;
    while (true) {
        if (g_sigint) {
            std::fflush(stdout);
            return k_exit_sigint;
        }
        // A short read transaction each time, never one held open between
        // polls: that would keep the WAL from being checkpointed (DESIGN.md §2).
        auto page = state->store.poll_logs(o.run_id, step, seq, k_log_page);
        if (!page) {
            std::fprintf(stderr, "weft: error: %s\n", page.error().message.c_str());
            return k_exit_state;
        }
        for (const auto& l : page->lines) {
            std::string prefix;
            if (o.timestamps) prefix += format_rfc3339(l.time) + " ";
            if (!step) prefix += l.step + " | ";
            std::fwrite(prefix.data(), 1, prefix.size(), stdout);
            std::fwrite(l.text.data(), 1, l.text.size(), stdout);
            std::fputc('\n', stdout);
            seq = l.seq;
        }
        std::fflush(stdout);
        if (page->lines.size() == k_log_page) continue;  // more are there already
        // The page and the states come from one snapshot: once the run (or
        // the step) has ended in it, these were its last lines.
        if (!o.follow || !still_writing(*page, step.has_value())) break;
        // A run whose weft process died (kill -9) would stay `running` until
        // some weft opens the database: be that weft, once a second or so.
        if (++polls % k_owner_check_polls == 0) {
            auto row = state->store.get_run_row(o.run_id);
            if (row && *row && !engine::owner_alive(state->dir, (*row)->owner))
                if (auto r = engine::recover_dead_runs(state->store, state->dir); !r)
                    std::fprintf(stderr, "weft: warning: recovering interrupted runs: %s\n",
                                 r.error().message.c_str());
        }
        sleep_interruptibly(k_follow_interval);
    }
    return print_dropped(state->store, o.run_id, step) ? k_exit_ok : k_exit_state;
}

}  // namespace weft::cli
