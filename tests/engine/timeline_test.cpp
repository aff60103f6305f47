// The engine on a fake clock and a fake executor: no process runs, time
// jumps from timer to timer, and each test asserts the exact sequence of
// what the executor was asked and what the observer heard, with times in
// milliseconds from the start.
#include <doctest/doctest.h>

#include <filesystem>

#include "fakes.hpp"
#include "weft/engine/engine.hpp"

namespace {

using weft::Duration;
using weft::model::RunState;
using weft::test::FakeClock;
using weft::test::FakeExecutor;
using weft::test::FakePlan;
using Events = std::vector<std::string>;

struct Timeline : weft::engine::Observer {
    FakeClock* clock = nullptr;
    Events* out = nullptr;
    std::string at(weft::TimePoint t) const { return std::to_string(clock->ms(t)) + " "; }
    void run_started(weft::model::RowId, const std::string& wf, int, weft::TimePoint t) override {
        out->push_back(at(t) + "run " + wf);
    }
    void step_started(weft::model::RowId, const std::string& step, int n,
                      weft::TimePoint t) override {
        out->push_back(at(t) + step + " started #" + std::to_string(n));
    }
    void log(weft::model::RowId, const std::string& step, int stream, const std::string& text,
             weft::TimePoint t) override {
        out->push_back(at(t) + step + (stream == 1 ? " | " : " ! ") + text);
    }
    void step_finished(weft::model::RowId, const std::string& step,
                       const weft::engine::StepEnd& end, weft::TimePoint t) override {
        std::string s = at(t) + step + " " + weft::model::to_string(end.status) + " #" +
                        std::to_string(end.attempt);
        if (!end.message.empty()) s += " (" + end.message + ")";
        if (end.will_retry) s += " retry in " + std::to_string(end.retry_in.count());
        out->push_back(s);
    }
    void run_finished(weft::model::RowId, const std::string& wf, RunState s, Duration,
                      const std::string& message, weft::TimePoint t) override {
        out->push_back(at(t) + "run " + wf + " " + weft::model::to_string(s) +
                       (message.empty() ? "" : " (" + message + ")"));
    }
    void problem(weft::engine::Severity, const std::string& text) override {
        out->push_back(std::to_string(clock->ms()) + " problem " + text);
    }
};

struct Fixture {
    std::string dir;
    weft::store::Store store = std::move(weft::store::Store::open_memory().value());
    FakeClock clock;
    Events events;
    Timeline obs;
    FakeExecutor* exec = nullptr;
    std::map<std::string, std::vector<FakePlan>> plans;
    std::unique_ptr<weft::engine::Engine> eng;
    weft::model::RowId id = 0;
    bool recorded = true;  // what run() returned
    // Called on the engine's config before it is created.
    std::function<void(weft::engine::Config&)> configure;
    // Called on the workflow once it is checked (sub-workflows: its calls).
    std::function<void(weft::parse::Workflow&)> prepare;

    Fixture() {
        char tmpl[] = "/tmp/weft-timeline-test.XXXXXX";
        dir = ::mkdtemp(tmpl);
        obs.clock = &clock;
        obs.out = &events;
    }
    ~Fixture() {
        eng.reset();
        std::filesystem::remove_all(dir);
    }

