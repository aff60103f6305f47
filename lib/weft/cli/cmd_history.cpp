// weft runs, weft show, weft logs: reading the history in the state database.
#include <unistd.h>

#include <cstdio>
#include <thread>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/state.hpp"
#include "weft/report/reporters.hpp"
#include "weft/util/strings.hpp"

namespace weft::cli {

namespace {

std::string time_or_dash(const std::optional<TimePoint>& t) { return t ? format_rfc3339(*t) : "-"; }

std::string took(const std::optional<TimePoint>& a, const std::optional<TimePoint>& b) {
    if (!a || !b) return "-";
    return report::human_duration(std::chrono::duration_cast<Duration>(*b - *a));
}

} // namespace

int cmd_runs(const Options& o, const Globals& g) {
    store::RunFilter f;
    if (!o.workflow.empty()) f.workflow = o.workflow;
    if (!o.status.empty()) {
        f.status = store::parse_run_state(o.status);
        if (!f.status) {
            std::fprintf(stderr,
                         "weft: error: --status %s: expected queued, running, success, failure, cancelled or "
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
        for (const auto& r : *runs) std::printf("%s\n", store::dump_json(store::run_json(r)).c_str());
        return k_exit_ok;
    }
    if (runs->empty()) {
        if (!g.quiet) std::fprintf(stderr, "no runs\n");
        return k_exit_ok;
    }
    std::printf("%-6s %-20s %-12s %-9s %-25s %s\n", "ID", "WORKFLOW", "STATUS", "TRIGGER", "STARTED", "TOOK");
    for (const auto& r : *runs)
        std::printf("%-6lld %-20s %-12s %-9s %-25s %s\n", static_cast<long long>(r.id), r.workflow.c_str(),
                    store::to_string(r.status), r.trigger.c_str(), time_or_dash(r.started).c_str(),
                    took(r.started, r.ended).c_str());
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
        std::printf("%s\n", store::dump_json(store::run_detail_json(d)).c_str());
        return k_exit_ok;
    }
    std::printf("run %lld  %s  %s  attempt %d\n", static_cast<long long>(d.run.id), d.run.workflow.c_str(),
                store::to_string(d.run.status), d.run.attempt);
    std::printf("  file     %s\n  trigger  %s (event %lld at %s)\n  started  %s\n  ended    %s  (took %s)\n",
                d.run.file.c_str(), d.event.kind.c_str(), static_cast<long long>(d.event.id),
                format_rfc3339(d.event.time).c_str(), time_or_dash(d.run.started).c_str(),
                time_or_dash(d.run.ended).c_str(), took(d.run.started, d.run.ended).c_str());
    if (!d.run.message.empty()) std::printf("  message  %s\n", d.run.message.c_str());
    if (!d.run.params.empty()) std::printf("  params   %s\n", store::dump_json(d.run.params).c_str());
    std::printf("\n%-28s %-12s %-8s %-10s %s\n", "STEP", "STATUS", "ATTEMPTS", "EXIT", "TOOK");
    for (const auto& s : d.steps) {
        std::string exit = s.signal ? *s.signal : s.exit_code ? std::to_string(*s.exit_code) : "-";
        std::printf("%-28s %-12s %-8d %-10s %s%s\n", s.id.c_str(), store::to_string(s.status), s.attempts, exit.c_str(),
                    took(s.started, s.ended).c_str(), s.message.empty() ? "" : ("  " + s.message).c_str());
        for (auto it = s.outputs.begin(); it != s.outputs.end(); ++it)
            std::printf("    %s = %s\n", it.key().c_str(),
                        it.value().is_string() ? it.value().get<std::string>().c_str() : store::dump_json(it.value()).c_str());
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
            std::fprintf(stderr, "weft: error: %s\n",
                         with_suggestion("run " + std::to_string(o.run_id) + " has no step '" + o.step + "'", o.step, ids)
                             .c_str());
            return k_exit_usage;
        }
    }
    std::int64_t seq = 0;
    while (true) {
        auto lines = state->store.get_logs(o.run_id, step, seq);
        if (!lines) {
            std::fprintf(stderr, "weft: error: %s\n", lines.error().message.c_str());
            return k_exit_state;
        }
        for (const auto& l : *lines) {
            std::string prefix;
            if (o.timestamps) prefix += format_rfc3339(l.time) + " ";
            if (!step) prefix += l.step + " | ";
            std::printf("%s%s\n", prefix.c_str(), l.text.c_str());
            seq = l.seq;
        }
        std::fflush(stdout);
        if (!o.follow) break;
        // Poll with short read transactions rather than hold one open, which
        // would keep the WAL from being checkpointed (DESIGN.md §2).
        auto now_row = state->store.get_run_row(o.run_id);
        const bool live = now_row && *now_row &&
                          ((*now_row)->status == store::RunState::running || (*now_row)->status == store::RunState::queued);
        if (!live && lines->empty()) break;
        if (lines->empty()) std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }
    return k_exit_ok;
}

} // namespace weft::cli
