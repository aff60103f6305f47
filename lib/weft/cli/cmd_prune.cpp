// weft prune: every workflow's `retention` applied to the state database.
#include <filesystem>

#include "weft/cli/cli.hpp"
#include "weft/cli/prune.hpp"
#include "weft/cli/state.hpp"
#include "weft/engine/owner.hpp"
#include "weft/engine/resolve.hpp"
#include "weft/model/run.hpp"
#include "weft/parse/check.hpp"

namespace weft::cli {

namespace {

std::string plural(long long n, const char* one, const char* many) {
    return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string describe(const store::Retention& keep) {
    return plural(keep.runs, "run", "runs") + ", " +
           plural(std::chrono::duration_cast<std::chrono::days>(keep.age).count(), "day", "days");
}

// `1-3 5 8-9`: ascending ids as ranges.
std::string id_ranges(const std::vector<model::RowId>& ids) {
    std::string out;
    for (std::size_t i = 0; i < ids.size();) {
        std::size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1) ++j;
        if (!out.empty()) out += ' ';
        out += std::to_string(ids[i]);
        if (j > i) out += "-" + std::to_string(ids[j]);
        i = j + 1;
    }
    return out;
}

// The retention of workflow `w.workflow`, read from the file of its newest
// run. A file that is gone, or now holds another workflow, gives SPEC's
// defaults; a file with errors gives none (nothing of it is pruned): a typo
// in a workflow must never delete history its intended retention keeps.
// A relative file (runs recorded before runs.file was made absolute) is
// taken from the current directory.
std::optional<store::Retention> retention_for(const store::WorkflowFile& w, const Globals& g) {
    std::error_code ec;
    if (!std::filesystem::exists(w.file, ec)) {
        if (!g.quiet)
            out::message(
                "weft: note: workflow '{}': {} is gone; pruning with the default retention ({})\n",
                w.workflow, w.file, describe(store::Retention{}));
        return store::Retention{};
    }
    auto loaded = parse::load_workflow(w.file);
    if (!loaded.ok()) {
        out::message(
            "weft: warning: workflow '{}': {} has errors; none of its runs pruned "
            "(see 'weft validate {}')\n",
            w.workflow, w.file, w.file);
        return std::nullopt;
    }
    const auto& wf = *loaded.loaded.workflow;
    if (wf.name != w.workflow) {
        if (!g.quiet)
            out::message(
                "weft: note: workflow '{}': {} now holds workflow '{}'; pruning with the default "
                "retention ({})\n",
                w.workflow, w.file, wf.name, describe(store::Retention{}));
        return store::Retention{};
    }
    return retention_of(wf);
}

}  // namespace

store::Retention retention_of(const model::Workflow& wf) {
    return engine::retention_of(wf);
}

void prune_after_run(store::Store& store, const model::Workflow& wf, const Globals& g) {
    auto r = store.prune(wf.name, retention_of(wf), now(), store::DryRun::no);
    if (!r) {
        out::message("weft: warning: pruning old runs of '{}': {}\n", wf.name, r.error().message);
        return;
    }
    if (g.verbose && !r->runs.empty())
        out::message("weft: pruned {} of '{}' (retention: {})\n",
                     plural(static_cast<long long>(r->runs.size()), "run", "runs"), wf.name,
                     describe(retention_of(wf)));
}

int cmd_prune(const Options& o, const Globals& g) {
    auto state = open_state(g);
    if (!state) return fail(state.error());
    auto workflows = state->store.run_workflows();
    if (!workflows) return fail(workflows.error());
    const auto dry = o.dry_run ? store::DryRun::yes : store::DryRun::no;
    const char* verb = o.dry_run ? "would prune" : "pruned";
    const TimePoint t = now();
    long long runs = 0, lines = 0;
    Duration longest{0};
    for (const auto& w : *workflows) {
        auto keep = retention_for(w, g);
        if (!keep) continue;
        // Short write transactions (Store::prune): a running weft waits
        // for one of them at most.
        auto r = state->store.prune(w.workflow, *keep, t, dry);
        if (!r) return fail(Errc::state, r.error().message);
        if (g.verbose)
            out::print("{}: retention {}, from {}\n", w.workflow, describe(*keep), w.file);
        longest = std::max(longest, r->longest_transaction);
        if (r->runs.empty()) continue;
        runs += static_cast<long long>(r->runs.size());
        lines += r->log_lines;
        if (!g.quiet)
            out::print("{}: {} {} ({}), {}{}\n", w.workflow, verb,
                       plural(static_cast<long long>(r->runs.size()), "run", "runs"),
                       id_ranges(r->runs), plural(r->log_lines, "log line", "log lines"),
                       g.verbose ? ", " + plural(r->events, "event", "events") : "");
    }
    out::print("{} {}, {}\n", verb, plural(runs, "run", "runs"),
               plural(lines, "log line", "log lines"));
    // Scratch directories of runs that ended without removing them (a weft
    // killed before its recovery ran): never a secret left behind for long.
    if (!o.dry_run) {
        const int removed = engine::remove_dead_run_files(state->store, state->dir);
        if (g.verbose && removed > 0)
            out::print("removed {} leftover run director{} from {}/tmp\n", removed,
                       removed == 1 ? "y" : "ies", state->dir);
    }
    if (g.verbose && !o.dry_run)
        out::print("longest write transaction: {} ms\n", static_cast<long long>(longest.count()));
    return k_exit_ok;
}

}  // namespace weft::cli