    // Start the workflow `yaml` at -j `jobs`; `during` runs once it started,
    // before the loop.
    RunState run(const std::string& yaml, int jobs = 1, const std::function<void()>& during = {}) {
        auto wf = std::make_shared<weft::parse::Workflow>();
        wf->loaded = weft::parse::load_string(yaml, "wf.yaml");
        wf->graph = weft::parse::check(wf->loaded);
        REQUIRE(wf->ok());
        if (prepare) prepare(*wf);
        weft::engine::Config c;
        c.state_dir = dir;
        c.owner = "test-owner";
        c.handle_signals = false;
        if (configure) configure(c);
        weft::engine::Seams seams;
        seams.clock = &clock;
        seams.local = [this](weft::engine::ExecHost& host, weft::engine::Clock&) {
            auto e = std::make_unique<FakeExecutor>(host, clock);
            e->plans = plans;
            e->trace = &events;
            exec = e.get();
            return e;
        };
        auto made = weft::engine::Engine::create(store, obs, c, seams);
        REQUIRE(made);
        eng = std::move(*made);
        weft::engine::RunRequest req;
        req.workflow = wf;
        req.jobs = jobs;
        req.event_id =
            store.add_event("manual", nlohmann::json::object(), weft::TimePoint{}).value();
        auto r = eng->start(std::move(req));
        REQUIRE(r);
        id = *r;
        if (during) during();
        recorded = eng->run();
        return eng->status(id);
    }
    // Call `f` at `ms` on the fake clock.
    void at(long long ms, std::function<void()> f) {
        clock.after(Duration{ms - clock.ms()}, std::move(f));
    }
    FakePlan fails(long long after_ms, int code = 1) {
        FakePlan p;
        p.runs = Duration{after_ms};
        p.exit_code = code;
        return p;
    }
    FakePlan passes(long long after_ms, std::string outputs = {}) {
        FakePlan p;
        p.runs = Duration{after_ms};
        p.outputs = std::move(outputs);
        return p;
    }
};

std::string joined(const Events& e) {
    std::string s;
    for (const auto& x : e) s += "\n  " + x;
    return s;
}

// The events heard, as one text: a mismatch prints both sequences whole.
#define CHECK_EVENTS(f, ...) CHECK(joined((f).events) == joined(Events __VA_ARGS__))

}  // namespace

TEST_CASE("engine timeline: retries back off, capped at max-delay") {
    Fixture f;
    f.plans["r"] = {f.fails(50)};
    const auto status = f.run(
        "steps:\n  r:\n    run: x\n"
        "    retry: {attempts: 4, delay: 100ms, backoff: 2, max-delay: 300ms}\n");
    INFO(joined(f.events));
    CHECK(status == RunState::failure);
    CHECK_EVENTS(f, {
                        "0 run wf",
                        "0 start r#1",
                        "0 r started #1",
                        "50 r failure #1 (exit code 1) retry in 100",
                        "150 start r#2",
                        "150 r started #2",
                        "200 r failure #2 (exit code 1) retry in 200",
                        "400 start r#3",
                        "400 r started #3",
                        "450 r failure #3 (exit code 1) retry in 300",
                        "750 start r#4",
                        "750 r started #4",
                        "800 r failure #4 (exit code 1)",
                        "800 run wf failure",
                    });
}

TEST_CASE("engine timeline: a retry that succeeds ends the step's attempts") {
    Fixture f;
    f.plans["r"] = {f.fails(10, 2), f.passes(10)};
    CHECK(f.run("steps:\n  r: {run: x, retry: {attempts: 3, delay: 1s}}\n") == RunState::success);
    CHECK_EVENTS(f, {"0 run wf", "0 start r#1", "0 r started #1",
                     "10 r failure #1 (exit code 2) retry in 1000", "1010 start r#2",
                     "1010 r started #2", "1020 r success #2", "1020 run wf success"});
}

