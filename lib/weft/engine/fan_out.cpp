#include "weft/engine/fan_out.hpp"

#include <string>

#include "weft/dag/matrix.hpp"
#include "weft/expr/expr.hpp"

namespace weft::engine {

namespace {

using model::Json;

Result<Json> evaluate(const std::string& text, const Json& contexts) {
    auto e = expr::parse_condition(text);
    if (!e) return e.error();
    auto v = expr::evaluate(*e, contexts);
    if (!v) return v.error();
    return Json(*v);  // the matrix is the engine's (model::Json)
}

std::string shape(const Json& v) {
    if (v.is_null()) return "null";
    return v.is_array() ? "a list" : v.is_object() ? "a map" : "a " + std::string(v.type_name());
}

Error invalid(std::string text) {
    return make_error(Errc::invalid, std::move(text));
}

// A list whose items are all maps (`include`, `exclude`, a whole-matrix list).
bool list_of_maps(const Json& v) {
    if (!v.is_array()) return false;
    for (const auto& x : v)
        if (!x.is_object()) return false;
    return true;
}

Result<void> whole(model::Matrix& out, const Json& v) {
    if (list_of_maps(v)) {
        out.include.insert(out.include.end(), v.begin(), v.end());
        return {};
    }
    if (!v.is_object())
        return invalid("the matrix expression gave " + shape(v) +
                       "; expected a map of lists or a list of maps");
    for (auto it = v.begin(); it != v.end(); ++it) {
        const std::string& k = it.key();
        if (k == "include" || k == "exclude") {
            if (!list_of_maps(it.value()))
                return invalid("'" + k + "' of the matrix expression is " + shape(it.value()) +
                               "; expected a list of maps");
            auto& to = k == "include" ? out.include : out.exclude;
            to.insert(to.end(), it.value().begin(), it.value().end());
        } else if (!it.value().is_array()) {
            return invalid("the matrix expression gave " + shape(it.value()) + " for key '" + k +
                           "'; expected a list");
        } else {
            out.axes.emplace_back(k, std::vector<Json>(it.value().begin(), it.value().end()));
        }
    }
    return {};
}

}  // namespace

Result<Decided> decide_matrix(const model::Matrix& m, const Json& contexts) {
    Decided d;
    d.matrix = m;
    d.matrix.expr.reset();
    d.matrix.axis_exprs.clear();
    if (m.expr) {
        auto v = evaluate(*m.expr, contexts);
        if (!v) return invalid("matrix: " + v.error().message);
        if (auto r = whole(d.matrix, *v); !r) return r.error();
    }
    for (auto& [key, values] : d.matrix.axes) {
        auto e = m.axis_exprs.find(key);
        if (e == m.axis_exprs.end()) continue;
        auto v = evaluate(e->second, contexts);
        if (!v) return invalid("matrix axis '" + key + "': " + v.error().message);
        if (!v->is_array())
            return invalid("matrix axis '" + key + "' gave " + shape(*v) + "; expected a list");
        values.assign(v->begin(), v->end());
    }
    // An empty axis empties the product; matrix_size counts it as one value.
    bool empty_axis = false;
    for (const auto& [key, values] : d.matrix.axes) empty_axis = empty_axis || values.empty();
    if (model::matrix_size(d.matrix) > model::k_max_matrix_instances && !empty_axis)
        return invalid("the matrix expands to more than " +
                       std::to_string(model::k_max_matrix_instances) + " instances");
    if (empty_axis) {
        d.matrix.axes.clear();
        d.matrix.exclude.clear();
    }
    d.instances = dag::expand_matrix(d.matrix);
    if (auto dup = dag::duplicate_instance("", d.matrix, d.instances); !dup.empty())
        return invalid("the matrix gives the instance " + dup +
                       " twice (a value repeated in a list)");
    return d;
}

}  // namespace weft::engine
