// The loader's walk of `steps` (each step and its parts) and `defaults`.
#include <functional>

#include "weft/parse/walker.hpp"

namespace weft::parse {

void Walker::check_shell(const YamlNode& n, const std::string& shell) {
    if (shell != "bash" && shell != "sh" && shell.find("{0}") == std::string::npos)
        error(n, "invalid shell '" + shell +
                     "': expected 'bash', 'sh' or a command with {0} for the script file");
}

std::optional<model::RunsOn> Walker::runs_on(const YamlNode& n) {
    return enumeration<model::RunsOn>(
        n, "runs-on", {{"local", model::RunsOn::local}, {"slurm", model::RunsOn::slurm}});
}

model::SlurmOptions Walker::slurm(const YamlNode& n) {
    model::SlurmOptions s;
    if (!expect(n, YAML::NodeType::Map, "'slurm'")) return s;
    keys(n, known_keys("slurm"), "'slurm'",
         [&](const std::string& k, const YamlNode&, const YamlNode& v) {
             if (k == "partition")
                 s.partition = scalar(v, "'partition'").value_or("");
             else if (k == "cpus") {
                 if (auto c = integer(v, "'cpus'", 1, 1'000'000)) s.cpus = static_cast<int>(*c);
             } else if (k == "mem")
                 s.mem = scalar(v, "'mem'").value_or("");
             else if (k == "time")
                 s.time = duration(v, "'time'");
             else if (k == "gres")
                 s.gres = scalar(v, "'gres'").value_or("");
             else if (k == "account")
                 s.account = scalar(v, "'account'").value_or("");
             else if (k == "extra-args")
                 s.extra_args = string_list(v, "'extra-args'", true);
         });
    return s;
}

std::optional<std::string> Walker::timeout_text(const YamlNode& n, const std::string& what) {
    auto t = scalar(n, what);
    if (!t) return std::nullopt;
    if (t->find("${{") != std::string::npos) {
        expressions(n, *t);
    } else if (auto d = parse_duration(*t); !d) {
        error(n, d.error().message);
        return std::nullopt;
    }
    return t;
}

void Walker::defaults(const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Map, "'defaults'")) return;
    auto& d = m_wf.defaults;
    keys(n, known_keys("defaults"), "'defaults'",
         [&](const std::string& k, const YamlNode&, const YamlNode& v) {
             if (k == "shell") {
                 if (auto s = scalar(v, "'shell'")) {
                     check_shell(v, *s);
                     d.shell = *s;
                 }
             } else if (k == "timeout")
                 d.timeout = timeout_text(v, "'timeout'");
             else if (k == "kill-grace")
                 d.kill_grace = duration(v, "'kill-grace'").value_or(d.kill_grace);
             else if (k == "working-directory") {
                 if (auto s = scalar(v, "'working-directory'")) {
                     expressions(v, *s);
                     d.working_directory = *s;
                 }
             } else if (k == "runs-on")
                 d.runs_on = runs_on(v).value_or(d.runs_on);
             else if (k == "slurm")
                 d.slurm = slurm(v);
         });
}

