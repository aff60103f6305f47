#include <doctest/doctest.h>

#include <filesystem>

#include <unistd.h>

#include "support/workflow.hpp"
#include "weft/engine/triggers/file.hpp"
#include "weft/engine/triggers/schedule.hpp"
#include "weft/util/time.hpp"

using namespace weft;

TEST_CASE("engine::path_under") {
    CHECK(engine::path_under("src/a.c", "src"));
    CHECK(engine::path_under("src", "src"));
    CHECK(engine::path_under("anything", "."));
    CHECK(!engine::path_under("srcx/a.c", "src"));
    CHECK(!engine::path_under("sr", "src"));
}

TEST_CASE("engine::glob_root: the fixed prefix, cut to a directory that exists") {
    namespace fs = std::filesystem;
    const auto old = fs::current_path();
    const fs::path dir =
        fs::temp_directory_path() / ("weft_globroot_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "src/lib");
    fs::current_path(dir);
    CHECK(engine::glob_root("src/**/*.c") == "src");
    CHECK(engine::glob_root("./src/lib/*.h") == "src/lib");
    CHECK(engine::glob_root("src/lib/gen/x.c") == "src/lib");  // gen/ does not exist yet
    CHECK(engine::glob_root("*.c") == ".");
    CHECK(engine::glob_root("nope/*.c") == ".");
    CHECK(engine::glob_root("src/{a,b}/x") == "src");
    fs::current_path(old);
    fs::remove_all(dir);
}

// The schedule trigger on a real loop, without an Engine: arming catches up
// the fires missed since the stored last fire, records them as schedule
// events (late), and keeps the next fire for `weft status`.
TEST_CASE("engine::ScheduleTrigger: arming catches up missed cron fires") {
    auto store = store::Store::open_memory();
    REQUIRE(store);
    std::vector<nlohmann::json> said;
    engine::Dispatch d(*store, [&](const nlohmann::json& j) { said.push_back(j); });
    d.workflows()["w"].wf = test::valid_workflow(
        "name: w\ncatchup: all\non: {schedule: [{cron: '0 * * * *', timezone: UTC}]}\n"
        "concurrency: {limit: 1}\nsteps: {s: {run: x}}\n",
        "w.yaml");
    const TimePoint t0 = now();
    REQUIRE(store->set_last_fire("w", "0 * * * * UTC", t0 - std::chrono::hours(3)));
    uv_loop_t loop;
    uv_loop_init(&loop);
    {
        engine::ScheduleTrigger trigger(d, &loop);
        REQUIRE(trigger.arm());
        REQUIRE(said.size() == 3);  // the three hours since
        for (const auto& j : said) {
            CHECK(j["type"] == "event");
            CHECK(j["kind"] == "schedule");
            CHECK(j["cron"] == "0 * * * * UTC");
            auto ev = store->get_event(j["id"].get<model::RowId>());
            REQUIRE((ev && *ev));
            CHECK((*ev)->payload["late"] == true);
            CHECK((*ev)->payload["time"] == j["time"]);
        }
        const auto last = store->last_fire("w", "0 * * * * UTC");
        REQUIRE((last && *last));
        CHECK(format_rfc3339(**last) == said.back()["time"]);
        const auto next = trigger.next_fires("w");
        REQUIRE(next.size() == 1);
        CHECK(next[0] > t0);
        CHECK(next[0] - **last == std::chrono::hours(1));
        trigger.disarm();
        CHECK(trigger.next_fires("w").empty());
    }
    uv_run(&loop, UV_RUN_DEFAULT);  // the closes complete
    CHECK(uv_loop_close(&loop) == 0);
}
