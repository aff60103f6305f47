// weft validate, weft graph, weft cron: the commands that read and check
// workflows and schedules without running anything.
#include <map>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cron/cron.hpp"
#include "weft/parse/check.hpp"
#include "weft/util/time.hpp"

namespace weft::cli {

int cmd_validate(const Options& o, const Globals& g) {
    bool ok = true;
    for (const auto& file : o.files) {
        auto w = parse::load_workflow(file);
        print_diagnostics(w.loaded, g.out);
        if (!w.ok()) {
            ok = false;
            continue;
        }
        if (!g.quiet)
            out::print("{}: ok ({} step{}, {} to run)\n", file, w.loaded.workflow->steps.size(),
                       w.loaded.workflow->steps.size() == 1 ? "" : "s", w.graph->instances.size());
    }
    return ok ? k_exit_ok : k_exit_usage;
}

namespace {

std::string dot_quote(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        out += c;
    }
    return out + "\"";
}

}  // namespace

int cmd_graph(const Options& o, const Globals& g) {
    auto w = parse::load_workflow(o.files.at(0));
    print_diagnostics(w.loaded, g.out);
    if (!w.ok()) return k_exit_usage;
    const auto& insts = w.graph->instances;
    if (o.format == "text") {
        for (const auto& inst : insts) {
            std::string line = inst.id;
            for (std::size_t k = 0; k < inst.needs.size(); ++k)
                line += (k == 0 ? " <- " : ", ") + insts[inst.needs[k]].id;
            out::print("{}\n", line);
        }
    } else if (o.format == "dot") {
        out::print("digraph {} {{\n  rankdir=LR;\n", dot_quote(w.loaded.workflow->name));
        for (const auto& inst : insts) out::print("  {};\n", dot_quote(inst.id));
        for (const auto& inst : insts)
            for (int n : inst.needs)
                out::print("  {} -> {};\n", dot_quote(insts[n].id), dot_quote(inst.id));
        out::print("}}\n");
    } else {  // mermaid: ids are indices, labels carry the names
        out::print("flowchart LR\n");
        for (std::size_t i = 0; i < insts.size(); ++i) {
            std::string label;
            for (char c : insts[i].id)
                label += c == '"' ? std::string("#quot;") : std::string(1, c);
            out::print("  n{}[\"{}\"]\n", i, label);
        }
        for (std::size_t i = 0; i < insts.size(); ++i)
            for (int n : insts[i].needs) out::print("  n{} --> n{}\n", n, i);
    }
    return k_exit_ok;
}

int cmd_cron(const Options& o, const Globals&) {
    auto schedule = cron::parse(o.expr);
    if (!schedule)
        return fail(Errc::usage,
                    "invalid cron expression '" + o.expr + "': " + schedule.error().message);
    auto zone = cron::find_zone(o.tz);
    if (!zone) return fail(zone.error());
    TimePoint from = now();
    if (!o.from.empty()) {
        auto t = parse_rfc3339(o.from);
        if (!t) return fail(Errc::usage, "--from: " + t.error().message);
        from = *t;
    }
    const auto after = std::chrono::floor<std::chrono::seconds>(from);
    // RFC 3339 has four-digit years: an instant of the year 10000 or later
    // cannot be written in it, so the list stops before one (SPEC §9.4).
    using namespace std::chrono;
    const auto end_of_rfc3339 = sys_days{year{10000} / January / 1};
    std::size_t printed = 0;
    for (const auto& fire :
         cron::next_fires(*schedule, *zone, after, static_cast<std::size_t>(o.count))) {
        if (fire >= end_of_rfc3339) break;
        out::print("{}\n", format_rfc3339(fire));
        ++printed;
    }
    if (printed < static_cast<std::size_t>(o.count))
        out::note(
            fmt::format("{} of {} fire times shown: the others are past the year 9999, "
                        "which RFC 3339 cannot write",
                        printed, o.count));
    return k_exit_ok;
}

}  // namespace weft::cli
