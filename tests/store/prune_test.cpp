// Retention (Store::prune), the log cap (Store::append_logs) and the
// migration that added its count (schema 1 -> 2).
#include <doctest/doctest.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <thread>

#include "support/store.hpp"
#include "weft/report/json.hpp"
#include "weft/store/store.hpp"

using namespace weft;
using namespace weft::store;
using nlohmann::json;
using weft::model::RowId;
using weft::model::RunState;
using weft::model::StepState;
using weft::test::at;
using weft::test::memory;
using weft::test::must;

namespace {

namespace fs = std::filesystem;

struct TempDir {
    fs::path path;
    TempDir() {
        const char* base = std::getenv("TMPDIR");
        std::string tmpl = std::string(base && *base ? base : "/tmp") + "/weft-prune-XXXXXX";
        REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
        path = tmpl;
    }
    ~TempDir() {
        std::error_code ec;
        fs::remove_all(path, ec);
    }
    std::string file(const std::string& name) const { return (path / name).string(); }
};

constexpr std::int64_t k_day = 86'400'000;
// 2026-11-26T14:53:35.123Z
constexpr std::int64_t k_now = 1795704815123;

// A run of `workflow` started `age_days` before k_now, in state `status`
// (ended a second after it started unless queued or running), with steps
// "a" (one attempt, two log lines, an output) and "b" (never started).
RowId add_run(Store& s, const std::string& workflow, std::int64_t age_days,
              RunState status = RunState::success, std::optional<RowId> event = {}) {
    const TimePoint started = at(k_now - age_days * k_day);
    const RowId ev = event ? *event : must(s.add_event("manual", json::object(), started));
    const RowId run = must(s.create_run({.workflow = workflow,
                                         .file = "/w/" + workflow + ".yaml",
                                         .event_id = ev,
                                         .started = started,
                                         .owner = "owner-1"}));
    const std::vector<std::string> steps{"a", "b"};
    must(s.add_steps(run, steps));
    const RowId att = must(s.start_attempt(run, "a", 1, started));
    const std::vector<LogLine> lines{
        {.attempt_id = att, .run_id = run, .step = "a", .time = started, .text = "one"},
        {.attempt_id = att, .run_id = run, .step = "a", .time = started, .text = "two"}};
    must(s.append_logs(lines));
    must(s.set_step_outputs(run, "a", json{{"k", "v"}}));
    if (status != RunState::running && status != RunState::queued) {
        const TimePoint ended = started + std::chrono::seconds(1);
        must(s.finish_attempt(att, {.status = StepState::success, .ended = ended, .exit_code = 0}));
        must(s.set_step(run, "a", StepState::success, {.ended = ended}));
        must(s.set_run_status(run, status, {.ended = ended}));
    } else {
        must(s.set_step(run, "a", StepState::running, {.started = started}));
        must(s.set_run_status(run, status));
    }
    return run;
}

std::vector<RowId> ids_of(Store& s, const std::string& workflow) {
    std::vector<RowId> out;
    for (const auto& r : must(s.list_runs({.workflow = workflow}))) out.push_back(r.id);
    std::reverse(out.begin(), out.end());  // oldest first
    return out;
}

// A run of "a" 100 days old with 4999 more log lines: three batches of prune.
RowId add_big_run(Store& s) {
    const RowId big = add_run(s, "a", 100);
    std::vector<LogLine> lines;
    for (int i = 0; i < 4999; ++i)
        lines.push_back({.run_id = big, .step = "b", .time = at(k_now), .text = "x"});
    must(s.append_logs(lines));
    return big;
}

Retention keep(std::int64_t runs, int days) {
    return Retention{runs, std::chrono::days{days}};
}

}  // namespace

