#include "weft/parse/loader.hpp"

#include <sys/stat.h>

#include <yaml-cpp/exceptions.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>

#include "weft/cron/cron.hpp"
#include "weft/expr/expr.hpp"
#include "weft/parse/source_scan.hpp"
#include "weft/parse/yaml_tree.hpp"
#include "weft/util/strings.hpp"

namespace weft::parse {

const std::vector<std::string>& known_keys(std::string_view section) {
    static const std::map<std::string, std::vector<std::string>, std::less<>> k_keys = {
        {"workflow",
         {"name", "description", "on", "env", "params", "defaults", "concurrency", "max-parallel",
          "fail-fast", "timeout", "catchup", "retention", "steps"}},
        {"step",
         {"needs", "run", "uses", "with", "if", "env", "shell", "working-directory", "timeout",
          "kill-grace", "runs-on", "slurm", "matrix", "retry", "continue-on-error", "sources",
          "generates"}},
        {"on", {"file", "schedule", "stdin", "workflow"}},
        {"file", {"paths", "ignore", "gitignore", "events", "debounce"}},
        {"schedule", {"cron", "timezone", "every"}},
        {"stdin", {"format"}},
        {"workflow-trigger", {"names", "status"}},
        {"param", {"default", "required", "description", "secret"}},
        {"slurm", {"partition", "cpus", "mem", "time", "gres", "account", "extra-args"}},
        {"defaults", {"shell", "timeout", "kill-grace", "working-directory", "runs-on", "slurm"}},
        {"retry", {"attempts", "delay", "backoff", "max-delay"}},
        {"concurrency", {"limit", "on-busy", "max-queued"}},
        {"retention", {"runs", "days"}},
    };
    static const std::vector<std::string> k_none;
    auto it = k_keys.find(section);
    return it == k_keys.end() ? k_none : it->second;
}

namespace {

using model::Json;

bool is_identifier(std::string_view s, bool allow_dash) {
    if (s.empty()) return false;
    auto head = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    if (!head(s[0])) return false;
    for (char c : s.substr(1))
        if (!head(c) && !(c >= '0' && c <= '9') && !(allow_dash && c == '-')) return false;
    return true;
}

std::string format_number(double x) {
    std::ostringstream ss;
    ss << x;
    return ss.str();
}

const char* type_name(const YamlNode& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Scalar:
            return "a scalar";
        case YAML::NodeType::Null:
            return "nothing";
        default:
            return "an undefined value";
    }
}

// Walks one YAML document into a Workflow, collecting diagnostics.
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
    void triggers(const YamlNode& n);
    void params(const YamlNode& n);
    void defaults(const YamlNode& n);
    model::SlurmOptions slurm(const YamlNode& n);
    std::optional<model::RunsOn> runs_on(const YamlNode& n);
    void steps(const YamlNode& n);
    model::Step step(const std::string& id, const YamlNode& key, const YamlNode& n);
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

bool Walker::expect(const YamlNode& n, YAML::NodeType::value type, const std::string& what) {
    if (n.Type() == type) return true;
    const char* want = type == YAML::NodeType::Map        ? "a map"
                       : type == YAML::NodeType::Sequence ? "a list"
                                                          : "a scalar";
    error(n, "expected " + std::string(want) + " for " + what + ", got " + type_name(n));
    return false;
}

std::optional<std::string> Walker::scalar(const YamlNode& n, const std::string& what) {
    if (!n.IsScalar()) {
        error(n, "expected a string for " + what + ", got " + type_name(n));
        return std::nullopt;
    }
    return n.Scalar();
}

std::optional<bool> Walker::boolean(const YamlNode& n, const std::string& what) {
    if (n.IsScalar()) {
        const std::string v = n.Scalar();
        if (v == "true" || v == "True" || v == "TRUE") return true;
        if (v == "false" || v == "False" || v == "FALSE") return false;
    }
    error(n, "expected true or false for " + what + ", got " +
                 (n.IsScalar() ? "'" + n.Scalar() + "'" : std::string(type_name(n))));
    return std::nullopt;
}

std::optional<long long> Walker::integer(const YamlNode& n, const std::string& what, long long min,
                                         long long max) {
    if (n.IsScalar()) {
        const std::string v = n.Scalar();
        char* end = nullptr;
        errno = 0;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        if (!v.empty() && *end == '\0' && errno == 0 &&
            v.find_first_of(" \t") == std::string::npos) {
            if (x < min || x > max) {
                error(n, what + " must be between " + std::to_string(min) + " and " +
                             std::to_string(max) + ", got " + v);
                return std::nullopt;
            }
            return x;
        }
    }
    error(n, "expected a whole number for " + what + ", got " +
                 (n.IsScalar() ? "'" + n.Scalar() + "'" : std::string(type_name(n))));
    return std::nullopt;
}

std::optional<double> Walker::number(const YamlNode& n, const std::string& what, double min) {
    if (n.IsScalar()) {
        const std::string v = n.Scalar();
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (!v.empty() && *end == '\0') {
            if (!(x >= min)) {
                error(n, what + " must be at least " + format_number(min) + ", got " + v);
                return std::nullopt;
            }
            return x;
        }
    }
    error(n, "expected a number for " + what + ", got " +
                 (n.IsScalar() ? "'" + n.Scalar() + "'" : std::string(type_name(n))));
    return std::nullopt;
}

std::optional<Duration> Walker::duration(const YamlNode& n, const std::string& what) {
    auto text = scalar(n, what);
    if (!text) return std::nullopt;
    auto d = parse_duration(*text);
    if (!d) {
        error(n, d.error().message);
        return std::nullopt;
    }
    return *d;
}

std::vector<std::string> Walker::string_list(const YamlNode& n, const std::string& what,
                                             bool allow_single) {
    std::vector<std::string> out;
    if (allow_single && n.IsScalar()) {
        if (auto s = scalar(n, what)) out.push_back(*s);
        return out;
    }
    if (!n.IsSequence()) {
        error(n, "expected a list for " + what + ", got " + type_name(n));
        return out;
    }
    for (const auto& item : n) {
        if (!visit(item)) break;
        if (auto s = scalar(item, "an item of " + what)) out.push_back(*s);
    }
    return out;
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

Json Walker::to_json(const YamlNode& n) {
    if (!visit(n)) return nullptr;
    switch (n.Type()) {
        case YAML::NodeType::Map: {
            Json obj = Json::object();
            any_keys(n, "", [&](const std::string& k, const YamlNode&, const YamlNode& v) {
                obj[k] = to_json(v);
            });
            return obj;
        }
        case YAML::NodeType::Sequence: {
            Json arr = Json::array();
            for (const auto& item : n) arr.push_back(to_json(item));
            return arr;
        }
        case YAML::NodeType::Scalar: {
            const std::string& s = n.Scalar();
            if (n.Tag() == "?") {  // plain scalars carry YAML's core types
                if (s == "true") return true;
                if (s == "false") return false;
                if (s == "null" || s == "~") return nullptr;
                char* end = nullptr;
                errno = 0;
                const long long i = std::strtoll(s.c_str(), &end, 10);
                if (!s.empty() && *end == '\0' && errno == 0) return i;
                const double d = std::strtod(s.c_str(), &end);
                if (!s.empty() && *end == '\0' &&
                    s.find_first_of("0123456789") != std::string::npos)
                    return d;
            }
            return s;
        }
        default:
            return nullptr;
    }
}

Location Walker::locate_in_scalar(const YamlNode& n, const std::string& text,
                                  std::size_t offset) const {
    // Line/column of byte `offset` of a scalar's value. Quoting and folding
    // change the text between source and value, so find the `${{` the offset
    // belongs to in the source and count from there.
    const Location base = loc(n);
    const YAML::Mark m = n.Mark();
    if (m.pos < 0 || offset > text.size()) return base;
    std::size_t nth = 0, start = 0;
    for (std::size_t p = text.find("${{"); p != std::string::npos && p <= offset;
         p = text.find("${{", p + 3)) {
        ++nth;
        start = p;
    }
    if (nth == 0) return base;
    const std::string& src = m_out.source;
    std::size_t at = static_cast<std::size_t>(m.pos);
    for (std::size_t i = 0; i < nth; ++i) {
        at = src.find("${{", i == 0 ? at : at + 3);
        if (at == std::string::npos) return base;
    }
    at += offset - start;
    if (at > src.size()) return base;
    int line = 1, col = 1;
    for (std::size_t i = 0; i < at; ++i) {
        if (src[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return {line, col};
}

void Walker::expressions(const YamlNode& n, const std::string& text, bool is_condition) {
    if (!is_condition && text.find("${{") == std::string::npos) return;
    std::vector<expr::Expr> exprs;
    if (is_condition) {
        auto e = expr::parse_condition(text);
        if (!e) {
            error(locate_in_scalar(n, text, e.error().offset == Error::npos ? 0 : e.error().offset),
                  e.error().message);
            return;
        }
        exprs.push_back(*e);
    } else {
        auto t = expr::parse_template(text);
        if (!t) {
            error(locate_in_scalar(n, text, t.error().offset == Error::npos ? 0 : t.error().offset),
                  t.error().message);
            return;
        }
        for (const auto& part : t->parts)
            if (part.expr) exprs.push_back(*part.expr);
    }
    for (const auto& e : exprs)
        for (auto& r : expr::references(e))
            m_out.refs.push_back({m_step, r.path, locate_in_scalar(n, text, e.offset + r.offset)});
}

model::EnvList Walker::env(const YamlNode& n, const std::string& where) {
    model::EnvList out;
    if (!expect(n, YAML::NodeType::Map, where)) return out;
    any_keys(n, where, [&](const std::string& k, const YamlNode& kn, const YamlNode& v) {
        if (!is_identifier(k, false)) {
            error(kn, "invalid environment variable name '" + k + "'");
            return;
        }
        if (auto s = scalar(v, "'" + k + "' in " + where)) {
            expressions(v, *s);
            out.emplace_back(k, *s);
        }
    });
    return out;
}

void Walker::triggers(const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Map, "'on'")) return;
    keys(n, known_keys("on"), "'on'",
         [&](const std::string& key, const YamlNode& key_node, const YamlNode& v) {
             if (key == "file") {
                 if (!expect(v, YAML::NodeType::Map, "the file trigger")) return;
                 model::FileTrigger ft;
                 keys(v, known_keys("file"), "the file trigger",
                      [&](const std::string& k, const YamlNode&, const YamlNode& fv) {
                          if (k == "paths")
                              ft.paths = string_list(fv, "'paths'", true);
                          else if (k == "ignore")
                              ft.ignore = string_list(fv, "'ignore'", true);
                          else if (k == "gitignore")
                              ft.gitignore = boolean(fv, "'gitignore'").value_or(true);
                          else if (k == "debounce")
                              ft.debounce = duration(fv, "'debounce'").value_or(ft.debounce);
                          else if (k == "events") {
                              ft.events.clear();
                              if (!expect(fv, YAML::NodeType::Sequence, "'events'")) return;
                              for (const auto& e : fv)
                                  if (auto ev = enumeration<model::FileEvent>(
                                          e, "file event",
                                          {{"create", model::FileEvent::create},
                                           {"modify", model::FileEvent::modify},
                                           {"delete", model::FileEvent::remove},
                                           {"move", model::FileEvent::move}}))
                                      ft.events.push_back(*ev);
                          }
                      });
                 if (ft.paths.empty())
                     error(key_node, "the file trigger needs 'paths' (a list of globs)");
                 m_wf.on.file = ft;
             } else if (key == "schedule") {
                 if (!expect(v, YAML::NodeType::Sequence, "'schedule'")) return;
                 for (const auto& item : v) {
                     if (!expect(item, YAML::NodeType::Map, "a schedule entry")) continue;
                     model::ScheduleEntry se;
                     se.loc = loc(item);
                     YamlNode cron_node;
                     bool has_cron = false, has_every = false;  // the keys, even with bad values
                     keys(item, known_keys("schedule"), "a schedule entry",
                          [&](const std::string& k, const YamlNode&, const YamlNode& sv) {
                              if (k == "cron") {
                                  has_cron = true;
                                  se.cron = scalar(sv, "'cron'");
                                  cron_node = sv;
                              } else if (k == "timezone") {
                                  if (auto tz = scalar(sv, "'timezone'")) {
                                      if (auto z = cron::find_zone(*tz); !z)
                                          error(sv, z.error().message);
                                      se.timezone = *tz;
                                  }
                              } else if (k == "every") {
                                  has_every = true;
                                  se.every = duration(sv, "'every'");
                                  if (se.every && se.every->count() == 0)
                                      error(sv, "'every' must be longer than 0");
                              }
                          });
                     if (has_cron == has_every) {
                         error(item, "a schedule entry needs exactly one of 'cron' and 'every'");
                     } else if (se.cron) {
                         if (auto c = cron::parse(*se.cron); !c)
                             error(cron_node, "invalid cron expression '" + *se.cron +
                                                  "': " + c.error().message);
                     } else if (!se.timezone.empty()) {
                         error(item, "'timezone' applies to 'cron' entries only");
                     }
                     m_wf.on.schedule.push_back(se);
                 }
             } else if (key == "stdin") {
                 if (v.IsNull()) {
                     m_wf.on.stdin_format = model::StdinFormat::lines;
                     return;
                 }
                 if (!expect(v, YAML::NodeType::Map, "the stdin trigger")) return;
                 m_wf.on.stdin_format = model::StdinFormat::lines;
                 keys(v, known_keys("stdin"), "the stdin trigger",
                      [&](const std::string&, const YamlNode&, const YamlNode& fv) {
                          if (auto f = enumeration<model::StdinFormat>(
                                  fv, "stdin format",
                                  {{"lines", model::StdinFormat::lines},
                                   {"json", model::StdinFormat::json}}))
                              m_wf.on.stdin_format = *f;
                      });
             } else if (key == "workflow") {
                 if (!expect(v, YAML::NodeType::Map, "the workflow trigger")) return;
                 model::WorkflowTrigger wt;
                 keys(v, known_keys("workflow-trigger"), "the workflow trigger",
                      [&](const std::string& k, const YamlNode&, const YamlNode& wv) {
                          if (k == "names") {
                              wt.names = string_list(wv, "'names'", true);
                          } else {
                              wt.statuses.clear();
                              std::vector<YamlNode> items;
                              if (wv.IsScalar())
                                  items.push_back(wv);
                              else if (expect(wv, YAML::NodeType::Sequence, "'status'"))
                                  for (const auto& i : wv) items.push_back(i);
                              for (const auto& i : items)
                                  if (auto st = enumeration<model::RunStatus>(
                                          i, "run status",
                                          {{"success", model::RunStatus::success},
                                           {"failure", model::RunStatus::failure},
                                           {"cancelled", model::RunStatus::cancelled}}))
                                      wt.statuses.push_back(*st);
                          }
                      });
                 if (wt.names.empty())
                     error(key_node,
                           "the workflow trigger needs 'names' (the workflows to follow)");
                 m_wf.on.workflow = wt;
             }
         });
}

void Walker::params(const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Map, "'params'")) return;
    any_keys(n, "'params'", [&](const std::string& name, const YamlNode& kn, const YamlNode& v) {
        if (!is_identifier(name, true)) {
            error(kn, "invalid param name '" + name + "': use letters, digits, '_' and '-'");
            return;
        }
        model::Param p;
        p.name = name;
        if (!v.IsNull() && expect(v, YAML::NodeType::Map, "param '" + name + "'")) {
            keys(v, known_keys("param"), "param '" + name + "'",
                 [&](const std::string& k, const YamlNode&, const YamlNode& pv) {
                     if (k == "default")
                         p.default_value = scalar(pv, "'default'");
                     else if (k == "required")
                         p.required = boolean(pv, "'required'").value_or(false);
                     else if (k == "description")
                         p.description = scalar(pv, "'description'").value_or("");
                     else if (k == "secret")
                         p.secret = boolean(pv, "'secret'").value_or(false);
                 });
        }
        if (p.required && p.default_value)
            error(kn, "param '" + name + "' is required and has a default; drop one");
        m_wf.params.push_back(std::move(p));
    });
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
                     if (*s != "bash" && *s != "sh" && s->find("{0}") == std::string::npos)
                         error(v, "invalid shell '" + *s +
                                      "': expected 'bash', 'sh' or a command with {0} for the "
                                      "script file");
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
                 if (v.IsScalar()) {
                     s.needs.push_back(v.Scalar());
                     s.needs_loc.push_back(loc(v));
                 } else if (expect(v, YAML::NodeType::Sequence, "'needs' in " + where)) {
                     for (const auto& item : v)
                         if (auto x = scalar(item, "an item of 'needs'")) {
                             s.needs.push_back(*x);
                             s.needs_loc.push_back(loc(item));
                         }
                 }
             } else if (k == "run") {
                 has_run = true;
                 if ((s.run = scalar(v, "'run' in " + where))) expressions(v, *s.run);
             } else if (k == "uses") {
                 uses_node = v;
                 has_uses = true;
                 s.uses = scalar(v, "'uses' in " + where);
                 s.uses_loc = loc(v);
                 if (s.uses && !is_identifier(*s.uses, true))
                     error(v, "invalid plugin name '" + *s.uses + "'");
             } else if (k == "with") {
                 if (!expect(v, YAML::NodeType::Map, "'with' in " + where)) return;
                 s.with = to_json(v);
                 for (auto it = v.begin(); it != v.end(); ++it)
                     if (it->first.IsScalar())
                         s.with_keys.emplace_back(it->first.Scalar(), loc(it->first));
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
                 walk(v);
             } else if (k == "if") {
                 if (auto c = scalar(v, "'if' in " + where)) {
                     s.if_cond = *c;
                     s.if_loc = loc(v);
                     expressions(v, *c, true);
                 }
             } else if (k == "env") {
                 s.env = env(v, "'env' of " + where);
             } else if (k == "shell") {
                 if ((s.shell = scalar(v, "'shell'")) && *s.shell != "bash" && *s.shell != "sh" &&
                     s.shell->find("{0}") == std::string::npos)
                     error(
                         v,
                         "invalid shell '" + *s.shell +
                             "': expected 'bash', 'sh' or a command with {0} for the script file");
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
             } else if (k == "sources") {
                 s.sources = string_list(v, "'sources'", true);
             } else if (k == "generates") {
                 s.generates = string_list(v, "'generates'", true);
             }
         });
    if (s.run && s.uses)
        error(uses_node, where + " has both 'run' and 'uses'; a step has exactly one");
    else if (!has_run && !has_uses)
        error(key, where + " needs 'run' (a script) or 'uses' (a plugin)");
    if (s.uses && s.shell) error(key, where + " sets 'shell' but runs a plugin ('uses')");
    return s;
}

