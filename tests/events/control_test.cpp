// The control server never lets a client's mistake, or a handler's
// exception, escape its libuv callback: each becomes {"ok": false}.
#include <doctest/doctest.h>
#include <uv.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <thread>

#include "weft/events/control.hpp"

namespace {

using Json = nlohmann::json;

// The reply to `line` from a server whose handler is `handler`.
Json ask(const std::string& line, weft::events::ControlServer::Handler handler) {
    char tmpl[] = "/tmp/weft-control-test.XXXXXX";
    const std::string dir = ::mkdtemp(tmpl);
    const std::string path = dir + "/c.sock";
    uv_loop_t loop;
    uv_loop_init(&loop);
    Json reply;
    std::atomic<bool> done{false};
    {
        auto server = weft::events::ControlServer::listen(&loop, path, std::move(handler));
        REQUIRE(server);
        std::thread client([&] {
            auto r = weft::events::control_call(path, Json::parse(line), std::chrono::seconds{5});
            reply = r ? *r : Json{{"client", r.error().message}};
            done = true;
        });
        // The server's handles keep no loop alive: a timer does, until answered.
        uv_timer_t tick;
        uv_timer_init(&loop, &tick);
        uv_timer_start(
            &tick, [](uv_timer_t*) {}, 10, 10);
        for (int i = 0; i < 500 && !done; ++i) uv_run(&loop, UV_RUN_ONCE);
        client.join();
        uv_close(reinterpret_cast<uv_handle_t*>(&tick), nullptr);
    }
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    std::filesystem::remove_all(dir);
    return reply;
}

}  // namespace

TEST_CASE("control server: a handler's exception is an error reply") {
    auto r = ask(R"({"op": 1})", [](const Json& req) -> Json {
        return {{"op", req.value("op", "")}};  // throws: op is not a string
    });
    INFO(r.dump());
    CHECK(r.value("ok", true) == false);
    CHECK(r.value("error", "").find("the request failed") != std::string::npos);
}

TEST_CASE("control server: check_field names the field and the type it wants") {
    const Json req = {{"op", "cancel"}, {"run", "1"}, {"reason", 5}};
    CHECK_FALSE(weft::events::check_field(req, "op", "string", true));
    CHECK_FALSE(weft::events::check_field(req, "missing", "string", false));
    auto run = weft::events::check_field(req, "run", "integer", true);
    REQUIRE(run);
    CHECK((*run)["error"] == "'run' must be an integer, not string");
    auto reason = weft::events::check_field(req, "reason", "string", false);
    REQUIRE(reason);
    CHECK((*reason)["error"] == "'reason' must be a string, not number");
    auto missing = weft::events::check_field(req, "workflow", "string", true);
    REQUIRE(missing);
    CHECK((*missing)["error"] == "the request has no 'workflow'");
}
