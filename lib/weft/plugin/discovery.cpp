// Finding plugins, asking them to describe themselves, and checking the
// plugin steps of a workflow against what they say (SPEC §7).
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <set>

#include "weft/exec/process.hpp"
#include "weft/plugin/builtins.hpp"
#include "weft/plugin/plugin.hpp"
#include "weft/util/strings.hpp"

extern char** environ;

namespace weft::plugin {

namespace {

constexpr const char* k_prefix = "weft-plugin-";
constexpr auto k_describe_timeout = std::chrono::seconds(5);

bool is_regular(const std::string& path, bool executable) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) return false;
    return !executable || ::access(path.c_str(), X_OK) == 0;
}

// The plugins directory next to the binary: BINDIR/../libexec/weft/plugins
// once installed (WEFT_PLUGIN_DIR_FROM_BIN is set by CMake from the install
// layout).
std::string bundled_dir() {
    const std::string exe = self_exe();
    if (exe.empty()) return {};
    return exe.substr(0, exe.find_last_of('/') + 1) + WEFT_PLUGIN_DIR_FROM_BIN;
}

std::vector<std::string> builtin_names() {
    std::vector<std::string> names;
    for (const auto& b : builtins()) names.emplace_back(b.name);
    return names;
}

struct Captured {
    exec::ExitStatus status;
    std::string out;
    std::string err;
    bool timed_out = false;
};

// Run `argv` to its end with stdin from /dev/null, at most `timeout` (then
// its process group is killed) and at most k_max_result bytes of stdout (the
// rest is read and dropped).
Result<Captured> run_captured(const std::vector<std::string>& argv,
                              std::chrono::milliseconds timeout) {
    exec::SpawnRequest r;
    r.argv = argv;
    for (char** e = environ; e && *e; ++e) r.env.emplace_back(*e);
    auto child = exec::spawn(r);
    if (!child) return child.error();
    exec::Child c = *child;
    Captured cap;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    auto drain = [&](int& fd, std::string& into, std::size_t cap_bytes) {
        if (fd < 0) return;
        std::string chunk;
        auto end = exec::read_available(fd, chunk);
        if (into.size() < cap_bytes) into += chunk.substr(0, cap_bytes - into.size());
        if (!end || *end == exec::ReadEnd::eof) {
            ::close(fd);
            fd = -1;
        }
    };
    for (;;) {
        pollfd fds[3] = {{c.pidfd, POLLIN, 0}, {c.stdout_fd, POLLIN, 0}, {c.stderr_fd, POLLIN, 0}};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        const int n = ::poll(fds, 3, static_cast<int>(std::max<long long>(0, left.count())));
        if (fds[1].revents) drain(c.stdout_fd, cap.out, k_max_result);
        if (fds[2].revents) drain(c.stderr_fd, cap.err, 64 << 10);
        if (fds[0].revents) {
            if (auto st = exec::try_reap(c.pid)) {
                cap.status = *st;
                break;
            }
        }
        if (n == 0 && !cap.timed_out) {
            cap.timed_out = true;
            ::kill(-c.pid, SIGKILL);
        }
    }
    // What it wrote before it exited (a pipe a grandchild still holds is not
    // waited for).
    drain(c.stdout_fd, cap.out, k_max_result);
    drain(c.stderr_fd, cap.err, 64 << 10);
    exec::close_fds(c);
    return cap;
}

std::string last_line(std::string text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) text.pop_back();
    const auto nl = text.rfind('\n');
    return nl == std::string::npos ? text : text.substr(nl + 1);
}

