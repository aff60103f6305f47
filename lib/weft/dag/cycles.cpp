#include "weft/dag/cycles.hpp"

#include <algorithm>
#include <string>
#include <utility>

namespace weft::dag {

namespace {

// The error for `cycle` (step indices along `needs` edges, each needing the
// next and the last needing the first).
Diagnostic cycle_error(const model::Workflow& wf, std::vector<int> cycle) {
    // `a needs b` is the edge a -> b: print in that direction, starting at
    // the step defined first.
    std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()), cycle.end());
    std::string path;
    for (int c : cycle) path += wf.steps[c].id + " -> ";
    path += wf.steps[cycle[0]].id;
    const auto& first = wf.steps[cycle[0]];
    Location l = first.loc;
    const std::string& target = wf.steps[cycle.size() > 1 ? cycle[1] : cycle[0]].id;
    for (std::size_t q = 0; q < first.needs.size(); ++q)
        if (first.needs[q] == target && q < first.needs_loc.size()) l = first.needs_loc[q];
    return {Severity::error, l, "dependency cycle: " + path};
}

}  // namespace

void report_cycles(const model::Workflow& wf, const std::vector<std::vector<int>>& step_needs,
                   const std::vector<int>& ordered, Diagnostics& diags) {
    // Each cycle once, found by an iterative DFS over the steps left
    // (recursion would overflow on long chains).
    const int n = static_cast<int>(step_needs.size());
    std::vector<char> colour(n, 0);  // 0 new, 1 on stack, 2 done
    for (int s : ordered) colour[s] = 2;
    for (int start = 0; start < n; ++start) {
        if (colour[start]) continue;
        std::vector<std::pair<int, std::size_t>> stack{{start, 0}};
        colour[start] = 1;
        while (!stack.empty()) {
            auto& [v, next] = stack.back();
            if (next == step_needs[v].size()) {
                colour[v] = 2;
                stack.pop_back();
                continue;
            }
            const int w = step_needs[v][next++];
            if (colour[w] == 0) {
                colour[w] = 1;
                stack.push_back({w, 0});
            } else if (colour[w] == 1) {
                std::vector<int> cycle;
                std::size_t k = 0;
                while (stack[k].first != w) ++k;
                for (; k < stack.size(); ++k) cycle.push_back(stack[k].first);
                diags.push_back(cycle_error(wf, std::move(cycle)));
            }
        }
    }
}

}  // namespace weft::dag
