// The engine on an in-memory store with real processes: what the observer
// hears and what the store keeps.
#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>

#include "weft/engine/engine.hpp"

namespace {

weft::engine::Config test_config(const std::string& dir) {
    weft::engine::Config c;
    c.state_dir = dir;
    c.owner = "test-owner";
    c.handle_signals = false;
    return c;
}

using weft::model::StepState;

struct Recorder : weft::engine::Observer {
    std::vector<std::string> events;
    weft::Duration every{0};  // tick_interval()
    int ticks = 0;
    weft::Duration tick_interval() const override { return every; }
    void tick(weft::TimePoint) override { ++ticks; }
    void problem(weft::engine::Severity, const std::string& text) override {
        events.push_back("problem " + text);
    }
    void run_started(weft::model::RowId, const std::string& wf, int, weft::TimePoint) override {
        events.push_back("run_started " + wf);
    }
    void step_started(weft::model::RowId, const std::string& step, int attempt,
                      weft::TimePoint) override {
        events.push_back("step_started " + step + " " + std::to_string(attempt));
    }
    void log(weft::model::RowId, const std::string& step, int stream, const std::string& text,
             weft::TimePoint) override {
        events.push_back("log " + step + " " + std::to_string(stream) + " " + text);
    }
    void step_finished(weft::model::RowId, const std::string& step,
                       const weft::engine::StepEnd& end, weft::TimePoint) override {
        events.push_back("step_finished " + step + " " + weft::model::to_string(end.status) +
                         (end.will_retry ? " retry" : ""));
    }
    void run_finished(weft::model::RowId, const std::string& wf, weft::model::RunState s,
                      weft::Duration, const std::string&, weft::TimePoint) override {
        events.push_back("run_finished " + wf + " " + weft::model::to_string(s));
    }
};

struct Fixture {
    std::string dir;
    weft::store::Store store = std::move(weft::store::Store::open_memory().value());
    Recorder rec;
    Fixture() {
        char tmpl[] = "/tmp/weft-engine-test.XXXXXX";
        dir = ::mkdtemp(tmpl);
    }
    ~Fixture() { std::filesystem::remove_all(dir); }

    weft::model::RunState run(const std::string& yaml, weft::model::RowId* id = nullptr) {
        auto wf = std::make_shared<weft::parse::Workflow>();
        wf->loaded = weft::parse::load_string(yaml, "wf.yaml");
        wf->graph = weft::parse::check(wf->loaded);
        REQUIRE(wf->ok());
        auto eng = weft::engine::Engine::create(store, rec, test_config(dir));
        REQUIRE(eng);
        weft::engine::RunRequest req;
        req.workflow = wf;
        req.event_id =
            store.add_event("manual", nlohmann::json::object(), weft::TimePoint{}).value();
        auto r = (*eng)->start(std::move(req));
        REQUIRE(r);
        if (id) *id = *r;
        REQUIRE((*eng)->run());
        return (*eng)->status(*r);
    }
};

}  // namespace

TEST_CASE("engine::run") {
    Fixture f;
    SUBCASE("steps run in dependency order; outputs flow; everything is stored") {
        weft::model::RowId id = 0;
        CHECK(f.run("defaults: {shell: sh}\nsteps:\n  b:\n    needs: a\n    run: echo \"got ${{ "
                    "steps.a.outputs.v }}\"\n"
                    "  a:\n    run: echo v=42 >> \"$WEFT_OUTPUT\"\n",
                    &id) == weft::model::RunState::success);
        CHECK(f.rec.events == std::vector<std::string>{
                                  "run_started wf", "step_started a 1", "step_finished a success",
                                  "step_started b 1", "log b 1 got 42", "step_finished b success",
                                  "run_finished wf success"});
        auto d = f.store.get_run(id).value();
        REQUIRE(d);
        REQUIRE(d->steps.size() == 2);
        CHECK(d->steps[0].id == "a");
        CHECK(d->steps[0].outputs == nlohmann::json{{"v", "42"}});
        CHECK(d->steps[1].exit_code == 0);
        CHECK(f.store.get_logs(id).value().at(0).text == "got 42");
    }
    SUBCASE("a failure skips dependents, runs failure() and independent steps") {
        std::string seen;
        INFO("events: ", seen);
        auto status = f.run(
            "defaults: {shell: sh}\nsteps:\n  bad: {run: 'echo oops >&2; exit 3'}\n"
            "  dep: {needs: bad, run: 'true'}\n  cleanup: {needs: dep, if: failure(), run: "
            "'true'}\n"
            "  other: {run: 'true'}\n");
        for (const auto& e : f.rec.events) seen += "\n  " + e;
        CHECK(status == weft::model::RunState::failure);
        auto has = [&](const std::string& e) {
            return std::find(f.rec.events.begin(), f.rec.events.end(), e) != f.rec.events.end();
        };
        CHECK(has("log bad 2 oops"));
        CHECK(has("step_finished bad failure"));
        CHECK(has("step_finished dep skipped"));
        CHECK(has("step_finished cleanup success"));
        CHECK(has("step_finished other success"));
    }
    SUBCASE("a chain of skipped steps still reaches its failure() step") {
        // Regression: skipping made the next step ready after the loop had
        // nothing left to wake it, and the run never ended.
        CHECK(f.run("defaults: {shell: sh}\nsteps:\n  bad: {run: 'exit 1'}\n  d1: {needs: bad, "
                    "run: 'true'}\n"
                    "  d2: {needs: d1, run: 'true'}\n  d3: {needs: d2, run: 'true'}\n"
                    "  cleanup: {needs: d3, if: failure(), run: 'true'}\n") ==
              weft::model::RunState::failure);
        CHECK(f.rec.events.at(f.rec.events.size() - 2) == "step_finished cleanup success");
    }
    SUBCASE("retries until the attempts are used up") {
        CHECK(f.run("steps:\n  r:\n    shell: sh\n    retry: {attempts: 3}\n    run: exit 1\n") ==
              weft::model::RunState::failure);
        CHECK(std::count(f.rec.events.begin(), f.rec.events.end(),
                         "step_finished r failure retry") == 2);
        CHECK(f.rec.events.back() == "run_finished wf failure");
    }
    SUBCASE("an observer that asks for ticks gets them while steps run, and the run still ends") {
        f.rec.every = weft::Duration{20};
        CHECK(f.run("steps:\n  s: {shell: sh, run: 'sleep 0.3'}\n") ==
              weft::model::RunState::success);
        CHECK(f.rec.ticks >= 3);
    }
    SUBCASE("no ticks unless asked") {
        CHECK(f.run("steps:\n  s: {shell: sh, run: 'sleep 0.1'}\n") ==
              weft::model::RunState::success);
        CHECK(f.rec.ticks == 0);
    }
    SUBCASE("a bad $WEFT_OUTPUT fails the step") {
        CHECK(f.run("steps:\n  o: {shell: sh, run: 'echo junk >> \"$WEFT_OUTPUT\"'}\n") ==
              weft::model::RunState::failure);
    }
    SUBCASE("a missing working directory fails the step, not the engine") {
        CHECK(
            f.run("steps:\n  w: {shell: sh, working-directory: /nonexistent/dir, run: 'true'}\n") ==
            weft::model::RunState::failure);
    }
}
