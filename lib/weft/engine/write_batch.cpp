#include "weft/engine/write_batch.hpp"

namespace weft::engine {

void WriteBatch::note(const Error& e) {
    if (m_failed) return;
    m_failed = true;
    // At once: SQLite may have rolled the transaction back by itself
    // (SQLITE_FULL), and a later write must not commit on its own.
    m_store.refuse_writes();
    // Errc::state messages name the database themselves.
    m_report((e.code == Errc::state ? "" : "state database: ") + e.message);
}

void WriteBatch::begin() {
    if (!m_store.in_transaction()) write(m_store.begin());
}

void WriteBatch::commit() {
    if (m_timer != 0) m_clock->cancel(m_timer);
    m_timer = 0;
    m_open_since = TimePoint{};
    m_urgent = false;
    if (m_store.in_transaction() && !m_failed) write(m_store.commit());
    if (m_failed) {
        // Nothing written since the last commit becomes durable, and nothing
        // written since is reported. The database keeps the state of the
        // last commit, as after a crash: the next weft marks the runs
        // interrupted and `weft resume` continues them.
        if (m_store.in_transaction()) (void)m_store.rollback();
        m_after_commit.clear();
        if (m_stopped) return;
        m_stopped = true;
        m_on_failed();
        return;
    }
    // Ends are reported once they are durable: what the user saw end is
    // never found running after a crash.
    auto pending = std::move(m_after_commit);
    m_after_commit.clear();
    for (auto& f : pending) f();
}

void WriteBatch::set_window(Clock& clock, Duration window) {
    m_clock = &clock;
    m_window = window;
}

// A transaction may have been begun by the store's other users (weft up's
// dispatcher): its age counts from the first time it is seen here.
void WriteBatch::commit_due() {
    if (!m_clock || m_window.count() <= 0 || m_failed || m_urgent || !m_store.in_transaction())
        return commit();
    const TimePoint now = m_clock->now();
    if (m_open_since == TimePoint{}) m_open_since = now;
    const auto left = m_window - std::chrono::duration_cast<Duration>(now - m_open_since);
    if (left.count() <= 0) return commit();
    if (m_timer == 0)
        m_timer = m_clock->after(left, [this] {
            m_timer = 0;
            commit();
        });
}

void WriteBatch::when_committed(std::function<void()> f, bool urgent) {
    if (m_failed) return;
    // Behind the waiters of a transaction someone committed directly, too:
    // they run in order at the next commit().
    if (m_store.in_transaction() || !m_after_commit.empty()) {
        m_after_commit.push_back(std::move(f));
        m_urgent = m_urgent || urgent;
    } else {
        f();
    }
}

void WriteBatch::rollback() {
    m_open_since = TimePoint{};
    if (m_store.in_transaction()) (void)m_store.rollback();
}

}  // namespace weft::engine