// A description printed by `--describe` (or by the host for a library).
Result<Description> parse_description(const std::string& text) {
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded() || !j.is_object())
        return make_error(Errc::invalid, "--describe did not print a JSON object");
    Description d;
    d.described = true;
    if (j.contains("version")) {
        if (!j["version"].is_string())
            return make_error(Errc::invalid, "--describe: 'version' is not a string");
        d.version = j["version"].get<std::string>();
    }
    const Json& proto = j["protocol"];
    bool speaks = false;
    if (proto.is_array())
        for (const auto& p : proto)
            speaks = speaks || (p.is_number_integer() && p.get<int>() == k_protocol);
    if (!speaks)
        return make_error(Errc::invalid,
                          "it speaks protocol " +
                              proto.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) +
                              "; this weft speaks protocol " + std::to_string(k_protocol));
    if (j.contains("params")) {
        if (!j["params"].is_object())
            return make_error(Errc::invalid, "--describe: 'params' is not an object");
        for (auto it = j["params"].begin(); it != j["params"].end(); ++it) {
            Param p;
            if (it.value().is_object()) {
                if (auto r = it.value().find("required"); r != it.value().end() && r->is_boolean())
                    p.required = r->get<bool>();
                if (auto s = it.value().find("description");
                    s != it.value().end() && s->is_string())
                    p.description = s->get<std::string>();
            }
            d.params[it.key()] = p;
        }
    }
    return d;
}

Description builtin_description(const weft_plugin& t) {
    Description d;
    d.described = true;
    d.version = t.version ? t.version : "";
    for (const weft_param* p = t.params; p && p->name; ++p)
        d.params[p->name] = Param{p->required != 0, p->description ? p->description : ""};
    return d;
}

}  // namespace

const char* to_string(Kind k) {
    switch (k) {
        case Kind::executable:
            return "executable";
        case Kind::library:
            return "library";
        case Kind::builtin:
            return "built-in";
    }
    return "?";
}

std::string self_exe() {
    char buf[4096];
    const ssize_t n = ::readlink("/proc/self/exe", buf, sizeof buf - 1);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
}

std::vector<std::string> search_dirs() {
    std::vector<std::string> dirs;
    if (const char* p = std::getenv("WEFT_PLUGIN_PATH"))
        for (auto& d : split(p, ':'))
            if (!d.empty()) dirs.push_back(d);
    if (auto b = bundled_dir(); !b.empty()) dirs.push_back(b);
    return dirs;
}

Result<Found> find(const std::string& name) {
    const auto dirs = search_dirs();
    for (const auto& dir : dirs) {
        const std::string base = dir + (dir.back() == '/' ? "" : "/") + k_prefix + name;
        if (is_regular(base, true)) return Found{name, Kind::executable, base};
        if (is_regular(base + ".so", false)) return Found{name, Kind::library, base + ".so"};
    }
    if (find_builtin(name)) return Found{name, Kind::builtin, ""};
    std::vector<std::string> known;
    for (const auto& f : list_all()) known.push_back(f.name);
    std::string where;
    for (const auto& d : dirs) where += (where.empty() ? "" : ", ") + d;
    return make_error(
        Errc::not_found,
        with_suggestion("unknown plugin '" + name + "'", name, known) + ": no " + k_prefix + name +
            " or " + k_prefix + name + ".so in " + (where.empty() ? "no directory" : where) +
            " (WEFT_PLUGIN_PATH, then the plugins directory next to weft), and no built-in '" +
            name + "' (built-ins: " + join_quoted(builtin_names(), " and ") + ")");
}

std::vector<Found> list_all() {
    std::vector<Found> all;
    std::set<std::string> seen;
    for (const auto& dir : search_dirs()) {
        DIR* d = ::opendir(dir.c_str());
        if (!d) continue;
        std::vector<std::string> entries;
        while (const dirent* e = ::readdir(d)) entries.emplace_back(e->d_name);
        ::closedir(d);
        std::sort(entries.begin(), entries.end());
        for (const auto& e : entries) {
            if (!starts_with(e, k_prefix) || e.size() == std::string(k_prefix).size()) continue;
            const std::string path = dir + (dir.back() == '/' ? "" : "/") + e;
            std::string name = e.substr(std::string(k_prefix).size());
            Kind kind = Kind::executable;
            if (ends_with(name, ".so")) {
                name.resize(name.size() - 3);
                kind = Kind::library;
                if (!is_regular(path, false)) continue;
            } else if (!is_regular(path, true)) {
                continue;
            }
            if (name.empty() || !seen.insert(name).second) continue;
            all.push_back(Found{name, kind, path});
        }
    }
    for (const auto& b : builtins())
        if (seen.insert(b.name).second) all.push_back(Found{b.name, Kind::builtin, ""});
    return all;
}

