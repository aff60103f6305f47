#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "support/load.hpp"
#include "weft/parse/loader.hpp"
#include "weft/plugin/builtins.hpp"
#include "weft/plugin/plugin.hpp"

namespace plugin = weft::plugin;
using Json = nlohmann::json;

TEST_CASE("plugin::parse_result") {
    SUBCASE("success with outputs; non-string outputs become JSON text") {
        auto r = plugin::parse_result(
            " {\"status\": \"success\", \"outputs\": {\"a\": \"x\", \"n\": 42, \"l\": [1]}}\n");
        REQUIRE(r);
        CHECK(r->success);
        CHECK(r->outputs == Json{{"a", "x"}, {"n", "42"}, {"l", "[1]"}});
        CHECK(r->message.empty());
    }
    SUBCASE("failure with a message") {
        auto r = plugin::parse_result("{\"status\": \"failure\", \"message\": \"no\"}");
        REQUIRE(r);
        CHECK(!r->success);
        CHECK(r->message == "no");
    }
    SUBCASE("what is not a result says why") {
        CHECK(plugin::parse_result("").error().message == "it printed no result on stdout");
        CHECK(plugin::parse_result(" \n").error().message == "it printed no result on stdout");
        CHECK(plugin::parse_result("hello\nworld").error().message ==
              "its result on stdout is not JSON (it starts with 'hello world')");
        CHECK(plugin::parse_result("{\"status\": \"success\"} {}").error().message ==
              "its result on stdout is not JSON (it starts with '{\"status\": \"success\"} {}')");
        CHECK(plugin::parse_result("[1]").error().message ==
              "its result on stdout is not a JSON object");
        CHECK(plugin::parse_result("{}").error().message ==
              "its result has status null; expected \"success\" or \"failure\"");
        CHECK(plugin::parse_result("{\"status\": \"success\", \"outputs\": [1]}").error().message ==
              "its result's 'outputs' is not an object");
        CHECK(plugin::parse_result("{\"status\": \"failure\", \"message\": 3}").error().message ==
              "its result's 'message' is not a string");
    }
    SUBCASE("a result nested deeper than 256 levels is refused, not printed (it crashed weft)") {
        const std::string head = "{\"status\":\"success\",\"outputs\":{\"x\":";
        const std::string deep = head + std::string(100000, '[') + std::string(100000, ']') + "}}";
        CHECK(plugin::parse_result(deep).error().message ==
              "its result on stdout is JSON nested deeper than 256 levels");
        // 256 levels: the object, `outputs` and 254 arrays.
        auto r = plugin::parse_result(head + std::string(254, '[') + std::string(254, ']') + "}}");
        REQUIRE(r);
        CHECK(r->outputs["x"] == std::string(254, '[') + std::string(254, ']'));
    }
}

TEST_CASE("plugin::make_request") {
    SUBCASE("the shape of protocol 1") {
        auto r = plugin::make_request(Json{{"url", "u"}}, Json{{"A", "1"}},
                                      Json{{"kind", "manual"}}, {7, "wf", "s", 2, 3});
        REQUIRE(r);
        CHECK(Json::parse(*r) == Json{{"protocol", 1},
                                      {"with", {{"url", "u"}}},
                                      {"env", {{"A", "1"}}},
                                      {"event", {{"kind", "manual"}}},
                                      {"run",
                                       {{"id", 7},
                                        {"workflow", "wf"},
                                        {"step", "s"},
                                        {"attempt", 2},
                                        {"run_attempt", 3}}}});
    }
    SUBCASE("a null with is an empty object") {
        auto r = plugin::make_request(nullptr, Json::object(), Json::object(), {});
        REQUIRE(r);
        CHECK(Json::parse(*r)["with"] == Json::object());
    }
    SUBCASE("too large") {
        auto r = plugin::make_request(Json{{"big", std::string(plugin::k_max_request, 'x')}},
                                      Json::object(), Json::object(), {});
        REQUIRE(!r);
        CHECK(r.error().message ==
              "the plugin's request (with, env and event) is 16 MiB, more than the 16 MiB a "
              "request may be");
    }
}

namespace {

// WEFT_PLUGIN_PATH set for one test, restored after.
struct PluginPath {
    std::filesystem::path dir;
    std::string old;
    bool had = false;
    PluginPath() {
        dir = std::filesystem::temp_directory_path() /
              ("weft-plugin-test-" + std::to_string(::getpid()));
        std::filesystem::create_directories(dir);
        if (const char* v = std::getenv("WEFT_PLUGIN_PATH")) {
            old = v;
            had = true;
        }
        ::setenv("WEFT_PLUGIN_PATH", dir.c_str(), 1);
    }
    ~PluginPath() {
        if (had)
            ::setenv("WEFT_PLUGIN_PATH", old.c_str(), 1);
        else
            ::unsetenv("WEFT_PLUGIN_PATH");
        std::filesystem::remove_all(dir);
    }
    void add(const std::string& name, const std::string& script) {
        const auto p = dir / name;
        std::ofstream(p) << script;
        std::filesystem::permissions(p, std::filesystem::perms::owner_all);
    }
};

std::vector<std::string> errors(const std::string& yaml) {
    auto loaded = weft::parse::load_string(yaml, "w.yaml");
    REQUIRE(loaded.workflow);
    weft::Diagnostics d;
    plugin::check_workflow(*loaded.workflow, d);
    std::vector<std::string> out;
    for (const auto& x : d)
        out.push_back(std::to_string(x.loc.line) + ":" + std::to_string(x.loc.column) + ": " +
                      x.message);
    return out;
}

}  // namespace