TEST_CASE("store::prune") {
    Store s = memory();

    SUBCASE("keeps the newest `runs` runs") {
        std::vector<RowId> a;
        for (int i = 0; i < 5; ++i) a.push_back(add_run(s, "a", 1));
        const RowId b = add_run(s, "b", 1);
        auto r = must(s.prune("a", keep(2, 90), at(k_now), DryRun::no));
        CHECK(r.runs == std::vector<RowId>{a[0], a[1], a[2]});
        CHECK(r.log_lines == 6);
        CHECK(r.events == 3);
        CHECK(ids_of(s, "a") == std::vector<RowId>{a[3], a[4]});
        CHECK(ids_of(s, "b") == std::vector<RowId>{b});
        // Nothing more to do: pruning is idempotent.
        CHECK(must(s.prune("a", keep(2, 90), at(k_now), DryRun::no)).runs.empty());
    }

    SUBCASE("runs older than `days` go; the newest run always stays") {
        const RowId old1 = add_run(s, "a", 100);
        const RowId old2 = add_run(s, "a", 31);
        const RowId young = add_run(s, "a", 29);
        auto r = must(s.prune("a", keep(500, 30), at(k_now), DryRun::no));
        CHECK(r.runs == std::vector<RowId>{old1, old2});
        CHECK(ids_of(s, "a") == std::vector<RowId>{young});
        // Only old runs left: the newest of them stays all the same.
        const RowId old3 = add_run(s, "c", 200);
        const RowId old4 = add_run(s, "c", 100);
        CHECK(must(s.prune("c", keep(1, 1), at(k_now), DryRun::no)).runs ==
              std::vector<RowId>{old3});
        CHECK(ids_of(s, "c") == std::vector<RowId>{old4});
    }

    SUBCASE("a run must be both among the newest and young enough to stay") {
        const RowId r1 = add_run(s, "a", 10);
        const RowId r2 = add_run(s, "a", 5);
        const RowId r3 = add_run(s, "a", 1);
        CHECK(must(s.prune("a", keep(2, 7), at(k_now), DryRun::no)).runs == std::vector<RowId>{r1});
        CHECK(ids_of(s, "a") == std::vector<RowId>{r2, r3});
    }

    SUBCASE("never a running or queued run, whatever its age") {
        const RowId running = add_run(s, "a", 400, RunState::running);
        const RowId queued = add_run(s, "a", 300, RunState::queued);
        const RowId failed = add_run(s, "a", 200, RunState::failure);
        const RowId interrupted = add_run(s, "a", 100, RunState::interrupted);
        const RowId newest = add_run(s, "a", 0);
        auto r = must(s.prune("a", keep(1, 1), at(k_now), DryRun::no));
        CHECK(r.runs == std::vector<RowId>{failed, interrupted});
        CHECK(ids_of(s, "a") == std::vector<RowId>{running, queued, newest});
    }

    SUBCASE("a run goes with its steps, attempts, outputs, logs and event") {
        const RowId gone = add_run(s, "a", 100);
        const RowId kept = add_run(s, "a", 1);
        const RowId gone_event = must(s.get_run_row(gone))->event_id;
        must(s.prune("a", keep(500, 90), at(k_now), DryRun::no));
        CHECK(!must(s.get_run_row(gone)));
        CHECK(!must(s.get_run(gone)));
        CHECK(must(s.get_logs(gone)).empty());
        CHECK(!must(s.get_event(gone_event)));
        // The kept run is whole.
        auto d = must(s.get_run(kept)).value();
        REQUIRE(d.steps.size() == 2);
        CHECK(d.steps[0].outputs == json{{"k", "v"}});
        CHECK(d.steps[0].attempt_rows.size() == 1);
        CHECK(must(s.get_logs(kept)).size() == 2);
        CHECK(must(s.get_event(d.run.event_id)));
        // A new run of the pruned id's workflow gets a new id (AUTOINCREMENT).
        CHECK(add_run(s, "a", 0) > kept);
    }

    SUBCASE("an event stays while another run refers to it") {
        const RowId ev = must(s.add_event("stdin", json{{"line", "x"}}, at(k_now - 100 * k_day)));
        const RowId a_old = add_run(s, "a", 100, RunState::success, ev);
        const RowId b_old = add_run(s, "b", 100, RunState::success, ev);
        add_run(s, "a", 0);
        auto r = must(s.prune("a", keep(500, 90), at(k_now), DryRun::no));
        CHECK(r.runs == std::vector<RowId>{a_old});
        CHECK(r.events == 0);
        CHECK(must(s.get_event(ev)));  // b_old (b's newest) still refers to it
        add_run(s, "b", 0);
        r = must(s.prune("b", keep(500, 90), at(k_now), DryRun::no));
        CHECK(r.runs == std::vector<RowId>{b_old});
        CHECK(r.events == 1);
        CHECK(!must(s.get_event(ev)));
    }

    SUBCASE("an event stays while a queue entry waits with it") {
        // b's queue holds the event of a's run: deleting the event would fail
        // the queue's foreign key (and the whole prune).
        const RowId ev = must(s.add_event("stdin", json{{"line", "x"}}, at(k_now - 100 * k_day)));
        const RowId a_old = add_run(s, "a", 100, RunState::success, ev);
        add_run(s, "a", 0);
        const RowId entry = must(s.enqueue("b", ev, json::object()));
        auto dry = must(s.prune("a", keep(500, 90), at(k_now), DryRun::yes));
        CHECK(dry.runs == std::vector<RowId>{a_old});
        CHECK(dry.events == 0);
        auto r = must(s.prune("a", keep(500, 90), at(k_now), DryRun::no));
        CHECK(r.runs == std::vector<RowId>{a_old});
        CHECK(r.events == 0);
        CHECK(must(s.get_event(ev)));
        REQUIRE(must(s.queued("b", 0)).size() == 1);
        must(s.dequeue(entry));
    }

    SUBCASE("a dry run counts what would go and deletes nothing") {
        const RowId ev = must(s.add_event("stdin", json::object(), at(k_now - 100 * k_day)));
        const RowId r1 = add_run(s, "a", 100, RunState::success, ev);
        const RowId r2 = add_run(s, "a", 100, RunState::failure, ev);
        const RowId r3 = add_run(s, "a", 95);
        add_run(s, "a", 1);
        auto dry = must(s.prune("a", keep(500, 90), at(k_now), DryRun::yes));
        CHECK(dry.runs == std::vector<RowId>{r1, r2, r3});
        CHECK(dry.log_lines == 6);
        CHECK(dry.events == 2);
        CHECK(!s.in_transaction());
        CHECK(ids_of(s, "a").size() == 4);
        CHECK(must(s.get_logs(r1)).size() == 2);
        auto real = must(s.prune("a", keep(500, 90), at(k_now), DryRun::no));
        CHECK(real.runs == dry.runs);
        CHECK(real.log_lines == dry.log_lines);
        CHECK(real.events == dry.events);
    }

    SUBCASE("inside the caller's transaction, a rollback undoes it") {
        const RowId r1 = add_run(s, "a", 100);
        add_run(s, "a", 1);
        must(s.begin());
        CHECK(must(s.prune("a", keep(500, 90), at(k_now), DryRun::no)).runs ==
              std::vector<RowId>{r1});
        must(s.rollback());
        CHECK(must(s.get_run_row(r1)));
    }

    SUBCASE("run_workflows: each workflow with the file of its newest run") {
        CHECK(must(s.run_workflows()).empty());
        add_run(s, "b", 1);
        const RowId ev = must(s.add_event("manual", json::object(), at(k_now)));
        must(s.create_run(
            {.workflow = "a", .file = "/old/a.yaml", .event_id = ev, .started = at(k_now)}));
        must(s.create_run(
            {.workflow = "a", .file = "/new/a.yaml", .event_id = ev, .started = at(k_now)}));
        auto w = must(s.run_workflows());
        REQUIRE(w.size() == 2);
        CHECK(w[0].workflow == "a");
        CHECK(w[0].file == "/new/a.yaml");
        CHECK(w[1].workflow == "b");
        CHECK(w[1].file == "/w/b.yaml");
    }
}

