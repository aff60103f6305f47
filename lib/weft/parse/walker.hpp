#pragma once
// The loader's walk of a YAML tree into a model::Workflow: internal to
// `parse` (loader.hpp is the module's interface). The templates that read
// maps are defined here because every part of the walk uses them.
#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "weft/model/workflow.hpp"
#include "weft/parse/loader.hpp"
#include "weft/parse/yaml_tree.hpp"
#include "weft/util/duration.hpp"
#include "weft/util/strings.hpp"

namespace weft::parse {

using model::Json;

// A step id, param name, matrix key or plugin name (`allow_dash`), or an
// environment variable name: a letter or '_', then letters, digits, '_'.
bool is_identifier(std::string_view s, bool allow_dash);
// "a map", "a list", "a scalar", "nothing": what `n` is, for messages.
const char* type_name(const YamlNode& n);

// Walks one YAML document into a Workflow, collecting diagnostics. Its
// members are defined by concern: walker.cpp (values: scalars, numbers,
// lists, JSON, expressions, env), loader.cpp (the top level and params),
// load_steps.cpp (steps and their parts, defaults), load_triggers.cpp (`on`).
class Walker {
  public:
    Walker(Loaded& out) : m_out(out) {
        // A legitimate file yields at most a few nodes per source byte; a file
        // whose aliases expand far beyond that is an alias bomb.
        m_visit_budget = 4 * out.source.size() + 100'000;
    }

    void workflow(const YamlNode& root);

  private:
    Loaded& m_out;
    model::Workflow m_wf;
    std::size_t m_visit_budget;
    std::size_t m_visits = 0;
    bool m_bomb_reported = false;
    int m_step = -1;  // index of the step being walked, for ExprRef

    Location loc(const YamlNode& n) const {
        const YAML::Mark m = n.Mark();
        if (m.line < 0) return {};
        return {m.line + 1, m.column + 1};
    }
    void error(const YamlNode& n, std::string msg) { error(loc(n), std::move(msg)); }
    void error(Location l, std::string msg) {
        m_out.diagnostics.push_back({Severity::error, l, std::move(msg)});
    }
    void warning(const YamlNode& n, std::string msg) {
        m_out.diagnostics.push_back({Severity::warning, loc(n), std::move(msg)});
    }

    bool visit(const YamlNode& n) {
        if (++m_visits <= m_visit_budget) return true;
        if (!m_bomb_reported) {
            m_bomb_reported = true;
            error(n, "aliases expand to more than " + std::to_string(m_visit_budget) +
                         " nodes; refusing to expand further (an alias bomb?)");
        }
        return false;
    }

    // Iterate the keys of map `node`, reporting duplicates, merge keys and
    // keys not in `allowed` ("unknown key 'x' in WHERE (did you mean ...)").
    // `fn` is called as fn(const std::string& key, const YamlNode& key_node,
    // const YamlNode& value); a template, not std::function, which allocated
    // per map.
    template <class Fn>
    void keys(const YamlNode& node, const std::vector<std::string>& allowed,
              const std::string& where, const Fn& fn);
    // Iterate any map (keys are user data such as env names or step ids).
    template <class Fn>
    void any_keys(const YamlNode& node, const std::string& where, const Fn& fn);
    bool expect(const YamlNode& n, YAML::NodeType::value type, const std::string& what);

    std::optional<std::string> scalar(const YamlNode& n, const std::string& what);
    std::optional<bool> boolean(const YamlNode& n, const std::string& what);
    std::optional<long long> integer(const YamlNode& n, const std::string& what, long long min,
                                     long long max);
    std::optional<double> number(const YamlNode& n, const std::string& what, double min);
    std::optional<Duration> duration(const YamlNode& n, const std::string& what);
    std::vector<std::string> string_list(const YamlNode& n, const std::string& what,
                                         bool allow_single);
    template <class E>
    std::optional<E> enumeration(const YamlNode& n, const std::string& what,
                                 const std::vector<std::pair<std::string, E>>& values);
    Json to_json(const YamlNode& n);

    // Check `${{ }}` syntax in a field's text and record its context reads.
    void expressions(const YamlNode& n, const std::string& text, bool is_condition = false);
    Location locate_in_scalar(const YamlNode& n, const std::string& text, std::size_t offset) const;