TEST_CASE("plugin::find and check_workflow") {
    PluginPath path;
    path.add("weft-plugin-exe", "#!/bin/sh\necho '{\"status\": \"success\"}'\n");
    path.add("weft-plugin-described",
             "#!/bin/sh\n[ \"$1\" = --describe ] && echo '{\"version\": \"2.0\", \"protocol\": "
             "[1], \"params\": "
             "{\"a\": {\"required\": true, \"description\": \"A\"}, \"b\": {}}}'\n");
    path.add("weft-plugin-future", "#!/bin/sh\necho '{\"protocol\": [2, 3]}'\n");
    path.add("weft-plugin-lib.so", "not really a library");
    path.add("weft-plugin-http", "#!/bin/sh\n");
    std::ofstream(path.dir / "weft-plugin-notexec") << "#!/bin/sh\n";

    SUBCASE("search order: the path first, then built-ins; executables need the x bit") {
        auto exe = plugin::find("exe");
        REQUIRE(exe);
        CHECK(exe->kind == plugin::Kind::executable);
        CHECK(exe->path == (path.dir / "weft-plugin-exe").string());
        auto lib = plugin::find("lib");
        REQUIRE(lib);
        CHECK(lib->kind == plugin::Kind::library);
        auto http = plugin::find("http");  // a plugin in the path shadows the built-in
        REQUIRE(http);
        CHECK(http->kind == plugin::Kind::executable);
        auto wait = plugin::find("wait");
        REQUIRE(wait);
        CHECK(wait->kind == plugin::Kind::builtin);
        CHECK(!plugin::find("notexec"));
    }
    SUBCASE("an unknown plugin names where weft looked") {
        auto r = plugin::find("exf");
        REQUIRE(!r);
        const std::string msg = r.error().message;
        CHECK(msg.rfind("unknown plugin 'exf' (did you mean 'exe'?): no weft-plugin-exf or "
                        "weft-plugin-exf.so in " +
                            path.dir.string() + ", ",
                        0) == 0);
        CHECK(msg.find("and no built-in 'exf' (built-ins: 'http' and 'wait')") !=
              std::string::npos);
    }
    SUBCASE("list_all: each name once, the first found") {
        std::vector<std::string> names;
        for (const auto& f : plugin::list_all())
            names.push_back(f.name + ":" + plugin::to_string(f.kind));
        CHECK(std::find(names.begin(), names.end(), "http:executable") != names.end());
        CHECK(std::find(names.begin(), names.end(), "http:built-in") == names.end());
        CHECK(std::find(names.begin(), names.end(), "wait:built-in") != names.end());
        CHECK(std::find(names.begin(), names.end(), "lib:library") != names.end());
        CHECK(std::find(names.begin(), names.end(), "notexec:executable") == names.end());
    }
    SUBCASE("describe") {
        auto d = plugin::describe(*plugin::find("described"));
        REQUIRE(d);
        CHECK(d->described);
        CHECK(d->version == "2.0");
        CHECK(d->params.at("a").required);
        CHECK(!d->params.at("b").required);
        auto e = plugin::describe(*plugin::find("exe"));  // ignores --describe: undescribed
        REQUIRE(e);
        CHECK(!e->described);
        auto f = plugin::describe(*plugin::find("future"));
        REQUIRE(!f);
        CHECK(f.error().message == "it speaks protocol [2,3]; this weft speaks protocol 1");
    }
    SUBCASE("with keys are checked against the description") {
        CHECK(errors("steps:\n  s:\n    uses: described\n    with: {a: 1, c: 2}\n") ==
              std::vector<std::string>{"4:18: unknown key 'c' in 'with' of plugin 'described'; it "
                                       "accepts 'a' and 'b'"});
        CHECK(errors("steps:\n  s:\n    uses: described\n    with: {b: 1}\n") ==
              std::vector<std::string>{"3:11: plugin 'described' needs 'a' in 'with'"});
        CHECK(errors("steps:\n  s:\n    uses: exe\n    with: {anything: 1}\n").empty());
        CHECK(errors("steps:\n  s:\n    uses: wait\n    with: {file: x, timeout: 1s}\n").empty());
        CHECK(errors("steps:\n  s:\n    uses: future\n")[0] ==
              "3:11: plugin 'future' (" + (path.dir / "weft-plugin-future").string() +
                  "): it speaks protocol [2,3]; this weft speaks protocol 1");
    }
}

TEST_CASE("plugin::builtins") {
    for (const auto& b : plugin::builtins()) {
        const weft_plugin* t = b.entry();
        CAPTURE(b.name);
        CHECK(t->size == sizeof(weft_plugin));
        CHECK(t->abi_version == WEFT_PLUGIN_ABI_VERSION);
        CHECK(std::string(t->name) == b.name);
        CHECK(plugin::find_builtin(b.name) == t);
    }
    CHECK(plugin::find_builtin("nope") == nullptr);
}

TEST_CASE("plugin::builtins leave libcurl to the plugin host") {
    // Describing every built-in (as `weft plugins` and validation do) must
    // not need libcurl: only weft-curl.so, loaded in the host, links it.
    for (const auto& b : plugin::builtins()) {
        auto d = plugin::describe(plugin::Found{b.name, plugin::Kind::builtin, ""});
        REQUIRE(d);
        CHECK(d->described);
    }
    std::ifstream maps("/proc/self/maps");
    std::string line;
    bool curl = false;
    while (std::getline(maps, line)) curl = curl || line.find("libcurl") != std::string::npos;
    CHECK_FALSE(curl);
}
