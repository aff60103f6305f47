// weft validate, weft graph, weft cron: the commands that read and check
// workflows and schedules without running anything.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cron/cron.hpp"
#include "weft/parse/check.hpp"
#include "weft/parse/workflow_set.hpp"
#include "weft/util/time.hpp"

namespace weft::cli {

namespace {

// A set problem ("FILE:LINE:COL: message", or a message) as a workflow
// file's error: `FILE:LINE:COL: error: message`.
void print_set_problem(const std::string& p) {
    std::size_t colon = 0;
    bool located = true;
    for (int i = 0; i < 3 && located; ++i) {
        colon = p.find(':', colon + (i ? 1 : 0));
        located = colon != std::string::npos && colon > 0;
        if (located && i > 0) {
            const std::size_t prev = p.rfind(':', colon - 1);
            located = prev != std::string::npos && colon > prev + 1 &&
                      p.find_first_not_of("0123456789", prev + 1) == colon;
        }
    }
    if (located && colon + 2 <= p.size())
        out::message("{}: error: {}\n", p.substr(0, colon), p.substr(colon + 2));
    else
        out::error(p);
}

}  // namespace

int cmd_validate(const Options& o, const Globals& g) {
    bool ok = true;
    // Files and directories (their *.yaml and *.yml): one set (SPEC §9.2). A
    // file that cannot be read is reported by its load, with the others.
    std::vector<std::string> names;
    for (const auto& path : o.files) {
        std::error_code ec;
        if (!std::filesystem::is_directory(path, ec)) {
            names.push_back(path);
            continue;
        }
        auto in_dir = parse::workflow_files({path});
        if (!in_dir) return fail(in_dir.error());
        if (in_dir->empty()) {
            out::message("{}: error: a directory with no workflow file (*.yaml, *.yml)\n", path);
            ok = false;
        }
        names.insert(names.end(), in_dir->begin(), in_dir->end());
    }
    const std::vector<std::string>* files = &names;
    std::vector<parse::WorkflowPtr> set;
    for (const auto& file : *files) {
        auto w = parse::load_workflow(file);
        print_diagnostics(w.loaded, g.out);
        if (!w.ok()) {
            ok = false;
            continue;
        }
        if (!g.quiet)
            out::print("{}: ok ({} step{}, {} to run)\n", file, w.loaded.workflow->steps.size(),
                       w.loaded.workflow->steps.size() == 1 ? "" : "s", w.graph->instances.size());
        set.push_back(std::make_shared<parse::Workflow>(std::move(w)));
    }
    if (files->size() > 1)
        for (const auto& p : parse::check_workflow_set(set)) {
            print_set_problem(p);
            ok = false;
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

// One node of the drawn graph: an instance, named with the calling steps'
// prefix (`build/compile`) when it is a called workflow's.
struct Node {
    std::string id;
    std::vector<int> needs;  // node indices
    std::string group;       // the prefix of the call it is drawn in, "" at the top
};

// Add the instances of `w` to `nodes`; those with no needs wait for
// `entry`. With `expand`, a step that calls a workflow is replaced by that
// workflow's instances (its first ones wait for what the step needs, and
// what needs the step waits for its last ones). Returns the nodes of `w`
// nothing in `w` needs.
std::vector<int> add_nodes(const parse::Workflow& w, const std::string& prefix,
                           const std::vector<int>& entry, bool expand, std::vector<Node>& nodes) {
    const auto& insts = w.graph->instances;
    std::vector<std::vector<int>> exits(insts.size());
    std::vector<char> needed(insts.size(), 0);
    for (std::size_t i = 0; i < insts.size(); ++i) {  // topological order
        std::vector<int> needs;
        for (int n : insts[i].needs) {
            needed[n] = 1;
            needs.insert(needs.end(), exits[n].begin(), exits[n].end());
        }
        if (insts[i].needs.empty()) needs = entry;
        const int s = insts[i].step;
        const auto* child = s < static_cast<int>(w.calls.size()) ? w.calls[s].get() : nullptr;
        if (expand && child && child->ok()) {
            exits[i] = add_nodes(*child, prefix + insts[i].id + "/", needs, expand, nodes);
            continue;
        }
        nodes.push_back({prefix + insts[i].id, std::move(needs), prefix});
        exits[i] = {static_cast<int>(nodes.size()) - 1};
    }
    std::vector<int> sinks;
    for (std::size_t i = 0; i < insts.size(); ++i)
        if (!needed[i]) sinks.insert(sinks.end(), exits[i].begin(), exits[i].end());
    return sinks;
}

void print_dot(const std::string& name, const std::vector<Node>& nodes) {
    out::print("digraph {} {{\n  rankdir=LR;\n", dot_quote(name));
    std::map<std::string, std::vector<int>> groups;
    for (std::size_t i = 0; i < nodes.size(); ++i)
        groups[nodes[i].group].push_back(static_cast<int>(i));
    int cluster = 0;
    for (const auto& [group, members] : groups) {
        const std::string indent = group.empty() ? "  " : "    ";
        if (!group.empty())
            out::print("  subgraph cluster_{} {{\n    label={};\n", cluster++,
                       dot_quote(group.substr(0, group.size() - 1)));
        for (int i : members) out::print("{}{};\n", indent, dot_quote(nodes[i].id));
        if (!group.empty()) out::print("  }}\n");
    }
    for (const auto& node : nodes)
        for (int n : node.needs)
            out::print("  {} -> {};\n", dot_quote(nodes[n].id), dot_quote(node.id));
    out::print("}}\n");
}

// Mermaid: ids are indices, labels carry the names.
void print_mermaid(const std::vector<Node>& nodes) {
    out::print("flowchart LR\n");
    auto label = [](const std::string& id) {
        std::string out;
        for (char c : id) out += c == '"' ? std::string("#quot;") : std::string(1, c);
        return out;
    };
    std::map<std::string, std::vector<int>> groups;
    for (std::size_t i = 0; i < nodes.size(); ++i)
        groups[nodes[i].group].push_back(static_cast<int>(i));
    int sub = 0;
    for (const auto& [group, members] : groups) {
        if (!group.empty())
            out::print("  subgraph g{}[\"{}\"]\n", sub++, label(group.substr(0, group.size() - 1)));
        for (int i : members) out::print("  n{}[\"{}\"]\n", i, label(nodes[i].id));
        if (!group.empty()) out::print("  end\n");
    }
    for (std::size_t i = 0; i < nodes.size(); ++i)
        for (int n : nodes[i].needs) out::print("  n{} --> n{}\n", n, i);
}

}  // namespace

int cmd_graph(const Options& o, const Globals& g) {
    auto w = parse::load_workflow(o.files.at(0));
    print_diagnostics(w.loaded, g.out);
    if (!w.ok()) return k_exit_usage;
    std::vector<Node> nodes;
    add_nodes(w, "", {}, o.expand, nodes);
    if (o.format == "text") {
        for (const auto& node : nodes) {
            std::string line = node.id;
            for (std::size_t k = 0; k < node.needs.size(); ++k)
                line += (k == 0 ? " <- " : ", ") + nodes[node.needs[k]].id;
            out::print("{}\n", line);
        }
    } else if (o.format == "dot") {
        print_dot(w.loaded.workflow->name, nodes);
    } else {
        print_mermaid(nodes);
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
        // In --tz when given (SPEC §9.2), else UTC.
        out::print("{}\n", o.tz.empty() ? format_rfc3339(fire) : cron::format_in_zone(fire, *zone));
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