TEST_CASE("store::prune in short transactions") {
    TempDir t;
    Store s = must(Store::open(t.file("s.db")));
    // Several batches of log lines (2,000 each), and two other runs to go.
    const RowId big = add_big_run(s);
    const RowId small = add_run(s, "a", 99);
    const RowId kept = add_run(s, "a", 1);
    Store other = must(Store::open(t.file("s.db")));
    auto r = must(s.prune("a", keep(500, 90), at(k_now), DryRun::no));
    CHECK(r.runs == std::vector<RowId>{big, small});
    CHECK(r.log_lines == 4999 + 2 + 2);
    CHECK(r.events == 2);
    CHECK(!s.in_transaction());
    // Every transaction was committed: another connection sees the result.
    CHECK(!must(other.get_run_row(big)));
    CHECK(must(other.get_logs(big)).empty());
    CHECK(ids_of(other, "a") == std::vector<RowId>{kept});
}

TEST_CASE("store::prune keeps the log of a run resumed before a transaction") {
    TempDir t;
    Store s = must(Store::open(t.file("s.db")));
    const RowId big = add_big_run(s);
    add_run(s, "a", 1);
    // Another connection resumes `big` in a write transaction that commits
    // while prune waits for its first one: prune chose `big` from the
    // snapshot before, and must not delete a line of its log now.
    Store other = must(Store::open(t.file("s.db")));
    must(other.begin());
    must(other.reopen_run(big, 2, "owner-2"));
    std::thread resume([&] {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        must(other.commit());
    });
    auto r = must(s.prune("a", keep(500, 90), at(k_now), DryRun::no));
    resume.join();
    CHECK(r.runs.empty());
    CHECK(r.log_lines == 0);
    CHECK(must(s.get_logs(big)).size() == 4999 + 2);
    CHECK(must(s.get_run_row(big))->status == RunState::running);
}

