#include <doctest/doctest.h>

#include "support/workflow.hpp"
#include "weft/cron/cron.hpp"
#include "weft/engine/up.hpp"
#include "weft/util/time.hpp"

using namespace weft;

namespace {

const auto wf = test::valid_workflow;

}  // namespace

TEST_CASE("engine::next_schedule_fires and describe_triggers") {
    const auto w =
        wf("name: n\non:\n  schedule:\n    - cron: '0 3 * * *'\n      timezone: UTC\n    - cron: "
           "'30 1 * * *'\n"
           "      timezone: UTC\n    - every: 10m\n  stdin:\nsteps: {s: {run: x}}\n",
           "n.yaml");
    const auto from = *parse_rfc3339("2026-11-26T02:00:00.000Z");
    // Cron and `every:` entries together, soonest first (issue 18: `every:`
    // entries were left out).
    const auto fires = engine::next_schedule_fires(*w->loaded.workflow, from, 3);
    REQUIRE(fires.size() == 3);
    CHECK(format_rfc3339(fires[0]) == "2026-11-26T02:10:00.000Z");
    CHECK(format_rfc3339(fires[1]) == "2026-11-26T02:20:00.000Z");
    CHECK(format_rfc3339(fires[2]) == "2026-11-26T02:30:00.000Z");
    const auto crons = engine::next_schedule_fires(*w->loaded.workflow, from, 8);
    REQUIRE(crons.size() == 8);
    CHECK(format_rfc3339(crons[5]) == "2026-11-26T03:00:00.000Z");
    CHECK(engine::describe_triggers(*w->loaded.workflow) ==
          std::vector<std::string>{"schedule: cron 0 3 * * * (UTC)",
                                   "schedule: cron 30 1 * * * (UTC)", "schedule: every 10m",
                                   "stdin: lines", "manual"});
}

TEST_CASE("engine::plan_cron: catch-up and clock jumps with an injected clock") {
    const auto every2s = *cron::parse("*/2 * * * * *");
    const auto hourly = *cron::parse("0 * * * *");
    const auto* utc = *cron::find_zone("UTC");
    const auto t = [](const char* s) { return *parse_rfc3339(s); };
    const Duration on_time = std::chrono::seconds(1);
    auto times = [](const engine::CronPlan& p) {
        std::vector<std::string> out;
        for (const auto& [f, late] : p.fires)
            out.push_back(format_rfc3339(f) + (late ? " late" : ""));
        return out;
    };

    SUBCASE("on time: the timer woke at the fire") {
        const auto p =
            engine::plan_cron(hourly, utc, model::Catchup::latest, t("2026-03-01T10:00:00.000Z"),
                              t("2026-03-01T11:00:00.003Z"), on_time);
        CHECK(times(p) == std::vector<std::string>{"2026-03-01T11:00:00.000Z"});
        CHECK(format_rfc3339(*p.last) == "2026-03-01T11:00:00.000Z");
        CHECK(format_rfc3339(*p.next) == "2026-03-01T12:00:00.000Z");
    }
    SUBCASE("down three hours: none, latest, all") {
        const auto last = t("2026-03-01T10:00:00.000Z"), now = t("2026-03-01T13:30:00.000Z");
        CHECK(times(engine::plan_cron(hourly, utc, model::Catchup::none, last, now, on_time))
                  .empty());
        CHECK(times(engine::plan_cron(hourly, utc, model::Catchup::latest, last, now, on_time)) ==
              std::vector<std::string>{"2026-03-01T13:00:00.000Z late"});
        const auto all = engine::plan_cron(hourly, utc, model::Catchup::all, last, now, on_time);
        CHECK(times(all) == std::vector<std::string>{"2026-03-01T11:00:00.000Z late",
                                                     "2026-03-01T12:00:00.000Z late",
                                                     "2026-03-01T13:00:00.000Z late"});
        CHECK(format_rfc3339(*all.last) ==
              "2026-03-01T13:00:00.000Z");  // none and latest too: never again
        CHECK(format_rfc3339(*all.next) == "2026-03-01T14:00:00.000Z");
    }
    SUBCASE("a clock jump forward: missed fires once (latest), then the on-time one") {
        const auto p =
            engine::plan_cron(every2s, utc, model::Catchup::latest, t("2026-03-01T10:00:04.000Z"),
                              t("2026-03-01T13:00:00.200Z"), on_time);
        CHECK(times(p) == std::vector<std::string>{"2026-03-01T12:59:58.000Z late",
                                                   "2026-03-01T13:00:00.000Z"});
        CHECK(format_rfc3339(*p.next) == "2026-03-01T13:00:02.000Z");
    }
    SUBCASE("a clock jump backward: nothing fires twice") {
        const auto p =
            engine::plan_cron(every2s, utc, model::Catchup::all, t("2026-03-01T13:00:00.000Z"),
                              t("2026-03-01T11:00:00.000Z"), on_time);
        CHECK(p.fires.empty());
        CHECK(!p.last);
        CHECK(format_rfc3339(*p.next) == "2026-03-01T13:00:02.000Z");
    }
    SUBCASE("a year down with a per-second cron: bounded work, at most 1000 caught up") {
        const auto p = engine::plan_cron(*cron::parse("* * * * * *"), utc, model::Catchup::all,
                                         t("2025-03-01T00:00:00.000Z"),
                                         t("2026-03-01T00:00:00.500Z"), on_time);
        REQUIRE(p.fires.size() == 1001);  // 1000 late, and 00:00:00 on time
        CHECK(format_rfc3339(p.fires.front().first) == "2026-02-28T23:43:20.000Z");
        CHECK(format_rfc3339(p.fires.back().first) == "2026-03-01T00:00:00.000Z");
        CHECK(!p.fires.back().second);
    }
}