std::vector<std::string> command(const Found& p) {
    switch (p.kind) {
        case Kind::executable:
            return {p.path};
        case Kind::library:
            return {self_exe(), "__plugin-host", "library", p.path};
        case Kind::builtin:
            return {self_exe(), "__plugin-host", "builtin", p.name};
    }
    return {};
}

Result<Description> describe(const Found& p) {
    static std::map<std::string, Result<Description>> cache;
    const std::string key =
        std::string(to_string(p.kind)) + ":" + (p.path.empty() ? p.name : p.path);
    if (auto it = cache.find(key); it != cache.end()) return it->second;
    auto compute = [&]() -> Result<Description> {
        if (p.kind == Kind::builtin) return builtin_description(*find_builtin(p.name));
        auto argv = command(p);
        argv.push_back("--describe");
        auto cap = run_captured(argv, k_describe_timeout);
        if (!cap) return make_error(Errc::invalid, cap.error().message);
        if (p.kind == Kind::executable) {
            // Describing is optional for executables: one that does not know
            // `--describe` accepts any `with`.
            if (cap->timed_out || cap->status.exit_code != 0) return Description{};
            Json j = Json::parse(cap->out, nullptr, false);
            if (j.is_discarded() || !j.is_object() || !j.contains("protocol")) return Description{};
            return parse_description(cap->out);
        }
        // A library is described by our own host: any failure is the
        // library's (cannot be loaded, no entry point, unknown ABI).
        if (cap->timed_out) return make_error(Errc::invalid, "describing it took longer than 5s");
        if (cap->status.signal)
            return make_error(Errc::invalid,
                              std::string("loading it killed the plugin host with ") +
                                  exec::signal_name(*cap->status.signal));
        if (cap->status.exit_code != 0) {
            std::string why = last_line(cap->err);
            if (starts_with(why, "weft: error: ")) why = why.substr(13);
            return make_error(Errc::invalid, why.empty() ? "the plugin host failed" : why);
        }
        return parse_description(cap->out);
    };
    return cache.emplace(key, compute()).first->second;
}

void check_workflow(const model::Workflow& wf, Diagnostics& diags) {
    auto error = [&](Location l, std::string msg) {
        diags.push_back({Severity::error, l, std::move(msg)});
    };
    for (const auto& step : wf.steps) {
        if (!step.uses || step.calls()) continue;  // a workflow: parse::load_workflow checks it
        auto found = find(*step.uses);
        if (!found) {
            error(step.uses_loc, found.error().message);
            continue;
        }
        auto d = describe(*found);
        const std::string where = found->path.empty() ? "built-in" : found->path;
        if (!d) {
            error(step.uses_loc,
                  "plugin '" + *step.uses + "' (" + where + "): " + d.error().message);
            continue;
        }
        if (!d->described) continue;
        std::vector<std::string> keys;
        for (const auto& [k, p] : d->params) keys.push_back(k);
        for (const auto& [k, l] : step.with_keys)
            if (!d->params.count(k))
                error(l, with_suggestion(
                             "unknown key '" + k + "' in 'with' of plugin '" + *step.uses + "'", k,
                             keys) +
                             (keys.empty() ? "; it takes no parameters"
                                           : "; it accepts " + join_quoted(keys, " and ")));
        for (const auto& [k, p] : d->params) {
            if (!p.required) continue;
            const std::string& name = k;  // clang 14 cannot capture a structured binding
            const bool set = std::any_of(step.with_keys.begin(), step.with_keys.end(),
                                         [&](const auto& wk) { return wk.first == name; });
            if (!set)
                error(step.uses_loc, "plugin '" + *step.uses + "' needs '" + k + "' in 'with'");
        }
    }
}

}  // namespace weft::plugin