TEST_CASE("store::log_cap") {
    Store s = memory();
    const RowId ev = must(s.add_event("manual", json::object(), at(k_now)));
    const RowId run = must(
        s.create_run({.workflow = "w", .file = "w.yaml", .event_id = ev, .started = at(k_now)}));
    const std::vector<std::string> steps{"a", "b"};
    must(s.add_steps(run, steps));
    const RowId a1 = must(s.start_attempt(run, "a", 1, at(k_now)));
    const RowId b1 = must(s.start_attempt(run, "b", 1, at(k_now)));
    auto line = [&](RowId attempt, const std::string& step, std::string text) {
        return LogLine{.attempt_id = attempt,
                       .run_id = run,
                       .step = step,
                       .time = at(k_now),
                       .text = std::move(text)};
    };
    auto texts = [&](std::optional<std::string_view> step) {
        std::vector<std::string> out;
        for (const auto& r : must(s.get_logs(run, step))) out.push_back(r.text);
        return out;
    };
    auto attempt = [&](const std::string& step, int n) {
        const RunDetail d = must(s.get_run(run)).value();
        for (const auto& st : d.steps)
            if (st.id == step) return st.attempt_rows.at(static_cast<std::size_t>(n - 1));
        FAIL("no step " << step);
        return AttemptRow{};
    };

    CHECK(s.log_cap() == k_default_log_cap);
    CHECK(k_default_log_cap == 10u * 1024 * 1024);

    SUBCASE("lines beyond the cap are counted, not stored, with one note") {
        s.set_log_cap(10);  // "12345\n" + "678\n" fit exactly; "9\n" does not
        const std::vector<LogLine> first{line(a1, "a", "12345"), line(a1, "a", "678")};
        must(s.append_logs(first));
        const std::vector<LogLine> more{line(a1, "a", "9"), line(a1, "a", "")};
        must(s.append_logs(more));
        const std::vector<LogLine> last{line(a1, "a", "x")};
        must(s.append_logs(last));
        CHECK(texts("a") == std::vector<std::string>{
                                "12345", "678",
                                "weft: log cap 10 bytes reached; later lines of this attempt are "
                                "counted, not stored"});
        const auto rows = must(s.get_logs(run, "a"));
        CHECK(rows[2].stream == 2);
        CHECK(rows[2].attempt_id == a1);
        const AttemptRow a = attempt("a", 1);
        CHECK(a.log_dropped_lines == 3);
        CHECK(a.log_dropped_bytes == 2 + 1 + 2);
        CHECK(a.log_cap == 10);
        // Other attempts are untouched.
        CHECK(attempt("b", 1).log_dropped_lines == 0);
        CHECK(!attempt("b", 1).log_cap);
    }

    SUBCASE("the cap is per attempt; weft's own notes are never capped") {
        s.set_log_cap(10);
        const std::vector<LogLine> lines{line(a1, "a", "aaaa"), line(b1, "b", "bbbb"),
                                         line(a1, "a", "aaaa"), line(b1, "b", "bbbbbbbb"),
                                         line(0, "a", "weft: a note of weft's own, long enough")};
        must(s.append_logs(lines));
        CHECK(texts("a") ==
              std::vector<std::string>{"aaaa", "aaaa", "weft: a note of weft's own, long enough"});
        CHECK(texts("b").size() == 2);  // "bbbb" and the note
        CHECK(attempt("a", 1).log_dropped_lines == 0);
        CHECK(attempt("b", 1).log_dropped_lines == 1);
        CHECK(attempt("b", 1).log_dropped_bytes == 9);
        // A retry starts with the whole cap again.
        must(s.finish_attempt(a1,
                              {.status = StepState::failure, .ended = at(k_now), .exit_code = 1}));
        const RowId a2 = must(s.start_attempt(run, "a", 2, at(k_now)));
        const std::vector<LogLine> retry{line(a2, "a", "1234567"), line(a2, "a", "zz")};
        must(s.append_logs(retry));
        CHECK(attempt("a", 2).log_dropped_lines == 1);
        CHECK(attempt("a", 2).log_dropped_bytes == 3);
        CHECK(attempt("a", 1).log_dropped_lines == 0);
    }

    SUBCASE("a cap of 0 stores everything") {
        s.set_log_cap(0);
        std::vector<LogLine> lines;
        for (int i = 0; i < 100; ++i) lines.push_back(line(a1, "a", std::string(1000, 'x')));
        must(s.append_logs(lines));
        CHECK(texts("a").size() == 100);
        CHECK(attempt("a", 1).log_dropped_lines == 0);
    }

    SUBCASE("inside the caller's transaction; show --json reports the count") {
        s.set_log_cap(3 * 1024);
        must(s.begin());
        std::vector<LogLine> lines;
        for (int i = 0; i < 5; ++i) lines.push_back(line(a1, "a", std::string(1023, 'x')));
        must(s.append_logs(lines));
        must(s.commit());
        CHECK(texts("a").size() == 4);  // 3 lines of 1 KiB and the note
        const json j = weft::report::run_detail_json(must(s.get_run(run)).value());
        CHECK(j["steps"][0]["log_dropped"] == json{{"lines", 2}, {"bytes", 2048}, {"cap", 3072}});
        CHECK(!j["steps"][1].contains("log_dropped"));
        CHECK(texts("a").back() ==
              "weft: log cap 3 KiB reached; later lines of this attempt are counted, not stored");
    }
}