model::Matrix Walker::matrix(const YamlNode& n, const std::string& where) {
    model::Matrix m;
    m.loc = loc(n);
    // A dynamic matrix: the whole of it, or an axis's list, is decided when
    // the step is ready (SPEC §9.1).
    auto dynamic = [&](const YamlNode& v) -> std::optional<std::string> {
        if (!v.IsScalar() || v.Scalar().find("${{") == std::string::npos) return std::nullopt;
        expressions(v, v.Scalar());
        return v.Scalar();
    };
    if ((m.expr = dynamic(n))) return m;
    if (!expect(n, YAML::NodeType::Map, "'matrix' in " + where)) return m;
    any_keys(n, "'matrix'", [&](const std::string& k, const YamlNode& kn, const YamlNode& v) {
        if (k == "include" || k == "exclude") {
            if (!expect(v, YAML::NodeType::Sequence, "'matrix." + k + "'")) return;
            for (const auto& item : v) {
                if (!expect(item, YAML::NodeType::Map, "an item of 'matrix." + k + "'")) continue;
                (k == "include" ? m.include : m.exclude).push_back(to_json(item));
            }
            return;
        }
        if (!is_identifier(k, true)) {
            error(kn, "invalid matrix key '" + k + "'");
            return;
        }
        if (auto e = dynamic(v)) {
            m.axis_exprs[k] = *e;
            m.axes.emplace_back(k, std::vector<Json>{});
            return;
        }
        if (!expect(v, YAML::NodeType::Sequence, "matrix axis '" + k + "'")) return;
        std::vector<Json> values;
        for (const auto& item : v) values.push_back(to_json(item));
        if (values.empty()) error(v, "matrix axis '" + k + "' is empty");
        m.axes.emplace_back(k, std::move(values));
    });
    if (m.axes.empty() && m.include.empty())
        error(n, "'matrix' in " + where + " has no axes and no 'include'");
    if (model::matrix_size(m) > model::k_max_matrix_instances)
        error(n, "'matrix' in " + where + " expands to more than " +
                     std::to_string(model::k_max_matrix_instances) + " instances");
    return m;
}

model::Retry Walker::retry(const YamlNode& n, const std::string& where) {
    model::Retry r;
    if (n.IsScalar()) {  // `retry: 3` as shorthand for attempts
        if (auto a = integer(n, "'retry' in " + where, 1, 1000)) r.attempts = static_cast<int>(*a);
        return r;
    }
    if (!expect(n, YAML::NodeType::Map, "'retry' in " + where)) return r;
    keys(n, known_keys("retry"), "'retry'",
         [&](const std::string& k, const YamlNode&, const YamlNode& v) {
             if (k == "attempts") {
                 if (auto a = integer(v, "'attempts'", 1, 1000)) r.attempts = static_cast<int>(*a);
             } else if (k == "delay")
                 r.delay = duration(v, "'delay'").value_or(r.delay);
             else if (k == "backoff")
                 r.backoff = number(v, "'backoff'", 1.0).value_or(r.backoff);
             else if (k == "max-delay")
                 r.max_delay = duration(v, "'max-delay'");
         });
    return r;
}

model::Step Walker::step(const std::string& id, const YamlNode& key, const YamlNode& n) {
    model::Step s;
    s.id = id;
    s.loc = loc(key);
    const std::string where = "step '" + id + "'";
    if (!expect(n, YAML::NodeType::Map, where)) return s;
    YamlNode uses_node;
    bool has_run = false, has_uses = false;
    keys(n, known_keys("step"), where,
         [&](const std::string& k, const YamlNode&, const YamlNode& v) {
             if (k == "needs") {
                 needs(s, v, where);
             } else if (k == "run") {
                 has_run = true;
                 if ((s.run = scalar(v, "'run' in " + where))) expressions(v, *s.run);
             } else if (k == "uses") {
                 uses_node = v;
                 has_uses = true;
                 s.uses = scalar(v, "'uses' in " + where);
                 s.uses_loc = loc(v);
                 if (s.uses && !is_identifier(*s.uses, true) && !model::is_workflow_path(*s.uses))
                     error(v, "invalid plugin name '" + *s.uses +
                                  "'; a workflow to call is a path starting './', '../' or '/' "
                                  "and ending '.yaml' or '.yml'");
             } else if (k == "with") {
                 with(s, v, where);
             } else if (k == "if") {
                 if (auto c = scalar(v, "'if' in " + where)) {
                     s.if_cond = *c;
                     s.if_loc = loc(v);
                     expressions(v, *c, true);
                 }
             } else if (k == "env") {
                 s.env = env(v, "'env' of " + where);
             } else if (k == "shell") {
                 if ((s.shell = scalar(v, "'shell'"))) check_shell(v, *s.shell);
             } else if (k == "working-directory") {
                 if ((s.working_directory = scalar(v, "'working-directory'")))
                     expressions(v, *s.working_directory);
             } else if (k == "timeout") {
                 s.timeout = timeout_text(v, "'timeout'");
             } else if (k == "kill-grace") {
                 s.kill_grace = duration(v, "'kill-grace'");
             } else if (k == "runs-on") {
                 s.runs_on = runs_on(v);
             } else if (k == "slurm") {
                 s.slurm = slurm(v);
             } else if (k == "matrix") {
                 s.matrix = matrix(v, where);
             } else if (k == "retry") {
                 s.retry = retry(v, where);
             } else if (k == "continue-on-error") {
                 s.continue_on_error = boolean(v, "'continue-on-error'").value_or(false);
             } else if (k == "sources" || k == "generates") {
                 (k == "sources" ? s.sources : s.generates) = string_list(v, "'" + k + "'", true);
                 // Rendered before fingerprinting (SPEC §9.1).
                 if (v.IsScalar()) expressions(v, v.Scalar());
                 if (v.IsSequence())
                     for (const auto& item : v)
                         if (item.IsScalar()) expressions(item, item.Scalar());
             }
         });
    if (s.run && s.uses)
        error(uses_node, where + " has both 'run' and 'uses'; a step has exactly one");
    else if (!has_run && !has_uses)
        error(key, where + " needs 'run' (a script) or 'uses' (a plugin)");
    if (s.uses && s.shell) error(key, where + " sets 'shell' but runs a plugin ('uses')");
    return s;
}

