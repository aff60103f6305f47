#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "weft/engine/owner.hpp"
#include "weft/store/store.hpp"

namespace fs = std::filesystem;
using weft::engine::remove_dead_run_files;

TEST_CASE("engine::remove_dead_run_files keeps a live run's files only") {
    std::string templ = (fs::temp_directory_path() / "weft-owner-XXXXXX").string();
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    const std::string dir = templ;
    auto store = weft::store::Store::open_memory();
    REQUIRE(store.ok());
    auto ev = store->add_event("manual", nlohmann::json::object(), {});
    REQUIRE(ev.ok());
    weft::store::NewRun r;
    r.workflow = "w";
    r.file = "/w.yaml";
    r.event_id = *ev;
    auto live = store->create_run(r);
    auto ended = store->create_run(r);
    REQUIRE(live.ok());
    REQUIRE(ended.ok());
    REQUIRE(store->set_run_status(*ended, weft::model::RunState::success).ok());
    fs::create_directories(dir + "/tmp");
    for (auto id : {*live, *ended, weft::model::RowId{99}}) {
        fs::create_directory(dir + "/tmp/run-" + std::to_string(id));
        std::ofstream(dir + "/tmp/run-" + std::to_string(id) + "/x.out") << "secret";
    }
    // Something else in tmp/ is not weft's to remove; a link is removed, not followed.
    fs::create_directory(dir + "/keep");
    std::ofstream(dir + "/keep/f") << "kept";
    fs::create_directory_symlink(dir + "/keep", dir + "/tmp/run-98");
    fs::create_directory(dir + "/tmp/other");
    // A directory younger than a minute may be a run another weft is
    // creating (its row not yet committed): kept until it is older.
    fs::create_directory(dir + "/tmp/run-97");
    fs::create_directory(dir + "/tmp/run-99999999999999999999");  // no RowId: not weft's
    const timespec old[2] = {{0, UTIME_OMIT}, {::time(nullptr) - 120, 0}};
    for (auto id : {*live, *ended, weft::model::RowId{99}, weft::model::RowId{98}})
        ::utimensat(AT_FDCWD, (dir + "/tmp/run-" + std::to_string(id)).c_str(), old,
                    AT_SYMLINK_NOFOLLOW);

    CHECK(remove_dead_run_files(*store, dir) == 3);
    CHECK(fs::exists(dir + "/tmp/run-97"));
    CHECK(fs::exists(dir + "/tmp/run-99999999999999999999"));
    CHECK(fs::exists(dir + "/tmp/run-" + std::to_string(*live) + "/x.out"));
    CHECK_FALSE(fs::exists(dir + "/tmp/run-" + std::to_string(*ended)));
    CHECK_FALSE(fs::exists(dir + "/tmp/run-99"));
    CHECK_FALSE(fs::symlink_status(dir + "/tmp/run-98").type() == fs::file_type::symlink);
    CHECK(fs::exists(dir + "/keep/f"));
    CHECK(fs::exists(dir + "/tmp/other"));
    fs::remove_all(dir);
}