void Walker::steps(const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Map, "'steps'")) return;
    m_wf.steps.reserve(n.size());
    any_keys(n, "'steps'", [&](const std::string& id, const YamlNode& kn, const YamlNode& v) {
        if (!is_identifier(id, true)) {
            error(kn, "invalid step id '" + id +
                          "': use letters, digits, '_' and '-', not starting with a digit or '-'");
        }
        m_step = static_cast<int>(m_wf.steps.size());
        m_wf.steps.push_back(step(id, kn, v));
        m_step = -1;
    });
    if (m_wf.steps.empty()) error(n, "'steps' is empty; a workflow needs at least one step");
}

void Walker::workflow(const YamlNode& root) {
    m_wf.file = m_out.file;
    {
        // Default name: the file name without directory and extension.
        std::string base = m_out.file.substr(m_out.file.find_last_of('/') + 1);
        if (ends_with(base, ".yaml"))
            base.resize(base.size() - 5);
        else if (ends_with(base, ".yml"))
            base.resize(base.size() - 4);
        m_wf.name = base;
    }
    if (!root.IsMap()) {
        error(root, std::string("expected a map of workflow keys at the top level, got ") +
                        type_name(root));
        return;
    }
    bool have_steps = false;
    keys(root, known_keys("workflow"), "",
         [&](const std::string& k, const YamlNode&, const YamlNode& v) {
             if (k == "name") {
                 if (auto s = scalar(v, "'name'")) {
                     if (s->empty() || s->find_first_of("/\n\t ") != std::string::npos)
                         error(v, "invalid workflow name '" + *s + "': no spaces or slashes");
                     m_wf.name = *s;
                 }
             } else if (k == "description")
                 m_wf.description = scalar(v, "'description'").value_or("");
             else if (k == "on")
                 triggers(v);
             else if (k == "env")
                 m_wf.env = env(v, "'env'");
             else if (k == "params")
                 params(v);
             else if (k == "defaults")
                 defaults(v);
             else if (k == "concurrency") {
                 if (!expect(v, YAML::NodeType::Map, "'concurrency'")) return;
                 auto& c = m_wf.concurrency;
                 keys(v, known_keys("concurrency"), "'concurrency'",
                      [&](const std::string& ck, const YamlNode&, const YamlNode& cv) {
                          if (ck == "limit")
                              c.limit =
                                  static_cast<int>(integer(cv, "'limit'", 1, 100000).value_or(1));
                          else if (ck == "on-busy")
                              c.on_busy = enumeration<model::OnBusy>(
                                              cv, "on-busy",
                                              {{"queue", model::OnBusy::queue},
                                               {"skip", model::OnBusy::skip},
                                               {"cancel-running", model::OnBusy::cancel_running}})
                                              .value_or(c.on_busy);
                          else if (auto q = integer(cv, "'max-queued'", 0, 100'000'000))
                              c.max_queued = static_cast<int>(*q);
                      });
             } else if (k == "max-parallel") {
                 if (auto p = integer(v, "'max-parallel'", 1, 100000))
                     m_wf.max_parallel = static_cast<int>(*p);
             } else if (k == "fail-fast")
                 m_wf.fail_fast = boolean(v, "'fail-fast'").value_or(false);
             else if (k == "timeout")
                 m_wf.timeout = duration(v, "'timeout'");
             else if (k == "catchup")
                 m_wf.catchup = enumeration<model::Catchup>(v, "catchup",
                                                            {{"none", model::Catchup::none},
                                                             {"latest", model::Catchup::latest},
                                                             {"all", model::Catchup::all}})
                                    .value_or(m_wf.catchup);
             else if (k == "retention") {
                 if (!expect(v, YAML::NodeType::Map, "'retention'")) return;
                 keys(v, known_keys("retention"), "'retention'",
                      [&](const std::string& rk, const YamlNode&, const YamlNode& rv) {
                          if (rk == "runs")
                              m_wf.retention.runs = static_cast<int>(
                                  integer(rv, "'runs'", 1, 100'000'000).value_or(500));
                          else
                              m_wf.retention.days = static_cast<int>(
                                  integer(rv, "'days'", 1, 1'000'000).value_or(90));
                      });
             } else if (k == "steps") {
                 have_steps = true;
                 steps(v);
             }
         });
    if (!have_steps) error(Location{1, 1}, "missing 'steps': a workflow needs at least one step");
    m_out.workflow = std::move(m_wf);
}

}  // namespace

