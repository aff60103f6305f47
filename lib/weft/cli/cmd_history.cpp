// weft runs, weft show, weft logs: reading the history in the state database.
#include <poll.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/history.hpp"
#include "weft/cli/state.hpp"
#include "weft/engine/owner.hpp"
#include "weft/model/json.hpp"
#include "weft/model/run.hpp"
#include "weft/report/json.hpp"
#include "weft/report/reporters.hpp"
#include "weft/report/terminal.hpp"
#include "weft/util/size.hpp"
#include "weft/util/strings.hpp"

namespace weft::cli {

namespace {

std::string time_or_dash(const std::optional<TimePoint>& t) {
    return t ? format_local(*t) : "-";
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

// After the lines of `t`: what the log cap dropped, a line per attempt that
// lost lines. Fails when the database does.
Result<void> print_dropped(store::Store& store, const LogTarget& t) {
    auto detail = store.get_run(t.run);
    if (!detail) return detail.error();
    if (!*detail) return {};  // pruned meanwhile
    for (const auto& s : (*detail)->steps) {
        if (!t.shows(s.id)) continue;
        for (const auto& a : s.attempt_rows)
            if (a.log_dropped_lines > 0)
                out::print("{}{}\n", t.line_prefix(s.id),
                           dropped_note(a, static_cast<int>(s.attempt_rows.size())));
    }
    std::fflush(stdout);
    return {};
}

}  // namespace

Result<LogTarget> log_target(store::Store& store, long long run, const std::string& step,
                             const std::string& prefix) {
    auto detail = store.get_run(run);
    if (!detail) return detail.error();
    if (!*detail) return make_error(Errc::usage, "no run " + std::to_string(run));
    auto children = store.child_runs(run);
    if (!children) return children.error();
    auto called = [&](std::string_view s) -> std::optional<long long> {
        std::optional<long long> newest;
        for (const auto& c : *children)
            if (c.step == s) newest = c.run;
        return newest;
    };
    if (auto child = called(step)) return LogTarget{*child, {}, {}, prefix + step + "/"};
    LogTarget t{run, {}, {}, prefix};
    std::vector<std::string> ids;
    for (const auto& s : (*detail)->steps) {
        ids.push_back(s.id.substr(0, s.id.find('[')));  // `test` for `test[suite=unit]`
        if (s.id == step) t.one_step = step;
        if (starts_with(s.id, step + "[")) t.steps.insert(s.id);
    }
    if (t.one_step || !t.steps.empty()) return t;
    if (const auto slash = step.find('/'); slash != std::string::npos && slash > 0)
        if (auto child = called(step.substr(0, slash)))
            return log_target(store, *child, step.substr(slash + 1),
                              prefix + step.substr(0, slash + 1));
    for (const auto& c : *children) ids.push_back(c.step);
    return make_error(
        Errc::usage,
        with_suggestion("run " + std::to_string(run) + " has no step '" + step + "'", step, ids));
}

int cmd_runs(const Options& o, const Globals& g) {
    store::RunFilter f;
    if (!o.workflow.empty()) f.workflow = o.workflow;
    if (!o.status.empty()) {
        f.status = model::parse_run_state(o.status);
        if (!f.status) {
            return fail(Errc::usage, "--status " + o.status +
                                         ": expected queued, running, success, failure, "
                                         "cancelled or interrupted");
        }
    }
    if (o.limit < 1) {
        return fail(Errc::usage, "--limit must be at least 1");
    }
    f.limit = static_cast<std::size_t>(o.limit);
    auto state = open_state(g);
    if (!state) return fail(state.error());
    auto runs = state->store.list_runs(f);
    if (!runs) return fail(runs.error());
    if (o.json) {
        for (const auto& r : *runs) out::print("{}\n", model::dump_json(report::run_json(r)));
        return k_exit_ok;
    }
    if (runs->empty()) {
        if (!g.quiet) out::message("no runs\n");
        return k_exit_ok;
    }
    out::print("{:<6} {:<20} {:<12} {:<9} {:<25} {}\n", "ID", "WORKFLOW", "STATUS", "TRIGGER",
               "STARTED", "TOOK");
    for (const auto& r : *runs)
        out::print("{:<6} {:<20} {:<12} {:<9} {:<25} {}\n", r.id, r.workflow,
                   model::to_string(r.status), r.trigger, time_or_dash(r.started),
                   took(r.started, r.ended));
    return k_exit_ok;
}

int cmd_show(const Options& o, const Globals& g) {
    auto state = open_state(g);
    if (!state) return fail(state.error());
    auto detail = state->store.get_run(o.run_id);
    if (!detail) return fail(detail.error());
    if (!*detail) return fail(Errc::usage, "no run " + std::to_string(o.run_id));
    const auto& d = **detail;
    auto children = state->store.child_runs(o.run_id);
    if (!children) return fail(children.error());
    if (o.json) {
        auto j = report::run_detail_json(d);
        j["children"] = report::child_runs_json(*children);
        out::print("{}\n", model::dump_json(j));
        return k_exit_ok;
    }
    out::print("run {}  {}  {}  attempt {}\n", d.run.id, d.run.workflow,
               model::to_string(d.run.status), d.run.attempt);
    out::print(
        "  file     {}\n  trigger  {} (event {} at {})\n  started  {}\n  ended    {}  (took "
        "{})\n",
        d.run.file, d.event.kind, d.event.id, format_local(d.event.time),
        time_or_dash(d.run.started), time_or_dash(d.run.ended), took(d.run.started, d.run.ended));
    if (!d.run.message.empty()) out::print("  message  {}\n", d.run.message);
    if (!d.run.params.empty()) out::print("  params   {}\n", model::dump_json(d.run.params));
    for (const auto& c : *children) out::print("  calls    {} -> run {}\n", c.step, c.run);
    out::print("\n{:<28} {:<12} {:<8} {:<10} {}\n", "STEP", "STATUS", "ATTEMPTS", "EXIT", "TOOK");
    for (const auto& s : d.steps) {
        std::string exit = s.signal ? *s.signal : s.exit_code ? std::to_string(*s.exit_code) : "-";
        out::print("{:<28} {:<12} {:<8} {:<10} {}{}\n", s.id, model::to_string(s.status),
                   s.attempts, exit, took(s.started, s.ended),
                   s.message.empty() ? "" : "  " + s.message);
        for (const auto& a : s.attempt_rows)  // `runs-on: slurm`: the job of each attempt
            if (a.slurm)
                out::print("    slurm: attempt {}: job {} ({})\n", a.number,
                           a.slurm->job.empty() ? "not submitted" : a.slurm->job, a.slurm->name);
        for (const auto& a : s.attempt_rows)
            if (a.log_dropped_lines > 0)
                out::print("    log: {}\n",
                           dropped_note(a, static_cast<int>(s.attempt_rows.size())));
        for (auto it = s.outputs.begin(); it != s.outputs.end(); ++it)
            out::print("    {} = {}\n", it.key(),
                       it.value().is_string() ? it.value().get<std::string>()
                                              : model::dump_json(it.value()));
    }
    return k_exit_ok;
}

int cmd_logs(const Options& o, const Globals& g) {
    auto state = open_state(g);
    if (!state) return fail(state.error());
    auto run = state->store.get_run_row(o.run_id);
    if (!run) return fail(run.error());
    if (!*run) return fail(Errc::usage, "no run " + std::to_string(o.run_id));
    LogTarget target{o.run_id, {}, {}, {}};
    if (!o.step.empty()) {
        auto t = log_target(state->store, o.run_id, o.step, "");
        if (!t) return fail(t.error());
        target = std::move(*t);
    }
    std::optional<std::string_view> step;
    if (target.one_step) step = *target.one_step;
    if (o.follow) catch_sigint();
    // On a terminal, step output could retitle the window or clear the
    // screen, and invalid UTF-8 garbles it (SPEC §9.4): drawn safe there,
    // with its colours when weft's own are on; bytes as stored elsewhere.
    const bool safe = !o.raw && report::is_terminal(stdout);
    const auto colors =
        use_color(parse_color(g.color), stdout) ? report::Colors::keep : report::Colors::drop;
    std::int64_t seq = 0;
    int polls = 0;
    while (true) {
        if (g_sigint) {
            std::fflush(stdout);
            return k_exit_sigint;
        }
        // A short read transaction each time, never one held open between
        // polls: that would keep the WAL from being checkpointed (DESIGN.md §2).
        auto page = state->store.poll_logs(target.run, step, seq, k_log_page);
        if (!page) return fail(page.error());
        for (const auto& l : page->lines) {
            seq = l.seq;
            if (!target.shows(l.step)) continue;
            std::string prefix;
            if (o.timestamps) prefix += format_rfc3339(l.time) + " ";
            const std::string who = target.line_prefix(l.step);
            prefix += safe ? report::terminal_safe(who) : who;
            out::write(stdout, prefix);
            if (safe)
                out::write(stdout, report::terminal_safe(l.text, colors));
            else
                out::write(stdout, l.text);  // the stored bytes, not copied
            out::write(stdout, "\n");
        }
        std::fflush(stdout);
        if (page->lines.size() == k_log_page) continue;  // more are there already
        // The page and the states come from one snapshot: once the run (or
        // the step) has ended in it, these were its last lines.
        if (!o.follow || !still_writing(*page, step.has_value())) break;
        // A run whose weft process died (kill -9) would stay `running` until
        // some weft opens the database: be that weft, once a second or so.
        if (++polls % k_owner_check_polls == 0) {
            auto row = state->store.get_run_row(target.run);
            if (row && *row && !engine::owner_alive(state->dir, (*row)->owner))
                if (auto r = engine::recover_dead_runs(state->store, state->dir); !r)
                    out::warning("recovering interrupted runs: " + r.error().message);
        }
        sleep_interruptibly(k_follow_interval);
    }
    if (auto r = print_dropped(state->store, target); !r) return fail(r.error());
    return k_exit_ok;
}

}  // namespace weft::cli