    model::EnvList env(const YamlNode& n, const std::string& where);

    // The top level.
    std::string default_name() const;
    void concurrency(const YamlNode& n);
    void retention(const YamlNode& n);
    void outputs(const YamlNode& n);
    void params(const YamlNode& n);

    // `on`, by trigger.
    void triggers(const YamlNode& n);
    void file_trigger(const YamlNode& key, const YamlNode& n);
    void schedule(const YamlNode& n);
    void schedule_entry(const YamlNode& n);
    void stdin_trigger(const YamlNode& n);
    void stdin_max_record(const YamlNode& n);
    void workflow_trigger(const YamlNode& key, const YamlNode& n);
    void trigger_filter(const YamlNode& n, std::optional<std::string>& cond, Location& where);
    void stdin_match(const YamlNode& n);

    // Steps.
    void check_shell(const YamlNode& n, const std::string& shell);
    void defaults(const YamlNode& n);
    model::SlurmOptions slurm(const YamlNode& n);
    std::optional<model::RunsOn> runs_on(const YamlNode& n);
    // `steps`, or `finally` (after `steps`: a finally step only follows).
    void steps(const YamlNode& n, bool finally = false);
    model::Step step(const std::string& id, const YamlNode& key, const YamlNode& n);
    void needs(model::Step& s, const YamlNode& n, const std::string& where);
    void with(model::Step& s, const YamlNode& n, const std::string& where);
    model::Matrix matrix(const YamlNode& n, const std::string& where);
    model::Retry retry(const YamlNode& n, const std::string& where);
    std::optional<std::string> timeout_text(const YamlNode& n, const std::string& what);
};

template <class Fn>
void Walker::keys(const YamlNode& node, const std::vector<std::string>& allowed,
                  const std::string& where, const Fn& fn) {
    any_keys(node, where, [&](const std::string& key, const YamlNode& k, const YamlNode& v) {
        if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
            error(k, with_suggestion(
                         "unknown key '" + key + "'" + (where.empty() ? "" : " in " + where), key,
                         allowed));
            return;
        }
        fn(key, k, v);
    });
}

template <class Fn>
void Walker::any_keys(const YamlNode& node, const std::string& where, const Fn& fn) {
    // A key is a duplicate if an earlier scalar key other than a merge key
    // has its text. Small maps (most of them) compare with the earlier keys;
    // larger ones keep a hash set of them. Keys point into the tree, which
    // outlives this walk.
    auto counts = [](const YamlNode& k) {
        return k.IsScalar() && !(k.Scalar() == "<<" && k.Tag() == "?");
    };
    const bool small = node.size() <= 16;
    std::unordered_set<std::string_view> seen;
    const auto first = node.begin();
    for (auto it = first; it != node.end(); ++it) {
        const YamlEntry e = *it;
        if (!visit(e.first)) return;
        if (!e.first.IsScalar()) {
            error(e.first, "expected a string as key" + (where.empty() ? "" : " in " + where) +
                               ", got " + type_name(e.first));
            continue;
        }
        const std::string& key = e.first.Scalar();
        if (key == "<<" && e.first.Tag() == "?") {
            error(
                e.first,
                "merge keys ('<<') are not supported; write the keys out, or alias the whole map");
            continue;
        }
        bool duplicate = false;
        if (small) {
            for (auto j = first; j != it && !duplicate; ++j) {
                const YamlNode earlier = (*j).first;
                duplicate = counts(earlier) && earlier.Scalar() == key;
            }
        } else {
            duplicate = !seen.insert(key).second;
        }
        if (duplicate) {
            error(e.first, "duplicate key '" + key + "'" + (where.empty() ? "" : " in " + where));
            continue;
        }
        fn(key, e.first, e.second);
    }
}

template <class E>
std::optional<E> Walker::enumeration(const YamlNode& n, const std::string& what,
                                     const std::vector<std::pair<std::string, E>>& values) {
    auto text = scalar(n, what);
    if (!text) return std::nullopt;
    std::vector<std::string> names;
    for (const auto& [name, value] : values) {
        if (name == *text) return value;
        names.push_back(name);
    }
    error(n, "invalid " + what + " '" + *text + "': expected " + join_quoted(names));
    return std::nullopt;
}

}  // namespace weft::parse