Loaded load_string(std::string source, std::string file) {
    Loaded out;
    out.file = std::move(file);
    out.source = std::move(source);
    // yaml-cpp skips a UTF-8 byte order mark and counts its marks from after
    // it; without it here too, the marks index `source`.
    if (starts_with(out.source, "\xEF\xBB\xBF")) out.source.erase(0, 3);
    if (out.source.find_first_not_of(" \t\r\n") == std::string::npos) {
        out.diagnostics.push_back({Severity::error, {1, 1}, "the workflow file is empty"});
        return out;
    }
    // yaml-cpp reports a NUL as an "unknown escape character" a column or
    // two past it, and turns bytes that are not UTF-8 into U+FFFD without a
    // word (so the script would run with other bytes than the file's).
    if (auto bad = encoding_error(out.source)) {
        out.diagnostics.push_back(std::move(*bad));
        return out;
    }
    std::optional<YamlTree> tree;
    try {
        tree.emplace(out.source);
    } catch (const YamlDiagnosis& e) {
        out.diagnostics.push_back({Severity::error, {e.mark.line + 1, e.mark.column + 1}, e.msg});
        return out;
    } catch (const YAML::Exception& e) {
        Location l{e.mark.line + 1, e.mark.column + 1};
        if (e.mark.line < 0) l = {1, 1};
        out.diagnostics.push_back({Severity::error, l, "YAML syntax error: " + e.msg});
        return out;
    }
    if (tree->documents() == 0 || tree->root(0).IsNull()) {
        out.diagnostics.push_back({Severity::error, {1, 1}, "the workflow file is empty"});
        return out;
    }
    if (tree->documents() > 1) {
        const YAML::Mark m = tree->root(1).Mark();
        out.diagnostics.push_back({Severity::error,
                                   {m.line + 1, m.column + 1},
                                   "a workflow file holds one YAML document; found a second one"});
    }
    Walker(out).workflow(tree->root(0));
    return out;
}

Loaded load_file(const std::string& path) {
    auto refuse = [&](const std::string& why) {
        Loaded out;
        out.file = path;
        out.diagnostics.push_back({Severity::error, {}, "cannot read file: " + why});
        return out;
    };
    // Only regular files, of a size a workflow can have: /dev/zero or a FIFO
    // would be read forever.
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) return refuse(std::strerror(errno));
    if (S_ISDIR(st.st_mode)) return refuse(std::strerror(EISDIR));
    if (!S_ISREG(st.st_mode)) return refuse("not a regular file");
    if (st.st_size > k_max_file_size)
        return refuse("larger than " + std::to_string(k_max_file_size >> 20) +
                      " MiB, the most a workflow file may be");
    std::ifstream in(path, std::ios::binary);
    if (!in) return refuse(std::strerror(errno));
    std::ostringstream ss;
    ss << in.rdbuf();
    return load_string(ss.str(), path);
}

}  // namespace weft::parse
