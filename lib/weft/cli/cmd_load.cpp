// weft validate, weft graph, weft cron: the commands that read and check
// workflows and schedules without running anything.
#include <cstdio>
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
            std::printf("%s: ok (%zu steps, %zu to run)\n", file.c_str(),
                        w.loaded.workflow->steps.size(), w.graph->instances.size());
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
            std::printf("%s\n", line.c_str());
        }
    } else if (o.format == "dot") {
        std::printf("digraph %s {\n  rankdir=LR;\n", dot_quote(w.loaded.workflow->name).c_str());
        for (const auto& inst : insts) std::printf("  %s;\n", dot_quote(inst.id).c_str());
        for (const auto& inst : insts)
            for (int n : inst.needs)
                std::printf("  %s -> %s;\n", dot_quote(insts[n].id).c_str(),
                            dot_quote(inst.id).c_str());
        std::printf("}\n");
    } else {  // mermaid: ids are indices, labels carry the names
        std::printf("flowchart LR\n");
        for (std::size_t i = 0; i < insts.size(); ++i) {
            std::string label;
            for (char c : insts[i].id)
                label += c == '"' ? std::string("#quot;") : std::string(1, c);
            std::printf("  n%zu[\"%s\"]\n", i, label.c_str());
        }
        for (std::size_t i = 0; i < insts.size(); ++i)
            for (int n : insts[i].needs) std::printf("  n%d --> n%zu\n", n, i);
    }
    return k_exit_ok;
}

int cmd_cron(const Options& o, const Globals&) {
    auto schedule = cron::parse(o.expr);
    if (!schedule) {
        std::fprintf(stderr, "weft: error: invalid cron expression '%s': %s\n", o.expr.c_str(),
                     schedule.error().message.c_str());
        return k_exit_usage;
    }
    auto zone = cron::find_zone(o.tz);
    if (!zone) {
        std::fprintf(stderr, "weft: error: %s\n", zone.error().message.c_str());
        return k_exit_usage;
    }
    TimePoint from =
        std::chrono::time_point_cast<std::chrono::milliseconds>(std::chrono::system_clock::now());
    if (!o.from.empty()) {
        auto t = parse_rfc3339(o.from);
        if (!t) {
            std::fprintf(stderr, "weft: error: --from: %s\n", t.error().message.c_str());
            return k_exit_usage;
        }
        from = *t;
    }
    const auto after = std::chrono::floor<std::chrono::seconds>(from);
    for (const auto& fire :
         cron::next_fires(*schedule, *zone, after, static_cast<std::size_t>(o.count)))
        std::printf("%s\n", format_rfc3339(fire).c_str());
    return k_exit_ok;
}

}  // namespace weft::cli
