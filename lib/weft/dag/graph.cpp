#include "weft/dag/graph.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <unordered_map>

#include "weft/dag/cycles.hpp"
#include "weft/util/strings.hpp"

namespace weft::dag {

namespace {

// Step `i`'s `needs` as step indices, in file order. Unknown steps (with a
// suggestion) and a step needing itself are errors; a step listed twice is a
// warning and counted once.
std::vector<std::vector<int>> resolve_needs(const model::Workflow& wf, Diagnostics& diags) {
    const int n = static_cast<int>(wf.steps.size());
    std::unordered_map<std::string, int> index;
    index.reserve(n);
    std::vector<std::string> ids;
    ids.reserve(n);
    for (int i = 0; i < n; ++i) {
        index.emplace(wf.steps[i].id, i);
        ids.push_back(wf.steps[i].id);
    }
    std::vector<std::vector<int>> step_needs(n);
    for (int i = 0; i < n; ++i) {
        const auto& s = wf.steps[i];
        for (std::size_t k = 0; k < s.needs.size(); ++k) {
            const Location l = k < s.needs_loc.size() ? s.needs_loc[k] : s.loc;
            auto it = index.find(s.needs[k]);
            if (it == index.end()) {
                diags.push_back(
                    {Severity::error, l,
                     with_suggestion("step '" + s.id + "' needs unknown step '" + s.needs[k] + "'",
                                     s.needs[k], ids)});
                continue;
            }
            if (it->second == i) {
                diags.push_back({Severity::error, l, "step '" + s.id + "' needs itself"});
                continue;
            }
            if (wf.steps[it->second].finally != s.finally) {
                diags.push_back({Severity::error, l,
                                 s.finally
                                     ? "finally step '" + s.id + "' needs '" + s.needs[k] +
                                           "' of 'steps'; finally steps start after every step of "
                                           "'steps' anyway, and may only need finally steps"
                                     : "step '" + s.id + "' needs '" + s.needs[k] +
                                           "', a step of 'finally'; those run after every step of "
                                           "'steps' has ended"});
                continue;
            }
            auto& list = step_needs[i];
            if (std::find(list.begin(), list.end(), it->second) != list.end()) {
                diags.push_back({Severity::warning, l,
                                 "step '" + s.id + "' lists '" + s.needs[k] + "' in needs twice"});
                continue;
            }
            list.push_back(it->second);
        }
    }
    return step_needs;
}

// The steps in topological order; those on or behind a cycle are left out.
std::vector<int> topological_order(const std::vector<std::vector<int>>& step_needs) {
    // Kahn's algorithm, always taking the ready step defined first, so the
    // order is the same on every run and follows the file where it can.
    const int n = static_cast<int>(step_needs.size());
    std::vector<int> order;
    order.reserve(n);
    std::vector<int> missing(n, 0);
    std::vector<std::vector<int>> dependents(n);
    for (int i = 0; i < n; ++i)
        for (int d : step_needs[i]) {
            ++missing[i];
            dependents[d].push_back(i);
        }
    std::priority_queue<int, std::vector<int>, std::greater<>> ready;
    for (int i = 0; i < n; ++i)
        if (missing[i] == 0) ready.push(i);
    while (!ready.empty()) {
        const int s = ready.top();
        ready.pop();
        order.push_back(s);
        for (int d : dependents[s])
            if (--missing[d] == 0) ready.push(d);
    }
    return order;
}

// Expand matrices in `g.step_order`, then wire each instance to every
// instance of the steps its step needs.
void add_instances(const model::Workflow& wf, Graph& g, Diagnostics& diags) {
    g.step_instances.resize(wf.steps.size());
    for (int s : g.step_order) {
        const auto& step = wf.steps[s];
        if (step.matrix && step.matrix->dynamic()) {
            g.step_instances[s].push_back(static_cast<int>(g.instances.size()));
            g.instances.push_back(Instance{step.id, s, nullptr, {}, true});
        } else if (step.matrix) {
            auto combos = expand_matrix(*step.matrix);
            if (auto dup = duplicate_instance(step.id, *step.matrix, combos); !dup.empty()) {
                diags.push_back({Severity::error, step.matrix->loc,
                                 "'matrix' gives the instance '" + dup +
                                     "' twice (a value repeated in a list)"});
            }
            for (auto& combo : combos) {
                Instance inst;
                inst.id = instance_id(step.id, *step.matrix, combo);
                inst.step = s;
                inst.matrix = std::move(combo);
                g.step_instances[s].push_back(static_cast<int>(g.instances.size()));
                g.instances.push_back(std::move(inst));
            }
        } else {
            g.step_instances[s].push_back(static_cast<int>(g.instances.size()));
            g.instances.push_back(Instance{step.id, s, nullptr, {}});
        }
        for (int idx : g.step_instances[s])
            for (int d : g.step_needs[s])
                for (int di : g.step_instances[d]) g.instances[idx].needs.push_back(di);
    }
}

}  // namespace

bool Graph::needs_transitively(int from, int to) const {
    std::vector<char> seen(step_needs.size(), 0);
    std::vector<int> stack(step_needs[from].begin(), step_needs[from].end());
    while (!stack.empty()) {
        const int s = stack.back();
        stack.pop_back();
        if (s == to) return true;
        if (seen[s]) continue;
        seen[s] = 1;
        stack.insert(stack.end(), step_needs[s].begin(), step_needs[s].end());
    }
    return false;
}

Graph build(const model::Workflow& wf, Diagnostics& diags) {
    Graph g;
    g.step_needs = resolve_needs(wf, diags);
    g.step_order = topological_order(g.step_needs);
    if (g.step_order.size() < wf.steps.size()) {
        report_cycles(wf, g.step_needs, g.step_order, diags);
        return g;
    }
    add_instances(wf, g, diags);
    return g;
}

}  // namespace weft::dag
