// Checkpoints off the writer's thread. SQLite's automatic checkpoint runs
// inside the commit that finds the WAL at 1,000 pages: two fdatasyncs (the
// WAL's, then the database's) and the copy of every page, paid by whichever
// loop iteration commits then, between a step's end and the start of what it
// unblocks. Here the commit only wakes a thread of the store's own, which
// runs the same checkpoint (PASSIVE: it never waits for a writer or a
// reader) on a connection of its own, while the writer goes on appending.
// What is durable when is unchanged: the WAL is synced at each checkpoint.
#include <pthread.h>
#include <signal.h>

#include <condition_variable>
#include <mutex>
#include <system_error>
#include <thread>

#include "weft/store/sqlite_db.hpp"

namespace weft::store {

class Checkpointer {
  public:
    explicit Checkpointer(std::string path) : m_path(std::move(path)) {}
    Checkpointer(const Checkpointer&) = delete;
    Checkpointer& operator=(const Checkpointer&) = delete;
    ~Checkpointer() {
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_stop = true;
        }
        m_cv.notify_one();
        if (m_thread.joinable()) m_thread.join();
    }

    // Wake the thread (started at the first call). False when it cannot
    // start: the caller then checkpoints itself.
    bool request() {
        if (!m_thread.joinable() && !start()) return false;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            m_wanted = true;
        }
        m_cv.notify_one();
        return true;
    }

  private:
    bool start() {
        // With every signal blocked, so that none is delivered to this
        // thread instead of the engine's (it inherits the mask).
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_SETMASK, &all, &old);
        bool started = true;
        try {
            m_thread = std::thread([this] { loop(); });
        } catch (const std::system_error&) {
            started = false;
        }
        pthread_sigmask(SIG_SETMASK, &old, nullptr);
        return started;
    }

    // A connection that has read the database once: until then it does not
    // know it is in WAL mode, and a checkpoint does nothing.
    bool open(sqlite3*& db) {
        int rc = sqlite3_open_v2(m_path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
                                 nullptr);
        if (rc == SQLITE_OK)
            rc = sqlite3_exec(db, "PRAGMA application_id", nullptr, nullptr, nullptr);
        if (rc == SQLITE_OK) return true;
        sqlite3_close_v2(db);
        db = nullptr;
        return false;
    }

    void loop() {
        sqlite3* db = nullptr;
        for (;;) {
            {
                std::unique_lock<std::mutex> lock(m_mutex);
                m_cv.wait(lock, [this] { return m_wanted || m_stop; });
                if (m_stop) break;
                m_wanted = false;
            }
            if (!db && !open(db)) continue;  // the writer's WAL grows until the next try
            // A failure (a full disk) loses nothing: the pages stay in the
            // WAL, and the next commit past the limit asks again.
            (void)sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr,
                                            nullptr);
        }
        // Never the database's last connection (the writer's closes after
        // this one), so closing it neither checkpoints nor deletes the WAL.
        sqlite3_close_v2(db);
    }

    const std::string m_path;
    std::mutex m_mutex;
    std::condition_variable m_cv;
    bool m_wanted = false;
    bool m_stop = false;
    std::thread m_thread;
};

namespace {

// sqlite3_wal_hook: called after each commit with the WAL's size in pages.
int on_commit(void* arg, sqlite3* db, const char* name, int pages) {
    auto& impl = *static_cast<Store::Impl*>(arg);
    int& asked = impl.checkpoint_asked_at;
    if (pages < k_checkpoint_pages) {
        asked = 0;  // restarted
        return SQLITE_OK;
    }
    // The writer restarts the WAL only when one of its transactions begins
    // with every page copied, which a busy engine seldom lets happen: the
    // WAL then grows, and the thread copies each k_checkpoint_pages more as
    // they come (one sync of the WAL and one of the database each, as
    // before, but not on this thread). At k_checkpoint_pages_inline this
    // thread checkpoints what is left itself and restarts the WAL (waiting
    // for the thread's checkpoint and for readers).
    // One try, never waiting: a reader holding an old snapshot (a sqlite3
    // shell left in a transaction, a backup) would make RESTART wait out the
    // busy timeout at every commit. A busy try is repeated only once the WAL
    // has grown by k_checkpoint_pages more; the thread goes on copying.
    int& tried = impl.restart_tried_at;
    if (pages >= k_checkpoint_pages_inline && (tried == 0 || pages >= tried + k_checkpoint_pages)) {
        sqlite3_busy_timeout(db, 0);
        const int rc =
            sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_RESTART, nullptr, nullptr);
        sqlite3_busy_timeout(db, busy_timeout_ms());
        tried = rc == SQLITE_OK ? 0 : pages;
        if (rc == SQLITE_OK) {
            asked = 0;
            return SQLITE_OK;
        }
    }
    if (asked != 0 && pages < asked + k_checkpoint_pages) return SQLITE_OK;
    asked = pages;
    if (!impl.checkpointer) impl.checkpointer.reset(new Checkpointer(impl.path));
    if (!impl.checkpointer->request())
        (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
    return SQLITE_OK;
}

}  // namespace

void checkpoint_in_background(Store::Impl& impl) {
    // Replaces SQLite's own hook, the automatic checkpoint.
    sqlite3_wal_hook(impl.db, on_commit, &impl);
}

void CheckpointerDeleter::operator()(Checkpointer* c) const {
    delete c;
}

}  // namespace weft::store
