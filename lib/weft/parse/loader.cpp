#include "weft/parse/loader.hpp"

#include <yaml-cpp/exceptions.h>

#include <functional>
#include <map>

#include "weft/parse/source_scan.hpp"
#include "weft/parse/tags.hpp"
#include "weft/parse/walker.hpp"
#include "weft/parse/yaml_tree.hpp"
#include "weft/util/read_file.hpp"
#include "weft/util/strings.hpp"

namespace weft::parse {

const std::vector<std::string>& known_keys(std::string_view section) {
    static const std::map<std::string, std::vector<std::string>, std::less<>> k_keys = {
        {"workflow",
         {"name", "description", "on", "env", "env-file", "params", "defaults", "concurrency",
          "max-parallel", "fail-fast", "timeout", "catchup", "retention", "on-restart", "steps",
          "finally", "outputs"}},
        {"step",
         {"needs", "run", "uses", "with", "if", "env", "shell", "working-directory", "timeout",
          "kill-grace", "runs-on", "slurm", "matrix", "retry", "continue-on-error", "sources",
          "generates"}},
        {"on", {"file", "schedule", "stdin", "workflow"}},
        {"file", {"paths", "ignore", "gitignore", "events", "debounce", "if"}},
        {"schedule", {"cron", "timezone", "every", "if"}},
        {"stdin", {"format", "max-record", "if", "match"}},
        {"workflow-trigger", {"names", "status", "if"}},
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

void Walker::workflow(const YamlNode& root) {
    m_wf.file = m_out.file;
    m_wf.name = default_name();
    if (!root.IsMap()) {
        error(root, std::string("expected a map of workflow keys at the top level, got ") +
                        type_name(root));
        return;
    }
    bool have_steps = false;
    std::optional<YamlNode> finally;
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
             else if (k == "env-file") {
                 m_wf.env_files = string_list(v, "'env-file'", true);
                 m_wf.env_files_loc = loc(v);
                 // Read at run start, before any context exists to render.
                 for (const auto& f : m_wf.env_files)
                     if (f.find("${{") != std::string::npos)
                         error(v,
                               "'env-file' is a path read as written; it cannot hold "
                               "'${{ }}' (use 'env' for values that depend on params)");
             } else if (k == "params")
                 params(v);
             else if (k == "defaults")
                 defaults(v);
             else if (k == "concurrency")
                 concurrency(v);
             else if (k == "max-parallel") {
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
             else if (k == "on-restart")
                 m_wf.on_restart =
                     enumeration<model::OnRestart>(
                         v, "on-restart",
                         {{"resume", model::OnRestart::resume}, {"leave", model::OnRestart::leave}})
                         .value_or(m_wf.on_restart);
             else if (k == "retention")
                 retention(v);
             else if (k == "steps") {
                 have_steps = true;
                 steps(v);
             } else if (k == "finally")
                 finally = v;
             else if (k == "outputs")
                 outputs(v);
         });
    if (!have_steps) error(Location{1, 1}, "missing 'steps': a workflow needs at least one step");
    if (finally) steps(*finally, true);
    m_out.workflow = std::move(m_wf);
}

std::string Walker::default_name() const {
    // The file name without directory and extension.
    std::string base = m_out.file.substr(m_out.file.find_last_of('/') + 1);
    if (ends_with(base, ".yaml"))
        base.resize(base.size() - 5);
    else if (ends_with(base, ".yml"))
        base.resize(base.size() - 4);
    return base;
}

void Walker::concurrency(const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Map, "'concurrency'")) return;
    auto& c = m_wf.concurrency;
    keys(n, known_keys("concurrency"), "'concurrency'",
         [&](const std::string& k, const YamlNode&, const YamlNode& v) {
             if (k == "limit")
                 c.limit = static_cast<int>(integer(v, "'limit'", 1, 100000).value_or(1));
             else if (k == "on-busy")
                 c.on_busy =
                     enumeration<model::OnBusy>(v, "on-busy",
                                                {{"queue", model::OnBusy::queue},
                                                 {"skip", model::OnBusy::skip},
                                                 {"cancel-running", model::OnBusy::cancel_running}})
                         .value_or(c.on_busy);
             else if (auto q = integer(v, "'max-queued'", 0, 100'000'000))
                 c.max_queued = static_cast<int>(*q);
         });
}

// Top-level `outputs` (SPEC §9.1): name -> a template, evaluated at the
// run's end for the step that called the workflow.
void Walker::outputs(const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Map, "'outputs'")) return;
    any_keys(n, "'outputs'", [&](const std::string& name, const YamlNode& kn, const YamlNode& v) {
        if (!is_identifier(name, true)) {
            error(kn, "invalid output name '" + name + "': use letters, digits, '_' and '-'");
            return;
        }
        if (auto text = scalar(v, "output '" + name + "'"))
            m_wf.outputs.push_back({name, *text, loc(v)});
    });
}

void Walker::retention(const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Map, "'retention'")) return;
    keys(n, known_keys("retention"), "'retention'",
         [&](const std::string& k, const YamlNode&, const YamlNode& v) {
             if (k == "runs")
                 m_wf.retention.runs =
                     static_cast<int>(integer(v, "'runs'", 1, 100'000'000).value_or(500));
             else
                 m_wf.retention.days =
                     static_cast<int>(integer(v, "'days'", 1, 1'000'000).value_or(90));
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
    for (auto& d : check_tags(*tree)) out.diagnostics.push_back(std::move(d));
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
    auto text = read_file(path, k_max_file_size);
    if (!text)
        return refuse(text.error().message + (text.error().code == Errc::invalid
                                                  ? ", the most a workflow file may be"
                                                  : ""));
    return load_string(*text, path);
}

}  // namespace weft::parse
