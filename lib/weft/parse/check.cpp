#include "weft/parse/check.hpp"

#include <algorithm>
#include <filesystem>

#include "weft/expr/expr.hpp"
#include "weft/plugin/plugin.hpp"
#include "weft/util/strings.hpp"

namespace weft::parse {

namespace {

void check_ref(const model::Workflow& wf, const dag::Graph& g, const ExprRef& r,
               Diagnostics& diags) {
    auto err = [&](std::string msg) { diags.push_back({Severity::error, r.loc, std::move(msg)}); };
    const auto& path = r.path;
    if (path.empty()) return;
    const std::string& root = path[0];
    const auto& names = expr::context_names();
    if (std::find(names.begin(), names.end(), root) == names.end()) {
        err(with_suggestion("unknown context '" + root + "'", root, names) + "; expected one of " +
            join_quoted(names));
        return;
    }
    const model::Step* step = r.step >= 0 ? &wf.steps[r.step] : nullptr;
    if (root == "params" && path.size() > 1 && !wf.find_param(path[1])) {
        std::vector<std::string> params;
        for (const auto& p : wf.params) params.push_back(p.name);
        err(with_suggestion("unknown param '" + path[1] + "'", path[1], params));
    } else if (root == "steps") {
        if (!step) {
            err("the 'steps' context is only available inside a step");
            return;
        }
        if (path.size() < 2) return;
        const model::Step* other = wf.find_step(path[1]);
        if (!other) {
            std::vector<std::string> ids;
            for (const auto& s : wf.steps) ids.push_back(s.id);
            err(with_suggestion("unknown step '" + path[1] + "'", path[1], ids));
            return;
        }
        const int other_index = static_cast<int>(other - wf.steps.data());
        // A finally step may read any step of `steps`: they have all ended.
        const bool after_all = step->finally && !other->finally;
        if (!after_all && (other_index == r.step || !g.needs_transitively(r.step, other_index))) {
            err("step '" + step->id + "' reads step '" + other->id +
                "', which it does not need; add '" + other->id + "' to its 'needs'");
            return;
        }
        if (path.size() > 2 && path[2] != "outputs" && path[2] != "status" &&
            path[2] != "instances")
            err(with_suggestion("unknown property '" + path[2] + "' of step '" + other->id + "'",
                                path[2], {"outputs", "status", "instances"}) +
                "; expected 'outputs', 'status' or 'instances'");
    } else if (root == "matrix") {
        if (!step || !step->matrix) {
            err(step ? "step '" + step->id + "' reads the 'matrix' context but has no 'matrix'"
                     : "the 'matrix' context is only available inside a step with a 'matrix'");
            return;
        }
        // The keys of a matrix decided at run time as a whole are not known.
        if (path.size() < 2 || step->matrix->expr) return;
        std::vector<std::string> keys;
        for (const auto& [k, v] : step->matrix->axes) keys.push_back(k);
        for (const auto& inc : step->matrix->include)
            for (auto it = inc.begin(); it != inc.end(); ++it) keys.push_back(it.key());
        // Contexts read case-insensitively at run time (`matrix.OS` is `os`).
        auto same = [&](const std::string& k) { return to_lower(k) == to_lower(path[1]); };
        if (std::none_of(keys.begin(), keys.end(), same))
            err(with_suggestion("unknown matrix key '" + path[1] + "'", path[1], keys));
    } else if (root == "run" && path.size() > 1 && path[1] != "id" && path[1] != "attempt") {
        err(with_suggestion("unknown property 'run." + path[1] + "'", path[1], {"id", "attempt"}) +
            "; expected 'run.id' or 'run.attempt'");
    } else if (root == "workflow" && path.size() > 1 && path[1] != "name") {
        err("unknown property 'workflow." + path[1] + "'; expected 'workflow.name'");
    }
}

// A step of `steps` that needs nothing and whose `if` reads nothing but the
// status functions, false unless something failed or was cancelled: it is
// decided when the run starts, before anything could fail, so it never runs.
void warn_never_runs(const model::Step& step, Diagnostics& diags) {
    if (step.finally || !step.needs.empty() || !step.if_cond) return;
    auto cond = expr::parse_condition(*step.if_cond);
    if (!cond || !expr::uses_status_function(*cond) || !expr::references(*cond).empty()) return;
    const auto empty = nlohmann::json::object();
    auto truthy_when = [&](bool failed, bool cancelled) {
        auto v = expr::evaluate(*cond, empty, expr::Status{failed, cancelled});
        return v && expr::truthy(*v);
    };
    if (truthy_when(false, false) || !(truthy_when(true, false) || truthy_when(false, true)))
        return;
    diags.push_back({Severity::warning, step.if_loc,
                     "step '" + step.id +
                         "' runs only after a failure or a cancel ('if: " + *step.if_cond +
                         "') but needs no step, so it can never run; to run it after the "
                         "other steps whatever their outcome, move it under 'finally'"});
}

// The workflow's `outputs`, evaluated at its run's end: their templates
// parse, and a step they read exists.
void check_outputs(const model::Workflow& wf, Diagnostics& diags) {
    for (const auto& o : wf.outputs) {
        auto err = [&](std::string msg) {
            diags.push_back({Severity::error, o.loc, std::move(msg)});
        };
        auto t = expr::parse_template(o.expr);
        if (!t) {
            err("output '" + o.name + "': " + t.error().message);
            continue;
        }
        for (const auto& part : t->parts) {
            if (!part.expr) continue;
            for (const auto& r : expr::references(*part.expr))
                if (r.path.size() > 1 && r.path[0] == "steps" && !wf.find_step(r.path[1]))
                    err("output '" + o.name + "' reads unknown step '" + r.path[1] + "'");
        }
    }
}

}  // namespace

std::optional<dag::Graph> check(Loaded& loaded) {
    if (!loaded.workflow) return std::nullopt;
    const auto& wf = *loaded.workflow;
    dag::Graph g = dag::build(wf, loaded.diagnostics);
    if (static_cast<int>(g.step_order.size()) == static_cast<int>(wf.steps.size())) {
        for (const auto& r : loaded.refs) check_ref(wf, g, r, loaded.diagnostics);
        for (const auto& s : wf.steps) warn_never_runs(s, loaded.diagnostics);
        check_outputs(wf, loaded.diagnostics);
        for (std::size_t s = 0; s < wf.steps.size(); ++s)
            if (wf.steps[s].matrix && !wf.steps[s].matrix->dynamic() &&
                g.step_instances[s].empty() &&
                model::matrix_size(*wf.steps[s].matrix) <= model::k_max_matrix_instances)
                loaded.diagnostics.push_back(
                    {Severity::warning, wf.steps[s].matrix->loc,
                     "the matrix of step '" + wf.steps[s].id +
                         "' has no combinations left; the step never runs"});
    }
    // Keep diagnostics in file order, as a compiler prints them.
    std::stable_sort(loaded.diagnostics.begin(), loaded.diagnostics.end(),
                     [](const Diagnostic& a, const Diagnostic& b) {
                         return a.loc.line != b.loc.line ? a.loc.line < b.loc.line
                                                         : a.loc.column < b.loc.column;
                     });
    if (has_errors(loaded.diagnostics)) return std::nullopt;
    return g;
}

namespace {

// A call being loaded: the file that makes it and where its `uses` is.
struct CallSite {
    std::string key;   // the calling file, normalized: what a cycle repeats
    std::string file;  // as named
    Location uses;
};

std::string where(const std::string& file, Location l) {
    return file + ":" + std::to_string(l.line) + ":" + std::to_string(l.column);
}

std::string normalized(const std::string& path) {
    std::error_code ec;
    auto p = std::filesystem::weakly_canonical(path, ec);
    return ec ? path : p.string();
}

// A call step's `with` against the child's params.
void check_with(const model::Step& step, const model::Workflow& child, Diagnostics& diags) {
    auto err = [&](Location l, std::string msg) {
        diags.push_back({Severity::error, l, std::move(msg)});
    };
    std::vector<std::string> names;
    for (const auto& p : child.params) names.push_back(p.name);
    for (const auto& [k, l] : step.with_keys) {
        if (!child.find_param(k)) {
            err(l, with_suggestion(
                       "unknown param '" + k + "' in 'with' of workflow '" + *step.uses + "'", k,
                       names) +
                       (names.empty() ? "; it takes no params"
                                      : "; it accepts " + join_quoted(names, " and ")));
            continue;
        }
        const auto& v = step.with[k];
        if (v.is_object() || v.is_array())
            err(l, "param '" + k + "' of workflow '" + *step.uses + "' is given a " +
                       (v.is_object() ? "map" : "list") + "; params are strings");
    }
    for (const auto& p : child.params) {
        if (!p.required) continue;
        const bool set = std::any_of(step.with_keys.begin(), step.with_keys.end(),
                                     [&](const auto& wk) { return wk.first == p.name; });
        if (!set)
            err(step.uses_loc,
                "workflow '" + *step.uses + "' needs param '" + p.name + "' in 'with'");
    }
}

Workflow load_at(const std::string& path, std::vector<CallSite>& stack);

// Load the workflow each call step of `w` calls, with `stack` the calls
// that led to `w`.
void load_calls(Workflow& w, std::vector<CallSite>& stack) {
    const auto& wf = *w.loaded.workflow;
    auto& diags = w.loaded.diagnostics;
    w.calls.assign(wf.steps.size(), nullptr);
    const std::string self = normalized(w.loaded.file);
    for (std::size_t s = 0; s < wf.steps.size(); ++s) {
        const auto& step = wf.steps[s];
        if (!step.calls()) continue;
        const std::string key = normalized(*step.uses);
        auto err = [&](std::string msg) {
            diags.push_back({Severity::error, step.uses_loc, std::move(msg)});
        };
        stack.push_back({self, w.loaded.file, step.uses_loc});
        auto first = std::find_if(stack.begin(), stack.end(),
                                  [&](const CallSite& c) { return c.key == key; });
        if (first != stack.end()) {
            std::string cycle = "call cycle: ";
            for (auto c = first; c != stack.end(); ++c)
                cycle += where(c->file, c->uses) + " \u2192 ";
            err(cycle + first->file);
        } else if (static_cast<int>(stack.size()) > model::k_max_call_depth) {
            err("calls nest more than " + std::to_string(model::k_max_call_depth) + " deep here (" +
                *step.uses + ")");
        } else {
            auto child = std::make_shared<Workflow>(load_at(*step.uses, stack));
            for (const auto& d : child->loaded.diagnostics) {
                if (d.severity != Severity::error) continue;
                // A cycle is printed once, as its whole path.
                if (starts_with(d.message, "call cycle: ")) {
                    err(d.message);
                    continue;
                }
                err((d.loc.line > 0 ? where(child->loaded.file, d.loc) : child->loaded.file) +
                    ": " + d.message);
            }
            if (child->loaded.workflow) check_with(step, *child->loaded.workflow, diags);
            w.calls[s] = std::move(child);
        }
        stack.pop_back();
    }
}

Workflow load_at(const std::string& path, std::vector<CallSite>& stack) {
    Workflow w{load_file(path), std::nullopt, {}};
    // Plugins are looked up (and asked to describe themselves) only here,
    // not in check(): unit tests and fuzzers check workflows without them.
    if (w.loaded.workflow) {
        plugin::check_workflow(*w.loaded.workflow, w.loaded.diagnostics);
        load_calls(w, stack);
    }
    w.graph = check(w.loaded);
    return w;
}

}  // namespace

Workflow load_workflow(const std::string& path) {
    std::vector<CallSite> stack;
    return load_at(path, stack);
}

}  // namespace weft::parse
