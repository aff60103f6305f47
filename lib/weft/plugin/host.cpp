// The plugin host: `weft __plugin-host KIND TARGET [--describe]`, the child
// process in which a shared-library plugin or a built-in runs (SPEC §7). It
// speaks protocol 1 to the engine exactly as an executable plugin does, so
// the engine runs all plugins one way; whatever the library does to this
// process (a crash, an abort, a leak, a hang) is one step's failure.
#include <dlfcn.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstring>
#include <map>

#include "weft/plugin/builtins.hpp"
#include "weft/plugin/plugin.hpp"
#include "weft/util/out.hpp"

namespace weft::plugin {

namespace {

// The smallest table of ABI version 1: up to and including `run`.
constexpr std::size_t k_v1_table_size = offsetof(weft_plugin, run) + sizeof(weft_plugin::run);

volatile std::sig_atomic_t g_cancelled = 0;

struct HostState {
    Json with = Json::object();
    Json outputs = Json::object();
    std::string message;
    std::map<std::string, std::string> with_text;  // what `with` handed out, alive until the end
};

int refuse(const std::string& why) {
    out::error(why);
    return 2;
}

bool write_all(int fd, const std::string& s) {
    std::size_t done = 0;
    while (done < s.size()) {
        const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return false;
        done += static_cast<std::size_t>(n);
    }
    return true;
}

// The table of TARGET, checked: Errc::invalid when it cannot be used.
Result<const weft_plugin*> load(const std::string& kind, const std::string& target) {
    const weft_plugin* t = nullptr;
    if (kind == "builtin") {
        t = find_builtin(target);
        if (!t) return make_error(Errc::not_found, "no built-in plugin '" + target + "'");
    } else if (kind == "library") {
        // Never unloaded: the process ends with the plugin.
        void* lib = ::dlopen(target.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib) return make_error(Errc::invalid, std::string("cannot load it: ") + ::dlerror());
        void* sym = ::dlsym(lib, WEFT_PLUGIN_ENTRY_NAME);
        if (!sym)
            return make_error(Errc::invalid, "it does not export " WEFT_PLUGIN_ENTRY_NAME "()");
        t = reinterpret_cast<weft_plugin_entry_fn>(sym)();
        if (!t) return make_error(Errc::invalid, WEFT_PLUGIN_ENTRY_NAME "() returned NULL");
    } else {
        return make_error(Errc::usage, "unknown plugin kind '" + kind + "'");
    }
    if (t->abi_version != WEFT_PLUGIN_ABI_VERSION)
        return make_error(Errc::invalid, "it was built for plugin ABI version " +
                                             std::to_string(t->abi_version) +
                                             ", which this weft does not know (it knows version " +
                                             std::to_string(WEFT_PLUGIN_ABI_VERSION) +
                                             "); rebuild it against this weft's <weft/plugin.h>");
    if (t->size < k_v1_table_size)
        return make_error(Errc::invalid, "its table is " + std::to_string(t->size) +
                                             " bytes, smaller than the " +
                                             std::to_string(k_v1_table_size) + " of ABI version 1");
    if (!t->name || !t->run)
        return make_error(Errc::invalid, "its table has no name or no run function");
    return t;
}

}  // namespace

int host_main(int argc, char** argv) {
    if (argc < 4) return refuse("usage: weft __plugin-host builtin|library TARGET [--describe]");
    const std::string kind = argv[2], target = argv[3];
    const bool describe_only = argc > 4 && std::strcmp(argv[4], "--describe") == 0;
    auto table = load(kind, target);
    if (!table) return refuse(table.error().message);
    const weft_plugin& t = **table;

    if (describe_only) {
        Description d;
        d.described = true;
        d.version = t.version ? t.version : "";
        for (const weft_param* p = t.params; p && p->name; ++p)
            d.params[p->name] = Param{p->required != 0, p->description ? p->description : ""};
        out::print("{}\n", description_json(t.name, d).dump(
                               -1, ' ', false, nlohmann::json::error_handler_t::replace));
        return 0;
    }

    // Read until end of input or one byte past the cap (a request that long
    // is refused by the parser below as incomplete JSON).
    std::string request;
    char buf[1 << 16];
    while (request.size() <= k_max_request) {
        const ssize_t n = ::read(STDIN_FILENO, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        request.append(buf,
                       std::min(static_cast<std::size_t>(n), k_max_request + 1 - request.size()));
    }
    Json req = Json::parse(request, nullptr, false);
    if (req.is_discarded() || !req.is_object())
        return refuse("the request on stdin is not a JSON object");
    HostState state;
    if (req.contains("with") && req["with"].is_object()) state.with = req["with"];

    // The result goes to our stdout; the plugin's own stdout joins its log.
    const int result_fd = ::dup(1);
    if (result_fd < 0 || ::dup2(2, 1) < 0)
        return refuse(std::string("cannot set up stdout: ") + std::strerror(errno));
    // SIGTERM (a timeout or a cancel) is a request to stop: `cancelled()`
    // says so; the engine's SIGKILL follows after the kill-grace.
    struct sigaction sa {};
    sa.sa_handler = [](int) { g_cancelled = 1; };
    sigemptyset(&sa.sa_mask);
    ::sigaction(SIGTERM, &sa, nullptr);

    weft_host host{};
    host.size = sizeof(weft_host);
    host.context = &state;
    host.log = [](void*, const char* line) {
        std::string l = line ? line : "";
        l += '\n';
        write_all(2, l);
    };
    host.set_output = [](void* ctx, const char* key, const char* value) {
        if (key) static_cast<HostState*>(ctx)->outputs[key] = value ? value : "";
    };
    host.cancelled = [](void*) -> int { return g_cancelled ? 1 : 0; };
    host.set_message = [](void* ctx, const char* message) {
        static_cast<HostState*>(ctx)->message = message ? message : "";
    };
    host.with = [](void* ctx, const char* key) -> const char* {
        auto* s = static_cast<HostState*>(ctx);
        if (!key || !s->with.contains(key)) return nullptr;
        const Json& v = s->with[key];
        auto& text = s->with_text[key];
        text = v.is_string() ? v.get<std::string>()
                             : v.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
        return text.c_str();
    };

    const int status = t.run(request.c_str(), &host);
    std::fflush(stdout);
    Json result{{"status", status == WEFT_SUCCESS ? "success" : "failure"},
                {"outputs", state.outputs}};
    if (!state.message.empty()) result["message"] = state.message;
    if (!write_all(result_fd, result.dump(-1, ' ', false, Json::error_handler_t::replace) + "\n"))
        return refuse("cannot write the result");
    return 0;
}

}  // namespace weft::plugin