void Walker::steps(const YamlNode& n, bool finally) {
    const std::string what = finally ? "'finally'" : "'steps'";
    if (!expect(n, YAML::NodeType::Map, what)) return;
    const std::size_t first = m_wf.steps.size();
    m_wf.steps.reserve(first + n.size());
    any_keys(n, what, [&](const std::string& id, const YamlNode& kn, const YamlNode& v) {
        if (!is_identifier(id, true)) {
            error(kn, "invalid step id '" + id +
                          "': use letters, digits, '_' and '-', not starting with a digit or '-'");
        }
        // `any_keys` finds a repeat within one map; a finally step's id
        // must not repeat one of `steps` either.
        if (finally && m_wf.find_step(id))
            error(kn, "step '" + id + "' is defined in both 'steps' and 'finally'");
        m_step = static_cast<int>(m_wf.steps.size());
        m_wf.steps.push_back(step(id, kn, v));
        m_wf.steps.back().finally = finally;
        m_step = -1;
    });
    if (m_wf.steps.size() == first)
        error(n, what + " is empty; " +
                     (finally ? "remove it or add a step" : "a workflow needs at least one step"));
}

void Walker::needs(model::Step& s, const YamlNode& n, const std::string& where) {
    if (n.IsScalar()) {
        s.needs.push_back(n.Scalar());
        s.needs_loc.push_back(loc(n));
    } else if (expect(n, YAML::NodeType::Sequence, "'needs' in " + where)) {
        for (const auto& item : n)
            if (auto x = scalar(item, "an item of 'needs'")) {
                s.needs.push_back(*x);
                s.needs_loc.push_back(loc(item));
            }
    }
}

void Walker::with(model::Step& s, const YamlNode& n, const std::string& where) {
    if (!expect(n, YAML::NodeType::Map, "'with' in " + where)) return;
    s.with = to_json(n);
    for (auto it = n.begin(); it != n.end(); ++it)
        if (it->first.IsScalar()) s.with_keys.emplace_back(it->first.Scalar(), loc(it->first));
    // Expressions may stand in any string of `with`, however deep.
    std::function<void(const YamlNode&)> walk = [&](const YamlNode& x) {
        if (!visit(x)) return;
        if (x.IsScalar())
            expressions(x, x.Scalar());
        else if (x.IsMap())
            for (auto it = x.begin(); it != x.end(); ++it) walk(it->second);
        else if (x.IsSequence())
            for (const auto& i : x) walk(i);
    };
    walk(n);
}

}  // namespace weft::parse
