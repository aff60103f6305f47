#include "weft/engine/resolve.hpp"

#include <xxhash.h>

#include <fmt/core.h>

#include <fstream>
#include <functional>
#include <sstream>
#include <tuple>

#include "weft/expr/expr.hpp"
#include "weft/util/dotenv.hpp"
#include "weft/util/glob.hpp"
#include "weft/util/strings.hpp"

namespace weft::engine {

using Json = nlohmann::json;

Result<std::vector<char>> select_instances(const model::Workflow& wf, const dag::Graph& g,
                                           const std::vector<std::string>& only) {
    std::vector<char> selected(g.instances.size(), only.empty() ? 1 : 0);
    std::vector<int> stack;
    for (const auto& id : only) {
        const auto* s = wf.find_step(id);
        if (!s) {
            std::vector<std::string> ids;
            for (const auto& st : wf.steps) ids.push_back(st.id);
            return make_error(Errc::invalid,
                              with_suggestion("--only: unknown step '" + id + "'", id, ids));
        }
        for (int i : g.step_instances[static_cast<std::size_t>(s - wf.steps.data())])
            stack.push_back(i);
    }
    // `finally` belongs to the run, whatever part of `steps` it runs.
    if (!only.empty())
        for (std::size_t s = 0; s < wf.steps.size(); ++s)
            if (wf.steps[s].finally)
                for (int i : g.step_instances[s]) stack.push_back(i);
    while (!stack.empty()) {
        const int i = stack.back();
        stack.pop_back();
        if (selected[static_cast<std::size_t>(i)]) continue;
        selected[static_cast<std::size_t>(i)] = 1;
        for (int n : g.instances[static_cast<std::size_t>(i)].needs) stack.push_back(n);
    }
    return selected;
}

store::Retention retention_of(const model::Workflow& wf) {
    return store::Retention{wf.retention.runs, std::chrono::days{wf.retention.days}};
}

Result<Json> resolve_params(const model::Workflow& wf,
                            const std::vector<std::pair<std::string, std::string>>& given) {
    Json values = Json::object();
    std::vector<std::string> names;
    for (const auto& p : wf.params) names.push_back(p.name);
    std::string problems;
    auto problem = [&](const std::string& m) { problems += (problems.empty() ? "" : "\n") + m; };
    for (const auto& [key, value] : given) {
        if (!wf.find_param(key)) {
            problem(with_suggestion("unknown param '" + key + "' for workflow '" + wf.name + "'",
                                    key, names));
            continue;
        }
        values[key] = value;
    }
    for (const auto& p : wf.params) {
        if (values.contains(p.name)) continue;
        if (p.default_value)
            values[p.name] = *p.default_value;
        else if (p.required)
            problem("missing required param '" + p.name + "' (give it with -p " + p.name +
                    "=VALUE)");
        else
            values[p.name] = "";
    }
    if (!problems.empty()) return make_error(Errc::invalid, problems);
    return values;
}

Result<Json> read_env_files(const model::Workflow& wf) {
    Json values = Json::object();
    for (const auto& path : wf.env_files) {
        auto pairs = read_dotenv(path);
        if (!pairs) return pairs.error();
        for (auto& [k, v] : *pairs) values[k] = std::move(v);
    }
    return values;
}

Result<Json> run_contexts(const model::Workflow& wf, const Json& params, const Json& event,
                          const std::map<std::string, std::string>& secrets, std::int64_t run_id,
                          int attempt) {
    Json secret_values = Json::object();
    for (const auto& [k, v] : secrets) secret_values[k] = v;
    Json ctx{{"params", params},
             {"env", Json::object()},
             {"secrets", secret_values},
             {"event", event},
             {"workflow", {{"name", wf.name}}},
             {"run", {{"id", run_id}, {"attempt", attempt}}},
             {"matrix", Json::object()},
             {"steps", Json::object()}};
    auto from_files = read_env_files(wf);
    if (!from_files) return from_files.error();
    Json env = std::move(*from_files);
    ctx["env"] = env;
    for (const auto& [k, v] : wf.env) {
        auto t = expr::parse_template(v);
        auto text = t ? expr::render(*t, ctx) : Result<std::string>(t.error());
        if (!text) return make_error(Errc::invalid, "env " + k + ": " + text.error().message);
        env[k] = *text;
        ctx["env"] = env;
    }
    return ctx;
}

Masker secret_masker(const model::Workflow& wf, const Json& params, const Json& secrets) {
    Masker m;
    if (secrets.is_object())
        for (const auto& v : secrets)
            if (v.is_string()) m.add(v.get_ref<const std::string&>());
    for (const auto& p : wf.params)
        if (p.secret && params.contains(p.name) && params[p.name].is_string())
            m.add(params[p.name].get_ref<const std::string&>());
    return m;
}

Json masked_params(const model::Workflow& wf, Json params) {
    for (const auto& p : wf.params)
        if (p.secret && params.contains(p.name)) mask_secret_param(params[p.name]);
    return params;
}

namespace {

// Every string in `v`, however deep, with `m` applied.
void mask_strings(Json& v, const Masker& m) {
    if (v.is_string())
        v = m.apply(v.get_ref<const std::string&>());
    else if (v.is_structured())
        for (auto& e : v) mask_strings(e, m);
}

Result<ResolvedStep> render_step(const model::Workflow& wf, const model::Step& step, Json ctx) {
    ResolvedStep r;
    auto render_text = [&](const std::string& text) -> Result<std::string> {
        if (text.find("${{") == std::string::npos) return text;
        auto t = expr::parse_template(text);
        if (!t) return t.error();
        return expr::render(*t, ctx);
    };
    auto failed = [](const std::string& what, const Error& e) {
        return make_error(e.code, what + ": " + e.message);
    };

    // The workflow's env, then the step's (later wins); each step variable
    // sees the ones before it.
    r.env = ctx["env"];
    for (const auto& [k, v] : step.env) {
        auto text = render_text(v);
        if (!text) return failed("env " + k, text.error());
        r.env[k] = *text;
        ctx["env"] = r.env;
    }
    auto cwd = render_text(step.working_directory.value_or(wf.defaults.working_directory));
    if (!cwd) return failed("working-directory", cwd.error());
    r.cwd = *cwd;
    for (auto [from, to, what] : {std::tuple{&step.sources, &r.sources, "sources"},
                                  std::tuple{&step.generates, &r.generates, "generates"}})
        for (const auto& pattern : *from) {
            auto text = render_text(pattern);
            if (!text) return failed(what, text.error());
            to->push_back(std::move(*text));
        }
    r.timeout = model::k_default_step_timeout;
    if (auto t = step.timeout ? step.timeout : wf.defaults.timeout) {
        auto text = render_text(*t);
        if (!text) return failed("timeout", text.error());
        auto d = parse_duration(*text);
        if (!d) return failed("timeout", d.error());
        r.timeout = *d;
    }
    r.shell = step.shell.value_or(wf.defaults.shell);
    if (!step.run) {  // a plugin step: every string of `with`, however deep
        std::string failed_at;
        Error error;
        std::function<bool(Json&, const std::string&)> walk = [&](Json& v, const std::string& at) {
            if (v.is_string()) {
                auto text = render_text(v.get<std::string>());
                if (!text) {
                    failed_at = at;
                    error = text.error();
                    return false;
                }
                v = std::move(*text);
            } else if (v.is_object()) {
                for (auto it = v.begin(); it != v.end(); ++it)
                    if (!walk(it.value(), at + "." + it.key())) return false;
            } else if (v.is_array()) {
                for (std::size_t k = 0; k < v.size(); ++k)
                    if (!walk(v[k], at + "[" + std::to_string(k) + "]")) return false;
            }
            return true;
        };
        if (step.with.is_object()) r.with = step.with;
        if (!walk(r.with, "with")) return failed(failed_at, error);
        return r;
    }
    auto tmpl = expr::parse_template(*step.run);
    if (!tmpl) return failed("run", tmpl.error());
    auto value_of = [&](const expr::Expr& e) -> Result<std::string> {
        auto v = expr::evaluate(e, ctx);
        if (!v) return v.error();
        return expr::to_text(*v);
    };
    // Values go into bash and sh scripts through the quoting lexer, so no
    // value can run as code; other shells get them as text.
    auto script = (r.shell == "bash" || r.shell == "sh")
                      ? expr::render_shell(
                            *tmpl, value_of,
                            r.shell == "sh" ? expr::ShellDialect::posix : expr::ShellDialect::bash)
                      : expr::render(*tmpl, ctx);
    if (!script) return failed("run", script.error());
    r.script = std::move(*script);
    return r;
}

// `r` as its fingerprint sees it: rendered again with every secret value of
// `ctx` masked (in the secrets and params contexts, and wherever else one
// went: the env, the steps' outputs), so quoting cannot hide one from the
// mask. When that render fails (a masked value that had to be JSON), `r`'s
// own text with the values masked.
ResolvedStep masked_view(const model::Workflow& wf, const model::Step& step, Json ctx,
                         const ResolvedStep& r, const Masker& secrets) {
    mask_strings(ctx, secrets);
    if (auto params = ctx.find("params"); params != ctx.end())
        *params = masked_params(wf, std::move(*params));
    if (auto m = render_step(wf, step, std::move(ctx))) return std::move(*m);
    ResolvedStep m = r;
    m.script = secrets.apply(r.script);
    m.cwd = secrets.apply(r.cwd);
    mask_strings(m.env, secrets);
    mask_strings(m.with, secrets);
    return m;
}

}  // namespace

Result<ResolvedStep> resolve_step(const model::Workflow& wf, const model::Step& step, Json ctx) {
    const Masker secrets = secret_masker(wf, ctx.value("params", Json::object()),
                                         ctx.value("secrets", Json::object()));
    if (step.sources.empty() || secrets.empty()) return render_step(wf, step, std::move(ctx));
    auto r = render_step(wf, step, ctx);
    if (r) r->masked = std::make_shared<ResolvedStep>(masked_view(wf, step, ctx, *r, secrets));
    return r;
}

std::vector<std::string> shell_argv(const std::string& shell, const std::string& script_file) {
    if (shell == "bash") return {"bash", "--noprofile", "--norc", "-eo", "pipefail", script_file};
    if (shell == "sh") return {"sh", "-e", script_file};
    std::vector<std::string> argv;
    std::istringstream words(shell);
    for (std::string w; words >> w;) {
        for (std::size_t p; (p = w.find("{0}")) != std::string::npos;) w.replace(p, 3, script_file);
        argv.push_back(w);
    }
    return argv;
}

namespace {

// Length-prefixed fields, so no two different inputs hash the same text.
void feed(XXH3_state_t* st, std::string_view s) {
    const std::uint64_t n = s.size();
    XXH3_128bits_update(st, &n, sizeof n);
    XXH3_128bits_update(st, s.data(), s.size());
}

}  // namespace

Result<std::string> fingerprint(const model::Step& step, const ResolvedStep& resolved,
                                const std::map<std::string, std::string>& secrets) {
    std::unique_ptr<XXH3_state_t, decltype(&XXH3_freeState)> st(XXH3_createState(),
                                                                &XXH3_freeState);
    XXH3_128bits_reset(st.get());
    feed(st.get(), "weft-fingerprint-1");
    const ResolvedStep& r = resolved.masked ? *resolved.masked : resolved;
    feed(st.get(), r.shell);
    feed(st.get(), r.cwd);
    feed(st.get(), r.script);
    if (step.uses) {  // plugin steps only, so shell steps keep their fingerprints
        feed(st.get(), "uses " + *step.uses);
        feed(st.get(), r.with.dump(-1, ' ', false, Json::error_handler_t::replace));
    }
    feed(st.get(), std::to_string(r.timeout.count()));
    for (auto it = r.env.begin(); it != r.env.end(); ++it) {  // sorted by name
        feed(st.get(), it.key());
        feed(st.get(), it.value().get<std::string>());
    }
    for (const auto& [k, v] : secrets) feed(st.get(), "secret " + k);
    // The patterns as rendered: a file the step reads or writes by a param
    // or matrix value is what counts.
    for (const auto& g : resolved.generates) feed(st.get(), "generates " + g);
    std::vector<char> buf(1 << 16);
    for (const auto& pattern : resolved.sources) {
        feed(st.get(), "sources " + pattern);
        for (const auto& path : glob_files(pattern)) {
            feed(st.get(), path);
            std::ifstream f(path, std::ios::binary);
            if (!f) return make_error(Errc::io, "sources: cannot read " + path);
            std::uint64_t total = 0;
            while (f) {
                f.read(buf.data(), static_cast<std::streamsize>(buf.size()));
                const auto n = static_cast<std::size_t>(f.gcount());
                XXH3_128bits_update(st.get(), buf.data(), n);
                total += n;
            }
            if (f.bad()) return make_error(Errc::io, "sources: cannot read " + path);
            XXH3_128bits_update(st.get(), &total, sizeof total);
        }
    }
    const XXH128_hash_t h = XXH3_128bits_digest(st.get());
    return fmt::format("{:016x}{:016x}", h.high64, h.low64);
}

bool generates_exist(const ResolvedStep& r) {
    for (const auto& g : r.generates)
        if (glob_files(g).empty()) return false;
    return true;
}

}  // namespace weft::engine
