#include <doctest/doctest.h>

#include "weft/engine/up.hpp"
#include "weft/util/time.hpp"

using namespace weft;

namespace {

engine::WorkflowPtr wf(const std::string& yaml, const std::string& file) {
    auto w = std::make_shared<parse::Workflow>();
    w->loaded = parse::load_string(yaml, file);
    w->graph = parse::check(w->loaded);
    REQUIRE_MESSAGE(w->ok(), file);
    return w;
}

} // namespace

TEST_CASE("engine::check_workflow_set") {
    const auto a = wf("name: a\nsteps: {s: {run: x}}\n", "a.yaml");
    const auto a2 = wf("name: a\nsteps: {s: {run: x}}\n", "b.yaml");
    CHECK(engine::check_workflow_set({a}).empty());
    CHECK(engine::check_workflow_set({a, a2}) ==
          std::vector<std::string>{"two workflows are named 'a': a.yaml and b.yaml"});
    const auto p = wf("name: p\non: {workflow: {names: [q]}}\nsteps: {s: {run: x}}\n", "p.yaml");
    const auto q = wf("name: q\non: {workflow: {names: [r]}}\nsteps: {s: {run: x}}\n", "q.yaml");
    const auto r = wf("name: r\non: {workflow: {names: [p]}}\nsteps: {s: {run: x}}\n", "r.yaml");
    const auto problems = engine::check_workflow_set({p, q, r});
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].rfind("a cycle of workflow triggers: p <- q <- r <- p", 0) == 0);
    // A chain and a fan-in are fine, and so is a name nobody defines.
    const auto fan = wf("name: fan\non: {workflow: {names: [p, q, elsewhere]}}\nsteps: {s: {run: x}}\n", "f.yaml");
    CHECK(engine::check_workflow_set({p, q, fan}).empty());
    const auto self = wf("name: self\non: {workflow: {names: [self]}}\nsteps: {s: {run: x}}\n", "s.yaml");
    CHECK(engine::check_workflow_set({self}).size() == 1);
}

TEST_CASE("engine::next_cron_fires and describe_triggers") {
    const auto w = wf("name: n\non:\n  schedule:\n    - cron: '0 3 * * *'\n      timezone: UTC\n    - cron: '30 1 * * *'\n"
                      "      timezone: UTC\n    - every: 10m\n  stdin:\nsteps: {s: {run: x}}\n",
                      "n.yaml");
    const auto from = *parse_rfc3339("2026-11-26T02:00:00.000Z");
    const auto fires = engine::next_cron_fires(*w->loaded.workflow, from, 3);
    REQUIRE(fires.size() == 3);
    CHECK(format_rfc3339(fires[0]) == "2026-11-26T03:00:00.000Z");
    CHECK(format_rfc3339(fires[1]) == "2026-11-27T01:30:00.000Z");
    CHECK(format_rfc3339(fires[2]) == "2026-11-27T03:00:00.000Z");
    CHECK(engine::describe_triggers(*w->loaded.workflow) ==
          std::vector<std::string>{"schedule: cron 0 3 * * * (UTC)", "schedule: cron 30 1 * * * (UTC)", "schedule: every 10m",
                                   "stdin: lines", "manual"});
}