TEST_CASE("engine timeline: a timeout sends SIGTERM, then SIGKILL after the kill-grace") {
    Fixture f;
    FakePlan stubborn = f.passes(10'000);
    stubborn.ignores_term = true;
    f.plans["slow"] = {stubborn};
    f.plans["polite"] = {f.passes(10'000)};
    const auto status = f.run(
        "steps:\n  slow: {run: x, timeout: 200ms, kill-grace: 50ms}\n"
        "  polite: {needs: slow, if: always(), run: x, timeout: 1s}\n");
    INFO(joined(f.events));
    CHECK(status == RunState::failure);
    CHECK_EVENTS(f, {
                        "0 run wf",
                        "0 start slow#1",
                        "0 slow started #1",
                        "200 term slow",
                        "250 kill slow",
                        "250 start polite#1",
                        "250 slow failure #1 (timed out after 200ms)",
                        "250 polite started #1",
                        "1250 term polite",
                        "1250 polite failure #1 (timed out after 1s)",
                        "1250 run wf failure",
                    });
}

TEST_CASE("engine timeline: cancel stops running steps, ends a waiting retry at once") {
    Fixture f;
    f.plans["long"] = {f.passes(5'000)};
    f.plans["flaky"] = {f.fails(10)};
    const auto status = f.run(
        "steps:\n  long: {run: x}\n  flaky: {run: x, retry: {attempts: 3, delay: 10s}}\n"
        "  after: {needs: long, run: x}\n",
        2, [&] { f.at(100, [&] { f.eng->cancel(f.id, "stop it"); }); });
    INFO(joined(f.events));
    CHECK(status == RunState::cancelled);
    CHECK_EVENTS(f, {
                        "0 run wf",
                        "0 start long#1",
                        "0 start flaky#1",
                        "0 long started #1",
                        "0 flaky started #1",
                        "10 flaky failure #1 (exit code 1) retry in 10000",
                        "100 term long",
                        "100 long cancelled #1 (cancelled)",
                        "100 after cancelled #0",
                        "100 flaky cancelled #1 (cancelled)",
                        "100 run wf cancelled (stop it)",
                    });
}

TEST_CASE("engine timeline: a signal cancels, or interrupts under signal_interrupts") {
    const std::string yaml =
        "steps:\n  long: {run: x}\n  flaky: {run: x, retry: {attempts: 3, delay: 10s}}\n"
        "  after: {needs: long, run: x}\n";
    SUBCASE("cancels by default") {
        Fixture f;
        f.plans["long"] = {f.passes(5'000)};
        f.plans["flaky"] = {f.fails(10)};
        const auto status = f.run(yaml, 2, [&] { f.at(100, [&] { f.eng->signal(SIGTERM); }); });
        CHECK(status == RunState::cancelled);
        CHECK(f.eng->interrupted_by() == SIGTERM);
        CHECK(f.events.back() == "100 run wf cancelled (interrupted by SIGTERM)");
    }
    SUBCASE("interrupts: running steps end interrupted, pending ones stay pending") {
        Fixture f;
        f.configure = [](weft::engine::Config& c) { c.signal_interrupts = true; };
        f.plans["long"] = {f.passes(5'000)};
        f.plans["flaky"] = {f.fails(10)};
        const auto status = f.run(yaml, 2, [&] { f.at(100, [&] { f.eng->signal(SIGTERM); }); });
        INFO(joined(f.events));
        CHECK(status == RunState::interrupted);
        CHECK_EVENTS(f, {
                            "0 run wf",
                            "0 start long#1",
                            "0 start flaky#1",
                            "0 long started #1",
                            "0 flaky started #1",
                            "10 flaky failure #1 (exit code 1) retry in 10000",
                            "100 term long",
                            "100 long interrupted #1 (interrupted)",
                            "100 flaky interrupted #1 (interrupted)",
                            "100 run wf interrupted (interrupted by SIGTERM)",
                        });
        auto steps = f.store.get_run(f.id).value()->steps;
        std::map<std::string, std::string> st;
        for (const auto& s : steps) st[s.id] = weft::model::to_string(s.status);
        CHECK(st == std::map<std::string, std::string>{
                        {"after", "pending"}, {"flaky", "interrupted"}, {"long", "interrupted"}});
    }
}

TEST_CASE("engine timeline: fail-fast starts nothing new after a failure") {
    const std::string wf = "steps:\n  a: {run: x}\n  b: {run: x}\n  c: {needs: a, run: x}\n";
    SUBCASE("without it, independent steps still run") {
        Fixture f;
        f.plans["a"] = {f.fails(10)};
        CHECK(f.run(wf) == RunState::failure);
        CHECK_EVENTS(f, {"0 run wf", "0 start a#1", "0 a started #1", "10 start b#1",
                         "10 a failure #1 (exit code 1)", "10 b started #1", "10 c skipped #0",
                         "110 b success #1", "110 run wf failure"});
    }
    SUBCASE("with it, they are skipped") {
        Fixture f;
        f.plans["a"] = {f.fails(10)};
        CHECK(f.run("fail-fast: true\n" + wf) == RunState::failure);
        CHECK_EVENTS(f,
                     {"0 run wf", "0 start a#1", "0 a started #1", "10 a failure #1 (exit code 1)",
                      "10 b skipped #0", "10 c skipped #0", "10 run wf failure"});
    }
}

TEST_CASE("engine timeline: continue-on-error passes a failure to dependents") {
    Fixture f;
    f.plans["a"] = {f.fails(10, 4)};
    CHECK(f.run("steps:\n  a: {run: x, continue-on-error: true}\n  b: {needs: a, run: x}\n") ==
          RunState::success);
    CHECK_EVENTS(f, {"0 run wf", "0 start a#1", "0 a started #1", "10 start b#1",
                     "10 a failure #1 (exit code 4)", "10 b started #1", "110 b success #1",
                     "110 run wf success"});
}

TEST_CASE("engine timeline: if: outcomes") {
    Fixture f;
    f.plans["a"] = {f.passes(10, "v=no\n")};
    f.plans["bad"] = {f.fails(20)};
    const auto status = f.run(
        "steps:\n  a: {run: x}\n"
        "  only-yes: {needs: a, if: \"steps.a.outputs.v == 'yes'\", run: x}\n"
        "  broken: {needs: a, if: 'fromJSON(steps.a.outputs.v)', run: x}\n"
        "  bad: {needs: a, run: x}\n"
        "  on-failure: {needs: bad, if: failure(), run: x}\n"
        "  on-success: {needs: bad, if: success(), run: x}\n");
    INFO(joined(f.events));
    CHECK(status == RunState::failure);
    REQUIRE(f.events.size() == 14);
    CHECK(f.events[6].rfind("10 broken failure #1 (if: fromJSON: invalid JSON", 0) == 0);
    f.events[6] = "10 broken failure #1 (if: ...)";
    CHECK_EVENTS(f, {
                        "0 run wf",
                        "0 start a#1",
                        "0 a started #1",
                        "10 start bad#1",
                        "10 a success #1",
                        "10 only-yes skipped #0",
                        "10 broken failure #1 (if: ...)",
                        "10 bad started #1",
                        "30 start on-failure#1",
                        "30 bad failure #1 (exit code 1)",
                        "30 on-failure started #1",
                        "30 on-success skipped #0",
                        "130 on-failure success #1",
                        "130 run wf failure",
                    });
}

TEST_CASE("engine timeline: a matrix fans in: its dependent waits for every instance") {
    Fixture f;
    f.plans["m[n=1]"] = {f.passes(30, "v1=a\n")};
    f.plans["m[n=2]"] = {f.passes(10, "v2=b\n")};
    f.plans["m[n=3]"] = {f.passes(20, "v3=c\n")};
    const auto status = f.run(
        "steps:\n  m: {matrix: {n: [1, 2, 3]}, run: x}\n"
        "  z: {needs: m, run: 'echo ${{ steps.m.outputs.v1 }}${{ steps.m.outputs.v2 }}${{ "
        "steps.m.outputs.v3 }} ${{ steps.m.status }}'}\n",
        3);
    INFO(joined(f.events));
    CHECK(status == RunState::success);
    CHECK_EVENTS(f, {
                        "0 run wf",
                        "0 start m[n=1]#1",
                        "0 start m[n=2]#1",
                        "0 start m[n=3]#1",
                        "0 m[n=1] started #1",
                        "0 m[n=2] started #1",
                        "0 m[n=3] started #1",
                        "10 m[n=2] success #1",
                        "20 m[n=3] success #1",
                        "30 start z#1",
                        "30 m[n=1] success #1",
                        "30 z started #1",
                        "130 z success #1",
                        "130 run wf success",
                    });
    CHECK(f.exec->scripts["z"] == "echo 'a''b''c' 'success'");
}

TEST_CASE("engine timeline: a run's timeout cancels it and fails it") {
    Fixture f;
    f.plans["s"] = {f.passes(10'000)};
    CHECK(f.run("timeout: 300ms\nsteps:\n  s: {run: x}\n  t: {needs: s, run: x}\n") ==
          RunState::failure);
    CHECK_EVENTS(f, {"0 run wf", "0 start s#1", "0 s started #1", "300 term s",
                     "300 s cancelled #1 (cancelled)", "300 t cancelled #0",
                     "300 run wf failure (the run timed out after 300ms)"});
}

TEST_CASE("engine timeline: a failed store cancels the run and reports nothing more") {
    Fixture f;
    f.plans["a"] = {f.passes(10)};
    f.plans["b"] = {f.passes(1'000)};
    const auto status =
        f.run("steps:\n  a: {run: x}\n  b: {needs: a, run: x}\n  c: {needs: b, run: x}\n", 1, [&] {
            f.at(500, [&] {
                f.eng->fail_store(weft::make_error(weft::Errc::state, "the disk is full"));
            });
        });
    INFO(joined(f.events));
    CHECK_FALSE(f.recorded);
    CHECK(status == RunState::cancelled);
    CHECK_EVENTS(f, {"0 run wf", "0 start a#1", "0 a started #1", "10 start b#1", "10 a success #1",
                     "10 b started #1", "500 problem the disk is full", "500 term b"});
    // The database keeps its last commit: b is running there, as after a crash.
    auto d = f.store.get_run(f.id).value();
    REQUIRE(d);
    CHECK(d->run.status == RunState::running);
    CHECK(d->steps.at(0).status == weft::model::StepState::success);
    CHECK(d->steps.at(1).status == weft::model::StepState::running);
    CHECK(d->steps.at(2).status == weft::model::StepState::pending);
}

// `weft up` starts a queued event's run from the end of the one before
// (Config::on_run_end, once that end is committed). When every step of
// the new run fails before a process starts (a render error), nothing
// wakes the loop again: the engine must still schedule it.
TEST_CASE("engine timeline: a run started by the end of another, failing at render, ends") {
    Fixture f;
    std::shared_ptr<weft::parse::Workflow> wf;
    std::vector<weft::model::RowId> started;
    f.configure = [&](weft::engine::Config& c) {
        c.on_run_end = [&](weft::model::RowId, const std::string&, RunState) {
            if (started.size() >= 3) return;
            weft::engine::RunRequest req;
            req.workflow = wf;
            req.jobs = 1;
            req.event_id =
                f.store.add_event("manual", nlohmann::json::object(), weft::TimePoint{}).value();
            auto r = f.eng->start(std::move(req));
            REQUIRE(r);
            started.push_back(*r);
        };
    };
    const std::string yaml = "steps:\n  r:\n    run: echo ${{ fromJSON('nope') }}\n";
    wf = std::make_shared<weft::parse::Workflow>();
    wf->loaded = weft::parse::load_string(yaml, "wf.yaml");
    wf->graph = weft::parse::check(wf->loaded);
    REQUIRE(wf->ok());
    CHECK(f.run(yaml) == RunState::failure);
    REQUIRE(started.size() == 3);
    for (auto id : started) CHECK(f.eng->status(id) == RunState::failure);
}

TEST_CASE("engine timeline: matrix outputs merge in matrix order, whatever order they finished") {
    const std::string yaml =
        "steps:\n  m: {matrix: {n: [1, 2]}, run: x}\n"
        "  z: {needs: m, run: 'echo ${{ steps.m.outputs.v }} ${{ steps.m.instances[0].matrix.n }}"
        "${{ steps.m.instances[0].outputs.v }} ${{ steps.m.instances[1].matrix.n }}"
        "${{ steps.m.instances[1].outputs.v }} ${{ steps.m.instances[1].status }}'}\n";
    const std::string instances = "'1''one' '2''two' 'success'";
    for (const bool first_ends_first : {true, false}) {
        CAPTURE(first_ends_first);
        Fixture f;
        f.plans["m[n=1]"] = {f.passes(first_ends_first ? 10 : 30, "v=one\n")};
        f.plans["m[n=2]"] = {f.passes(first_ends_first ? 30 : 10, "v=two\n")};
        CHECK(f.run(yaml, 2) == RunState::success);
        // The later instance wins the key, whichever ended last.
        CHECK(f.exec->scripts["z"] == "echo 'two' " + instances);
    }
}

TEST_CASE("engine timeline: finally runs after every step, and sees the run's outcome") {
    const std::string finally =
        "finally:\n"
        "  always: {run: 'echo ${{ steps.a.status }}'}\n"
        "  on-fail: {if: failure(), run: x}\n"
        "  on-ok: {if: success(), run: x}\n"
        "  on-cancel: {if: cancelled(), run: x}\n"
        "  after: {needs: always, run: x}\n";
    SUBCASE("after a failure, with a skipped step") {
        Fixture f;
        f.plans["a"] = {f.fails(10)};
        const auto status = f.run("steps:\n  a: {run: x}\n  b: {needs: a, run: x}\n" + finally, 4);
        INFO(joined(f.events));
        CHECK(status == RunState::failure);
        CHECK_EVENTS(f, {
                            "0 run wf",
                            "0 start a#1",
                            "0 a started #1",
                            "10 start always#1",
                            "10 start on-fail#1",
                            "10 a failure #1 (exit code 1)",
                            "10 b skipped #0",
                            "10 always started #1",
                            "10 on-fail started #1",
                            "10 on-ok skipped #0",
                            "10 on-cancel skipped #0",
                            "110 start after#1",
                            "110 always success #1",
                            "110 after started #1",
                            "110 on-fail success #1",
                            "210 after success #1",
                            "210 run wf failure",
                        });
        CHECK(f.exec->scripts["always"] == "echo 'failure'");
    }
    SUBCASE("a failing finally step turns success into failure") {
        Fixture f;
        f.plans["on-ok"] = {f.fails(10)};
        CHECK(f.run("steps:\n  a: {run: x}\n" + finally, 4) == RunState::failure);
        CHECK(f.events.back() == "300 run wf failure");
    }
    SUBCASE("after a cancel; the run stays cancelled when a finally step fails") {
        Fixture f;
        f.plans["a"] = {f.passes(5'000)};
        f.plans["on-cancel"] = {f.fails(10)};
        const auto status = f.run("steps:\n  a: {run: x}\n" + finally, 4,
                                  [&] { f.at(100, [&] { f.eng->cancel(f.id, "stop it"); }); });
        INFO(joined(f.events));
        CHECK(status == RunState::cancelled);
        CHECK_EVENTS(f, {
                            "0 run wf",
                            "0 start a#1",
                            "0 a started #1",
                            "100 term a",
                            "100 start always#1",
                            "100 start on-cancel#1",
                            "100 a cancelled #1 (cancelled)",
                            "100 always started #1",
                            "100 on-fail skipped #0",
                            "100 on-ok skipped #0",
                            "100 on-cancel started #1",
                            "110 on-cancel failure #1 (exit code 1)",
                            "200 start after#1",
                            "200 always success #1",
                            "200 after started #1",
                            "300 after success #1",
                            "300 run wf cancelled (stop it)",
                        });
    }
    SUBCASE("after the run's timeout, which does not bound them") {
        Fixture f;
        f.plans["a"] = {f.passes(5'000)};
        f.plans["always"] = {f.passes(1'000)};
        const auto status = f.run("timeout: 300ms\nsteps:\n  a: {run: x}\n" + finally, 4);
        INFO(joined(f.events));
        CHECK(status == RunState::failure);
        CHECK(f.events[4] == "300 start always#1");
        CHECK(f.events[5] == "300 start on-fail#1");
        CHECK(f.events[12] == "1300 start after#1");
        CHECK(f.events.back() == "1400 run wf failure (the run timed out after 300ms)");
    }
    SUBCASE("a second signal skips them; under signal_interrupts they do not run") {
        for (const bool interrupts : {false, true}) {
            CAPTURE(interrupts);
            Fixture f;
            f.configure = [&](weft::engine::Config& c) { c.signal_interrupts = interrupts; };
            f.plans["a"] = {f.passes(5'000)};
            f.plans["always"] = {f.passes(1'000)};
            f.plans["on-cancel"] = {f.passes(10)};
            const auto status = f.run("steps:\n  a: {run: x}\n" + finally, 4, [&] {
                f.at(100, [&] { f.eng->signal(SIGINT); });
                f.at(200, [&] { f.eng->signal(SIGINT); });
            });
            INFO(joined(f.events));
            CHECK(status == (interrupts ? RunState::interrupted : RunState::cancelled));
            if (interrupts) {
                CHECK(f.events.size() == 6);
                CHECK(f.events.back() == "100 run wf interrupted (interrupted by SIGINT)");
                continue;
            }
            CHECK_EVENTS(f, {
                                "0 run wf",
                                "0 start a#1",
                                "0 a started #1",
                                "100 term a",
                                "100 start always#1",
                                "100 start on-cancel#1",
                                "100 a cancelled #1 (cancelled)",
                                "100 always started #1",
                                "100 on-fail skipped #0",
                                "100 on-ok skipped #0",
                                "100 on-cancel started #1",
                                "110 on-cancel success #1",
                                "200 term always",
                                "200 always cancelled #1 (cancelled)",
                                "200 after skipped #0 (skipped: 'finally' was stopped)",
                                "200 run wf cancelled (interrupted by SIGINT)",
                            });
        }
    }
}

TEST_CASE("engine timeline: an env-file that cannot be read fails the run before its first step") {
    Fixture f;
    const auto status = f.run("env-file: " + f.dir +
                              "/missing.env\nsteps:\n  a: {run: x}\n  b: {needs: a, run: x}\n");
    INFO(joined(f.events));
    CHECK(status == RunState::failure);
    REQUIRE(f.events.size() == 4);
    CHECK(f.events[1].rfind("0 a skipped #0 (not run: " + f.dir + "/missing.env: error: ", 0) == 0);
    CHECK(f.events[2].rfind("0 b skipped #0 (not run: ", 0) == 0);
    CHECK(f.events[3].rfind("0 run wf failure (" + f.dir + "/missing.env: error: ", 0) == 0);
}

// Sub-workflows (SPEC §9.1): the child runs as a run of its own, its steps
// reported nested under the calling step; the step's outputs are the
// child's `outputs`; a child run's end is no `workflow` event (on_run_end).
TEST_CASE("engine timeline: a sub-workflow step runs its child and ends no workflow event") {
    Fixture f;
    std::vector<std::string> ended;
    f.configure = [&](weft::engine::Config& c) {
        c.on_run_end = [&](weft::model::RowId, const std::string& name, RunState) {
            ended.push_back(name);
        };
    };
    auto child = std::make_shared<weft::parse::Workflow>();
    child->loaded = weft::parse::load_string(
        "name: child\nparams: {who: {required: true}}\n"
        "outputs: {o: '${{ steps.c.outputs.v }}-${{ params.who }}'}\nsteps:\n  c: {run: x}\n",
        "child.yaml");
    child->graph = weft::parse::check(child->loaded);
    REQUIRE(child->ok());
    f.prepare = [&](weft::parse::Workflow& wf) { wf.calls = {child, nullptr}; };
    f.plans["c"] = {f.passes(10, "v=1\n")};
    const std::string yaml =
        "name: parent\nsteps:\n  call: {uses: ./child.yaml, with: {who: ada}}\n"
        "  z: {needs: call, run: 'echo ${{ steps.call.outputs.o }}'}\n";
    CHECK(f.run(yaml, 2) == RunState::success);
    CHECK(f.exec->scripts["z"] == "echo '1-ada'");
    CHECK(ended == std::vector<std::string>{"parent"});
    const auto has = [&](const std::string& text) {
        return std::any_of(f.events.begin(), f.events.end(),
                           [&](const std::string& e) { return e.find(text) != std::string::npos; });
    };
    CHECK(has("call/c started #1"));
    CHECK(has("call/c success #1"));
    CHECK(!has("run child"));
    auto kids = f.store.child_runs(f.id);
    REQUIRE(kids);
    REQUIRE(kids->size() == 1);
    CHECK(kids->at(0).step == "call");
}

// -j bounds the steps of the whole process (SPEC §9.1): a child run's steps
// take the caller's slots; the call step itself holds none (at -j 1 the
// child could never start otherwise). Per run, p, c1 and c2 would all start
// at once at -j 2.
TEST_CASE("engine timeline: -j bounds a caller's steps and its child's together") {
    Fixture f;
    auto child = std::make_shared<weft::parse::Workflow>();
    child->loaded =
        weft::parse::load_string("name: child\nsteps:\n  c1: {run: x}\n  c2: {run: x}\n", "c.yaml");
    child->graph = weft::parse::check(child->loaded);
    REQUIRE(child->ok());
    f.prepare = [&](weft::parse::Workflow& wf) { wf.calls = {child, nullptr}; };
    f.plans["c1"] = {f.passes(10)};
    f.plans["c2"] = {f.passes(10)};
    f.plans["p"] = {f.passes(10)};
    const std::string yaml = "name: parent\nsteps:\n  call: {uses: ./c.yaml}\n  p: {run: x}\n";
    CHECK(f.run(yaml, 2) == RunState::success);
    std::vector<std::string> starts;
    for (const auto& e : f.events)
        if (e.find(" started #") != std::string::npos && e.find("call ") == std::string::npos)
            starts.push_back(e.substr(0, e.find(' ')));
    // Three processes, two at a time: the third starts when one ended.
    CHECK(starts == std::vector<std::string>{"0", "0", "10"});
}

// Shutdown (Config::signal_interrupts) reaches a child run's steps: the
// child and its caller are both left interrupted, for `weft resume`.
TEST_CASE("engine timeline: a stop signal interrupts a child run and its caller") {
    Fixture f;
    f.configure = [](weft::engine::Config& c) { c.signal_interrupts = true; };
    auto child = std::make_shared<weft::parse::Workflow>();
    child->loaded = weft::parse::load_string(
        "name: child\nsteps:\n  c: {run: x}\n  d: {needs: c, run: x}\n", "c.yaml");
    child->graph = weft::parse::check(child->loaded);
    REQUIRE(child->ok());
    f.prepare = [&](weft::parse::Workflow& wf) { wf.calls = {child}; };
    f.plans["c"] = {f.passes(5'000)};
    const auto status = f.run("name: parent\nsteps:\n  call: {uses: ./c.yaml}\n", 2,
                              [&] { f.at(100, [&] { f.eng->signal(SIGTERM); }); });
    INFO(joined(f.events));
    CHECK(status == RunState::interrupted);
    auto kids = f.store.child_runs(f.id);
    REQUIRE(kids);
    REQUIRE(kids->size() == 1);
    auto kid = f.store.get_run(kids->at(0).run).value();
    REQUIRE(kid);
    CHECK(kid->run.status == RunState::interrupted);
    std::map<std::string, std::string> st;
    for (const auto& s : kid->steps) st[s.id] = weft::model::to_string(s.status);
    CHECK(st == std::map<std::string, std::string>{{"c", "interrupted"}, {"d", "pending"}});
    CHECK(f.store.get_run(f.id).value()->steps.at(0).status == weft::model::StepState::interrupted);
}