TEST_CASE("store::poll_logs") {
    Store s = memory();
    const RowId run = add_run(s, "w", 0, RunState::running);
    auto page = must(s.poll_logs(run, std::nullopt, 0, 1));
    CHECK(page.run == RunState::running);
    CHECK(!page.step);
    REQUIRE(page.lines.size() == 1);
    CHECK(page.lines[0].text == "one");
    page = must(s.poll_logs(run, "a", page.lines[0].seq, 10));
    CHECK(page.step == StepState::running);
    REQUIRE(page.lines.size() == 1);
    CHECK(page.lines[0].text == "two");
    CHECK(must(s.poll_logs(run, "b", 0, 10)).step == StepState::pending);
    CHECK(!must(s.poll_logs(run, "nope", 0, 10)).step);
    must(s.set_run_status(run, RunState::cancelled, {.ended = at(k_now)}));
    CHECK(must(s.poll_logs(run, std::nullopt, page.lines[0].seq, 10)).run == RunState::cancelled);
    CHECK(!must(s.poll_logs(run + 1, std::nullopt, 0, 10)).run);
    CHECK(!s.in_transaction());
}

TEST_CASE("store::migrate 1 to the latest (log cap columns)") {
    TempDir tmp;
    const std::string path = tmp.file("state.db");
    RowId run = 0, att = 0;
    {
        Store v1 = must(Store::open_at_version(path, 1));
        CHECK(must(v1.schema_version()) == 1);
        run = add_run(v1, "w", 0, RunState::running);
        // (get_run reads the latest schema's columns: not on a schema 1 database.)
        att = must(v1.get_logs(run)).at(0).attempt_id;
    }
    Store s = must(Store::open(path));
    CHECK(Store::latest_schema_version() == 7);
    CHECK(must(s.schema_version()) == 7);
    // What schema 1 held is all there, and the new columns have their defaults.
    auto d = must(s.get_run(run)).value();
    CHECK(d.run.workflow == "w");
    REQUIRE(d.steps.size() == 2);
    CHECK(d.steps[0].outputs == json{{"k", "v"}});
    const AttemptRow a = d.steps[0].attempt_rows.at(0);
    CHECK(a.id == att);
    CHECK(a.log_dropped_lines == 0);
    CHECK(a.log_dropped_bytes == 0);
    CHECK(!a.log_cap);
    CHECK(must(s.get_logs(run)).size() == 2);
    // And the log cap can count on the migrated attempt.
    s.set_log_cap(4);
    const std::vector<LogLine> lines{
        {.attempt_id = att, .run_id = run, .step = "a", .time = at(k_now), .text = "too long"}};
    must(s.append_logs(lines));
    CHECK(must(s.get_run(run))->steps[0].attempt_rows.at(0).log_dropped_lines == 1);
    // Opening again is a no-op.
    Store again = must(Store::open(path));
    CHECK(must(again.schema_version()) == 7);
}
