#pragma once
// Group commit and the failed-store policy. Writes open a transaction
// lazily; the loop offers to commit it once per iteration, before it blocks
// (commit_due), and only then runs what waited for the commit (the observer
// hears an end once it is durable). With a window (set_window), a
// transaction whose waiters are only reports stays open for up to that long
// across iterations, so the steps that end meanwhile share one commit; a
// waiter that unblocks work (a run's end, a sub-workflow's end, a Slurm
// submission) has it committed at once. The first failed write refuses every
// later one: nothing more becomes durable, the open transaction is rolled
// back, and `on_failed` is called once (the engine cancels every run, as
// after a crash).
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "weft/engine/clock.hpp"
#include "weft/store/store.hpp"
#include "weft/util/result.hpp"

namespace weft::engine {

class WriteBatch {
  public:
    // `report`: told the first failure's message (once); `on_failed`: called
    // once, at the commit after the first failure.
    WriteBatch(store::Store& store, std::function<void(const std::string&)> report,
               std::function<void()> on_failed)
        : m_store(store), m_report(std::move(report)), m_on_failed(std::move(on_failed)) {}

    store::Store& store() { return m_store; }

    void write(Result<void> r) {
        if (!r) note(r.error());
    }
    template <class T>
    std::optional<T> write(Result<T> r) {
        if (!r) {
            note(r.error());
            return std::nullopt;
        }
        return std::move(r).value();
    }
    // A write failed with `e`: the first failure is reported and stops the
    // engine.
    void note(const Error& e);
    void begin();
    // Commit the open transaction, then run what waited for it; after a
    // failure, roll back and call on_failed (once) instead.
    void commit();
    // commit(), unless the window allows the open transaction to wait: then
    // a timer on the window's clock commits it when the window has passed.
    void commit_due();
    // Let a transaction wait up to `window` after commit_due first saw it,
    // timed by `clock` (which outlives the batch); zero: commit_due commits.
    void set_window(Clock& clock, Duration window);
    // Run `f` after the open transaction commits (at once if none is open);
    // never once the store has failed. `urgent`: `f` unblocks work (or must
    // not wait), so the transaction is committed at the next commit_due; a
    // report that may lag by the window passes false.
    void when_committed(std::function<void()> f, bool urgent = true);
    // Something waits for the commit (a report that what comes next must
    // follow).
    bool has_waiters() const { return !m_after_commit.empty(); }
    bool failed() const { return m_failed; }
    // on_failed has been called.
    bool stopped() const { return m_stopped; }
    // The run's own transaction failed for a reason not the store's: undo it.
    void rollback();

  private:
    store::Store& m_store;
    std::function<void(const std::string&)> m_report;
    std::function<void()> m_on_failed;
    bool m_failed = false;
    bool m_stopped = false;
    std::vector<std::function<void()>> m_after_commit;
    Clock* m_clock = nullptr;
    Duration m_window{0};
    TimePoint m_open_since{};  // when commit_due first saw the open transaction
    bool m_urgent = false;     // a waiter of the open transaction is urgent
    TimerId m_timer = 0;
};

}  // namespace weft::engine
