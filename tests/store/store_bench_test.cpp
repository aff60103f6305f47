// Write throughput of the store on a real file (WAL, synchronous=FULL).
// Skipped by default; run with:
//     ./weft_tests -tc='store::bench' --no-skip
#include "weft/store/store.hpp"

#include <doctest/doctest.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>

#include "support/temp_dir.hpp"

using namespace weft;
using namespace weft::store;
using weft::model::RowId;
using weft::model::RunState;
using weft::model::StepState;

namespace {

// Wall and CPU (user + system) time since construction: the machine may be
// busy, and CPU time is what the store costs the engine's thread.
struct Stopwatch {
    std::chrono::steady_clock::time_point wall0 = std::chrono::steady_clock::now();
    double cpu0 = cpu_now();
    static double cpu_now() {
        rusage ru{};
        ::getrusage(RUSAGE_SELF, &ru);
        auto sec = [](timeval tv) {
            return static_cast<double>(tv.tv_sec) + static_cast<double>(tv.tv_usec) / 1e6;
        };
        return sec(ru.ru_utime) + sec(ru.ru_stime);
    }
    double wall() const {
        return std::chrono::duration<double>(std::chrono::steady_clock::now() - wall0).count();
    }
    double cpu() const { return cpu_now() - cpu0; }
};

void ok(const Result<void>& r) {
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
}
template <class T>
T ok(Result<T> r) {
    REQUIRE_MESSAGE(r, (r ? "" : r.error().message));
    return std::move(r).value();
}

}  // namespace

TEST_CASE("store::bench" * doctest::skip()) {
    const char* base = std::getenv("TMPDIR");
    std::string dir = std::string(base && *base ? base : "/tmp") + "/weft-bench-XXXXXX";
    REQUIRE(::mkdtemp(dir.data()));
    const TimePoint t{std::chrono::milliseconds{1795704815123}};
    {
        Store s = ok(Store::open(dir + "/state.db"));
        const RowId ev = ok(s.add_event("manual", nlohmann::json::object(), t));
        const RowId run = ok(s.create_run(
            {.workflow = "bench", .file = "bench.yaml", .event_id = ev, .started = t}));

        // The engine's pattern: one transaction per loop iteration.
        constexpr int k_steps = 10000, k_batch = 100;
        Stopwatch t0;
        for (int b = 0; b < k_steps / k_batch; ++b) {
            auto tx = ok(Transaction::begin(s));
            std::vector<std::string> ids;
            for (int i = 0; i < k_batch; ++i)
                ids.push_back("step-" + std::to_string(b * k_batch + i));
            ok(s.add_steps(run, ids));
            for (const std::string& id : ids) {
                const RowId a = ok(s.start_attempt(run, id, 1, t, ProcessRef{1234, 5678}));
                ok(s.set_step(run, id, StepState::running, {.started = t}));
                ok(s.finish_attempt(a, {.status = StepState::success, .ended = t, .exit_code = 0}));
                ok(s.set_step(run, id, StepState::success, {.ended = t, .exit_code = 0}));
            }
            ok(tx.commit());
        }
        std::printf(
            "store::bench: %d steps x 5 writes (add, start_attempt, set_step running, "
            "finish_attempt, "
            "set_step success), %d steps per transaction (%d commits): %.3f s wall, %.3f s cpu\n",
            k_steps, k_batch, k_steps / k_batch, t0.wall(), t0.cpu());

        // The same without group commit: one fsync per write.
        constexpr int k_solo = 200;
        t0 = Stopwatch();
        for (int i = 0; i < k_solo; ++i) {
            const std::vector<std::string> ids{"solo-" + std::to_string(i)};
            ok(s.add_steps(run, ids));
            const RowId a = ok(s.start_attempt(run, ids[0], 1, t));
            ok(s.set_step(run, ids[0], StepState::running, {.started = t}));
            ok(s.finish_attempt(a, {.status = StepState::success, .ended = t, .exit_code = 0}));
            ok(s.set_step(run, ids[0], StepState::success, {.ended = t, .exit_code = 0}));
        }
        std::printf(
            "store::bench: %d steps x 5 writes, each its own transaction: %.3f s wall, %.3f s "
            "cpu\n",
            k_solo, t0.wall(), t0.cpu());

        // Log lines, 1000 per append_logs call and transaction.
        constexpr int k_lines = 200000, k_log_batch = 1000;
        std::vector<LogLine> lines(k_log_batch);
        t0 = Stopwatch();
        for (int b = 0; b < k_lines / k_log_batch; ++b) {
            for (int i = 0; i < k_log_batch; ++i) {
                const int n = b * k_log_batch + i;
                lines[i] = {.run_id = run,
                            .step = "step-" + std::to_string(n % 100),
                            .time = t,
                            .stream = 1 + n % 2,
                            .text = "compiling src/module_" + std::to_string(n) +
                                    ".cpp with some flags -O2 -g"};
            }
            ok(s.append_logs(lines));
        }
        std::printf("store::bench: %d log lines, %d per append_logs: %.3f s wall, %.3f s cpu\n",
                    k_lines, k_log_batch, t0.wall(), t0.cpu());

        t0 = Stopwatch();
        auto detail = ok(s.get_run(run));
        const double read = t0.wall();
        REQUIRE(detail);
        CHECK(detail->steps.size() == k_steps + k_solo);
        std::printf("store::bench: get_run with %zu steps: %.3f s wall\n", detail->steps.size(),
                    read);
        t0 = Stopwatch();
        auto tail = ok(s.get_logs(run, "step-7", k_lines - 1000));
        std::printf("store::bench: get_logs of one step after a seq: %zu lines in %.4f s\n",
                    tail.size(), t0.wall());
    }
    std::filesystem::remove_all(dir);
}

