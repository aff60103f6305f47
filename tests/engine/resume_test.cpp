// What `weft resume` keeps, reruns and follows again.
#include <doctest/doctest.h>

#include "weft/engine/resume.hpp"

using weft::model::RunState;
using weft::model::StepState;

TEST_CASE("engine::plan_resume") {
    weft::store::RunDetail d;
    d.run.id = 7;
    d.run.attempt = 2;
    d.run.status = RunState::interrupted;
    auto step = [&](std::string id, StepState s, int attempts) -> weft::store::StepRow& {
        weft::store::StepRow r;
        r.id = std::move(id);
        r.status = s;
        r.attempts = attempts;
        d.steps.push_back(r);
        return d.steps.back();
    };
    step("ok", StepState::success, 1).outputs = {{"v", "1"}};
    step("fresh", StepState::up_to_date, 0);
    step("bad", StepState::failure, 3);
    auto& job = step("job", StepState::running, 2);
    weft::store::AttemptRow left;
    left.number = 2;
    left.status = StepState::running;
    left.slurm = weft::store::SlurmJobRef{};
    job.attempt_rows = {weft::store::AttemptRow{}, left};
    job.attempt_rows[0].status = StepState::failure;
    auto& local = step("local", StepState::running, 1);
    local.attempt_rows = {weft::store::AttemptRow{}};  // a local process: never followed again

    SUBCASE("done steps are kept with their outputs; a running Slurm job is followed again") {
        auto r = weft::engine::plan_resume(d);
        REQUIRE(r);
        CHECK(r->run == 7);
        CHECK(r->attempt == 3);
        CHECK(r->done.size() == 2);
        CHECK(r->done.at("ok") == nlohmann::json{{"v", "1"}});
        CHECK(r->done.count("fresh") == 1);
        CHECK(r->attempts.at("bad") == 3);
        CHECK(r->attempts.at("job") == 2);
        REQUIRE(r->reattach.size() == 1);
        CHECK(r->reattach.at("job").number == 2);
    }
    SUBCASE("only interrupted, failed and cancelled runs") {
        d.run.status = RunState::success;
        auto r = weft::engine::plan_resume(d);
        REQUIRE_FALSE(r);
        CHECK(r.error().message ==
              "run 7 is success; only interrupted, failed and cancelled runs can be resumed");
        d.run.status = RunState::cancelled;
        CHECK(weft::engine::plan_resume(d));
    }
}
