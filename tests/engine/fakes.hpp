#pragma once
// A clock and an executor for engine tests that run no process: time moves
// only from one timer to the next, and each attempt does what its step's
// plan says, on that clock.
#include <csignal>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "weft/engine/clock.hpp"
#include "weft/engine/executor.hpp"

namespace weft::test {

class FakeClock final : public engine::Clock {
  public:
    static constexpr TimePoint k_epoch{std::chrono::milliseconds{1'700'000'000'000}};
    TimePoint now() const override { return m_now; }
    engine::TimerId after(Duration d, std::function<void()> f) override {
        const engine::TimerId id = m_next++;
        const Key k{m_now + std::max(d, Duration{0}), id};
        m_timers.emplace(k, std::move(f));
        m_keys.emplace(id, k);
        return id;
    }
    void cancel(engine::TimerId id) override {
        auto it = m_keys.find(id);
        if (it == m_keys.end()) return;
        m_timers.erase(it->second);
        m_keys.erase(it);
    }
    // The earliest timer (the first armed among equals): time moves to it.
    bool advance() override {
        if (m_timers.empty()) return false;
        auto it = m_timers.begin();
        const Key k = it->first;
        auto f = std::move(it->second);
        m_timers.erase(it);
        m_keys.erase(k.second);
        m_now = std::max(m_now, k.first);
        f();
        return true;
    }
    // Milliseconds since the clock started.
    long long ms() const { return (m_now - k_epoch).count(); }
    long long ms(TimePoint t) const { return (t - k_epoch).count(); }

  private:
    using Key = std::pair<TimePoint, engine::TimerId>;
    TimePoint m_now = k_epoch;
    engine::TimerId m_next = 1;
    std::map<Key, std::function<void()>> m_timers;
    std::map<engine::TimerId, Key> m_keys;
};

// What one attempt of a step does.
struct FakePlan {
    Duration runs{100};  // until it exits by itself
    int exit_code = 0;
    std::vector<std::string> out;  // its stdout lines
    std::string outputs;           // what it writes to $WEFT_OUTPUT
    bool ignores_term = false;     // SIGTERM leaves it running; only kill() ends it
};

class FakeExecutor final : public engine::Executor {
  public:
    FakeExecutor(engine::ExecHost& host, FakeClock& clock) : m_host(host), m_clock(clock) {}

    // step id (instance id) -> plans, one per attempt; the last one repeats.
    std::map<std::string, std::vector<FakePlan>> plans;
    // What it was asked, with the time: "100 start s#1", "300 term s", "350 kill s".
    std::vector<std::string> calls;
    std::vector<std::string>* trace = &calls;    // where they go
    std::map<std::string, std::string> scripts;  // step -> its last script

    struct Job : engine::Attempt {
        engine::TimerId end = 0;
        FakePlan plan;
    };

    std::unique_ptr<engine::Attempt> new_attempt() override { return std::make_unique<Job>(); }
    Result<void> prepare(engine::Attempt& a) override {
        a.output_file = a.file_base + ".out";
        a.script_path = a.file_base + ".sh";
        return {};
    }
    Result<void> start(engine::Attempt& a) override {
        auto& j = static_cast<Job&>(a);
        const auto& ps = plans[a.step];
        j.plan = ps.empty() ? FakePlan{}
                            : ps[std::min(ps.size(), static_cast<std::size_t>(a.number)) - 1];
        scripts[a.step] = a.script;
        log("start " + a.step + "#" + std::to_string(a.number));
        return {};
    }
    void follow(engine::Attempt& a) override {
        auto& j = static_cast<Job&>(a);
        end_after(j, j.plan.runs, j.plan.exit_code, std::nullopt);
    }
    void reattach(engine::Attempt&, const store::SlurmJobRef&, long long, long long) override {}
    bool terminate(engine::Attempt& a) override {
        auto& j = static_cast<Job&>(a);
        log("term " + a.step);
        if (!j.plan.ignores_term) end_after(j, Duration{0}, std::nullopt, SIGTERM);
        return true;
    }
    void kill(engine::Attempt& a) override {
        log("kill " + a.step);
        end_after(static_cast<Job&>(a), Duration{0}, std::nullopt, SIGKILL);
    }

  private:
    void log(const std::string& s) { trace->push_back(std::to_string(m_clock.ms()) + " " + s); }
    void end_after(Job& j, Duration d, std::optional<int> code, std::optional<int> sig) {
        m_clock.cancel(j.end);
        j.end = m_clock.after(d, [this, &j, code, sig] {
            std::string out;
            for (const auto& l : j.plan.out) out += l + "\n";
            m_host.output(j, 1, out, true);
            engine::ExecEnd e{code, sig, "", code == 0 ? j.plan.outputs : ""};
            m_host.ended(j, e);  // deletes j
        });
    }

    engine::ExecHost& m_host;
    FakeClock& m_clock;
};

}  // namespace weft::test
