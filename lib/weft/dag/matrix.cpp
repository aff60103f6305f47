#include "weft/dag/matrix.hpp"

#include <algorithm>
#include <set>

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

std::string duplicate_instance(const std::string& step, const model::Matrix& m,
                               const std::vector<Json>& combinations) {
    std::set<std::string> seen;
    for (const auto& c : combinations)
        if (auto id = instance_id(step, m, c); !seen.insert(id).second) return id;
    return {};
}

}  // namespace weft::dag
