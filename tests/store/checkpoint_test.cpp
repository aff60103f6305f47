// The WAL's checkpoints run in a thread of the Store's own (checkpointer.cpp),
// not in the commit that finds the WAL at 1,000 pages.
#include <dirent.h>
#include <doctest/doctest.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/store.hpp"
#include "support/temp_dir.hpp"
#include "weft/store/store.hpp"

using namespace weft;
using namespace weft::store;
using weft::model::RowId;
using weft::test::at;
using weft::test::k_t0;
using weft::test::must;

namespace {

int threads() {
    int n = 0;
    if (DIR* d = ::opendir("/proc/self/task")) {
        while (const dirent* e = ::readdir(d))
            if (e->d_name[0] != '.') ++n;
        ::closedir(d);
    }
    return n;
}

long long size_of(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? static_cast<long long>(st.st_size) : -1;
}

}  // namespace

TEST_CASE("store::the WAL is checkpointed by a thread of the store's") {
    weft::test::TempDir tmp;
    const std::string path = (tmp.path / "state.db").string();
    const int before = threads();
    {
        Store s = must(Store::open(path));
        const RowId ev = must(s.add_event("manual", nlohmann::json::object(), at(k_t0)));
        const RowId run = must(
            s.create_run({.workflow = "w", .file = "w.yaml", .event_id = ev, .started = at(k_t0)}));
        // Small writes start no thread.
        CHECK(threads() == before);
        // About 6 MB of log in 60 transactions: the WAL passes 1,000 pages.
        const std::vector<LogLine> lines(
            50,
            LogLine{.run_id = run, .step = "a", .time = at(k_t0), .text = std::string(2000, 'x')});
        for (int i = 0; i < 60; ++i) must(s.append_logs(lines));
        CHECK(threads() == before + 1);
        // The pages reach the database file while the Store is open.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
        while (size_of(path) < (2 << 20) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        CHECK(size_of(path) >= (2 << 20));
        CHECK(must(s.get_logs(run)).size() == 3000);
    }
    CHECK(threads() == before);
    // Everything is there for the next opener.
    Store again = must(Store::open(path));
    CHECK(must(again.get_logs(1)).size() == 3000);
}

// Past 10,000 pages the writer tries to restart the WAL itself, once, without
// waiting: a reader that holds an old snapshot (a sqlite3 shell left in a
// transaction, a backup) made every commit wait out the 10 s busy timeout.
TEST_CASE("store::a reader holding a snapshot never stalls the writer's commits") {
    weft::test::TempDir tmp;
    const std::string path = (tmp.path / "state.db").string();
    Store s = must(Store::open(path));
    const RowId ev = must(s.add_event("manual", nlohmann::json::object(), at(k_t0)));
    const RowId run = must(
        s.create_run({.workflow = "w", .file = "w.yaml", .event_id = ev, .started = at(k_t0)}));
    // A snapshot from before the big writes, held by another connection.
    sqlite3* reader = nullptr;
    REQUIRE(sqlite3_open_v2(path.c_str(), &reader, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
    REQUIRE(sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM runs;", nullptr, nullptr, nullptr) ==
            SQLITE_OK);
    const std::vector<LogLine> lines(
        50, LogLine{.run_id = run, .step = "a", .time = at(k_t0), .text = std::string(8000, 'x')});
    const auto t0 = std::chrono::steady_clock::now();
    // ~48 MB: past 10,000 pages. A stalled writer waits 10 s a commit: the
    // loop stops at the first commit after 8 s rather than at the last.
    int commits = 0;
    while (commits < 120 && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(8)) {
        must(s.append_logs(lines));
        ++commits;
    }
    CHECK(commits == 120);
    sqlite3_exec(reader, "COMMIT", nullptr, nullptr, nullptr);
    sqlite3_close_v2(reader);
    CHECK(must(s.get_logs(run)).size() == static_cast<std::size_t>(commits) * 50);
}
