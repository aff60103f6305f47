#include "weft/dag/graph.hpp"

#include <algorithm>
#include <functional>
#include <queue>
#include <unordered_map>

#include "weft/util/strings.hpp"

namespace weft::dag {

namespace {

std::string value_text(const Json& v) {
    if (v.is_string()) return v.get<std::string>();
    return v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

// Every key/value of `entry` equals the same key of `combo`.
bool matches(const Json& combo, const Json& entry) {
    for (auto it = entry.begin(); it != entry.end(); ++it) {
        if (!combo.contains(it.key()) || combo[it.key()] != it.value()) return false;
    }
    return true;
}

}  // namespace

std::vector<Json> expand_matrix(const model::Matrix& m) {
    std::vector<Json> combos;
    if (model::matrix_size(m) > model::k_max_matrix_instances)
        return combos;  // the loader reported it
    if (!m.axes.empty()) {
        combos.push_back(Json::object());
        for (const auto& [key, values] : m.axes) {
            std::vector<Json> next;
            next.reserve(combos.size() * values.size());
            for (const auto& c : combos)
                for (const auto& v : values) {
                    Json n = c;
                    n[key] = v;
                    next.push_back(std::move(n));
                }
            combos = std::move(next);
        }
        std::erase_if(combos, [&](const Json& c) {
            return std::any_of(m.exclude.begin(), m.exclude.end(),
                               [&](const Json& e) { return matches(c, e); });
        });
    }
    const std::size_t original = combos.size();
    for (const auto& inc : m.include) {
        // An include entry extends each original combination whose axis
        // values it does not overwrite; if it extends none, it is a new one.
        bool extended = false;
        for (std::size_t i = 0; i < original; ++i) {
            bool fits = true;
            for (const auto& [key, values] : m.axes) {
                (void)values;
                if (inc.contains(key) && inc[key] != combos[i][key]) fits = false;
            }
            if (!fits) continue;
            for (auto it = inc.begin(); it != inc.end(); ++it) combos[i][it.key()] = it.value();
            extended = true;
        }
        if (!extended) combos.push_back(inc);
    }
    return combos;
}

std::string instance_id(const std::string& step, const model::Matrix& m, const Json& combination) {
    std::string id = step + "[";
    bool first = true;
    auto add = [&](const std::string& key, const Json& v) {
        if (!first) id += ",";
        first = false;
        id += key + "=" + value_text(v);
    };
    bool any_axis = false;
    for (const auto& [key, values] : m.axes) {
        (void)values;
        if (combination.contains(key)) {
            add(key, combination[key]);
            any_axis = true;
        }
    }
    if (!any_axis)
        for (auto it = combination.begin(); it != combination.end(); ++it)
            add(it.key(), it.value());
    return id + "]";
}

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
    const int n = static_cast<int>(wf.steps.size());
    std::unordered_map<std::string, int> index;
    index.reserve(n);
    std::vector<std::string> ids;
    ids.reserve(n);
    for (int i = 0; i < n; ++i) {
        index.emplace(wf.steps[i].id, i);
        ids.push_back(wf.steps[i].id);
    }

    g.step_needs.resize(n);
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
            auto& list = g.step_needs[i];
            if (std::find(list.begin(), list.end(), it->second) != list.end()) {
                diags.push_back({Severity::warning, l,
                                 "step '" + s.id + "' lists '" + s.needs[k] + "' in needs twice"});
                continue;
            }
            list.push_back(it->second);
        }
    }

    // Kahn's algorithm, always taking the ready step defined first, so the
    // order is the same on every run and follows the file where it can.
    std::vector<int> missing(n, 0);
    std::vector<std::vector<int>> dependents(n);
    for (int i = 0; i < n; ++i)
        for (int d : g.step_needs[i]) {
            ++missing[i];
            dependents[d].push_back(i);
        }
    std::priority_queue<int, std::vector<int>, std::greater<>> ready;
    for (int i = 0; i < n; ++i)
        if (missing[i] == 0) ready.push(i);
    while (!ready.empty()) {
        const int s = ready.top();
        ready.pop();
        g.step_order.push_back(s);
        for (int d : dependents[s])
            if (--missing[d] == 0) ready.push(d);
    }

    if (static_cast<int>(g.step_order.size()) < n) {
        // Report each cycle once, as a path, found by an iterative DFS over
        // the steps left (recursion would overflow on long chains).
        std::vector<char> colour(n, 0);  // 0 new, 1 on stack, 2 done
        for (int s : g.step_order) colour[s] = 2;
        for (int start = 0; start < n; ++start) {
            if (colour[start]) continue;
            std::vector<std::pair<int, std::size_t>> stack{{start, 0}};
            colour[start] = 1;
            while (!stack.empty()) {
                auto& [v, next] = stack.back();
                if (next < g.step_needs[v].size()) {
                    const int w = g.step_needs[v][next++];
                    if (colour[w] == 0) {
                        colour[w] = 1;
                        stack.push_back({w, 0});
                    } else if (colour[w] == 1) {
                        std::vector<int> cycle;
                        std::size_t k = 0;
                        while (stack[k].first != w) ++k;
                        for (; k < stack.size(); ++k) cycle.push_back(stack[k].first);
                        // `a needs b` is the edge a -> b: print in that direction,
                        // starting at the step defined first.
                        std::rotate(cycle.begin(), std::min_element(cycle.begin(), cycle.end()),
                                    cycle.end());
                        std::string path;
                        for (int c : cycle) path += wf.steps[c].id + " -> ";
                        path += wf.steps[cycle[0]].id;
                        const auto& first = wf.steps[cycle[0]];
                        Location l = first.loc;
                        const std::string& target =
                            wf.steps[cycle.size() > 1 ? cycle[1] : cycle[0]].id;
                        for (std::size_t q = 0; q < first.needs.size(); ++q)
                            if (first.needs[q] == target && q < first.needs_loc.size())
                                l = first.needs_loc[q];
                        diags.push_back({Severity::error, l, "dependency cycle: " + path});
                    }
                } else {
                    colour[v] = 2;
                    stack.pop_back();
                }
            }
        }
        return g;
    }

    // Expand matrices, then wire each instance to every instance of the steps
    // its step needs.
    g.step_instances.resize(n);
    for (int s : g.step_order) {
        const auto& step = wf.steps[s];
        if (step.matrix) {
            for (auto& combo : expand_matrix(*step.matrix)) {
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
    return g;
}

}  // namespace weft::dag