// The store's share of one no-op step as the engine writes it (issue 16):
// per loop iteration one transaction holding the previous step's end and
// the next step's start. Run under callgrind for instruction counts:
//     valgrind --tool=callgrind ./weft_tests -tc='store::step_cost' --no-skip
TEST_CASE("store::step_cost" * doctest::skip()) {
    weft::test::TempDir dir;
    const TimePoint t{std::chrono::milliseconds{1795704815123}};
    Store s = ok(Store::open((dir.path / "state.db").string()));
    const RowId run =
        ok(s.create_run({.workflow = "bench",
                         .file = "bench.yaml",
                         .event_id = ok(s.add_event("manual", nlohmann::json::object(), t)),
                         .started = t}));
    {
        constexpr int k_steps = 2000;
        std::vector<std::string> ids;
        for (int i = 0; i < k_steps; ++i) ids.push_back("s" + std::to_string(i));
        ok(s.add_steps(run, ids));
        Stopwatch t0;
        RowId prev = 0;
        for (int i = 0; i <= k_steps; ++i) {
            auto tx = ok(Transaction::begin(s));
            if (prev != 0) {
                ok(s.finish_attempt(prev,
                                    {.status = StepState::success, .ended = t, .exit_code = 0}));
                ok(s.set_step(run, ids[i - 1], StepState::success, {.ended = t, .exit_code = 0}));
            }
            if (i < k_steps) {
                ok(s.set_step(run, ids[i], StepState::running, {.started = t}));
                prev = ok(s.start_attempt(run, ids[i], 1, t));
                ok(s.set_attempt_process(prev, ProcessRef{1234 + i, 5678}));
            }
            ok(tx.commit());
        }
        std::printf("store::step_cost: %d steps, one transaction each: %.3f s wall, %.3f s cpu\n",
                    k_steps, t0.wall(), t0.cpu());
        auto detail = ok(s.get_run(run));
        REQUIRE(detail);
        CHECK(detail->steps.back().attempts == 1);
    }
}
