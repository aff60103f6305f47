#include <doctest/doctest.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "weft/engine/owner.hpp"
#include "weft/engine/spare.hpp"

namespace fs = std::filesystem;
namespace spare = weft::engine::spare;

namespace {

std::string scratch() {
    std::string templ = (fs::temp_directory_path() / "weft-spare-XXXXXX").string();
    REQUIRE(mkdtemp(templ.data()) != nullptr);
    fs::create_directory(templ + "/tmp");
    fs::permissions(templ + "/tmp", fs::perms::owner_all);
    return templ;
}

ino_t inode(const std::string& path) {
    struct stat st {};
    return ::lstat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

std::string slurp(const std::string& path) {
    std::ifstream in(path);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

// A run directory as the engine leaves it: 0700, files 0600.
void make_run_dir(const std::string& dir) {
    fs::create_directory(dir);
    fs::permissions(dir, fs::perms::owner_all);
    for (const char* name : {"event.json", "s.1.out"}) {
        const int fd = ::open((dir + "/" + name).c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, "secret", 6) == 6);
        ::close(fd);
    }
}

}  // namespace

TEST_CASE("engine::spare: an ended run's directory and files are the next run's, emptied") {
    const std::string root = scratch(), tmp = root + "/tmp";
    CHECK_FALSE(spare::take_dir(tmp, tmp + "/run-1"));  // none yet
    CHECK(spare::take_file(tmp, tmp + "/x") < 0);
    make_run_dir(tmp + "/run-1");
    const ino_t dir_ino = inode(tmp + "/run-1"), file_ino = inode(tmp + "/run-1/event.json");
    spare::give_run_dir(tmp, tmp + "/run-1");
    CHECK_FALSE(fs::exists(tmp + "/run-1"));

    // An old spare is a new run's directory: `weft prune` must see it young.
    const timespec old[2] = {{::time(nullptr) - 600, 0}, {::time(nullptr) - 600, 0}};
    REQUIRE(::utimensat(AT_FDCWD, (tmp + "/.spare-d0").c_str(), old, AT_SYMLINK_NOFOLLOW) == 0);
    REQUIRE(spare::take_dir(tmp, tmp + "/run-2"));
    CHECK(inode(tmp + "/run-2") == dir_ino);
    struct stat st {};
    REQUIRE(::lstat((tmp + "/run-2").c_str(), &st) == 0);
    CHECK(st.st_mtime > ::time(nullptr) - 60);
    // Its files stayed in it, emptied: a run of the same steps finds them.
    CHECK(slurp(tmp + "/run-2/event.json").empty());
    CHECK(slurp(tmp + "/run-2/s.1.out").empty());
    const int a = spare::take_run_fd(tmp + "/run-2/event.json");
    REQUIRE(a >= 0);
    ::close(a);
    CHECK(inode(tmp + "/run-2/event.json") == file_ino);
    CHECK((fs::status(tmp + "/run-2/s.1.out").permissions() & fs::perms::all) ==
          (fs::perms::owner_read | fs::perms::owner_write));
    // A file it does not hold comes from the slots, none here yet.
    CHECK_FALSE(spare::take_run_file(tmp + "/run-2/other.1.out"));
    CHECK(spare::take_file(tmp, tmp + "/x") < 0);

    // More than eight files: the rest become file spares, emptied.
    for (int i = 0; i < 10; ++i) {
        const std::string f = tmp + "/run-2/f" + std::to_string(i) + ".out";
        const int fd = ::open(f.c_str(), O_WRONLY | O_CREAT | O_EXCL, 0600);
        REQUIRE(fd >= 0);
        REQUIRE(::write(fd, "secret", 6) == 6);
        ::close(fd);
    }
    spare::give_run_dir(tmp, tmp + "/run-2");
    int in_dir = 0, slots = 0;
    for (const auto& e : fs::directory_iterator(tmp + "/.spare-d0")) {
        in_dir += 1;
        CHECK(fs::file_size(e.path()) == 0);
    }
    for (const auto& e : fs::directory_iterator(tmp))
        if (e.is_regular_file()) {
            slots += 1;
            CHECK(fs::file_size(e.path()) == 0);
        }
    CHECK(in_dir == 8);
    CHECK(slots == 4);
    // A run file's spare comes from the tmp directory above its run's.
    fs::create_directory(tmp + "/run-3");
    CHECK(spare::take_run_file(tmp + "/run-3/s.1.out"));
    CHECK(fs::exists(tmp + "/run-3/s.1.out"));
    fs::remove_all(root);
}

TEST_CASE("engine::spare: what is not weft's own private file is removed, never kept") {
    const std::string root = scratch(), tmp = root + "/tmp";
    make_run_dir(tmp + "/run-1");
    // A step made its output file readable by others, and left a link to a
    // file outside and a directory: none becomes a spare, the link's target stays.
    fs::permissions(tmp + "/run-1/s.1.out", fs::perms::owner_read | fs::perms::owner_write |
                                                fs::perms::group_read | fs::perms::others_read);
    std::ofstream(root + "/outside") << "kept";
    fs::create_symlink(root + "/outside", tmp + "/run-1/link");
    fs::create_directory(tmp + "/run-1/sub");
    spare::give_run_dir(tmp, tmp + "/run-1");
    CHECK_FALSE(fs::exists(tmp + "/run-1"));
    CHECK(slurp(root + "/outside") == "kept");
    int files = 0;
    for (const auto& e : fs::directory_iterator(tmp + "/.spare-d0")) {
        files += 1;
        CHECK(e.path().filename() == "event.json");
    }
    CHECK(files == 1);

    // A kept file that is not fit when taken (here: changed to 0644) is
    // removed, and so is a file spare.
    REQUIRE(spare::take_dir(tmp, tmp + "/run-4"));
    fs::permissions(tmp + "/run-4/event.json", fs::perms::group_read, fs::perm_options::add);
    CHECK(spare::take_run_fd(tmp + "/run-4/event.json") < 0);
    CHECK_FALSE(fs::exists(tmp + "/run-4/event.json"));
    std::ofstream(tmp + "/.spare-f0") << "";
    fs::permissions(tmp + "/.spare-f0",
                    fs::perms::owner_read | fs::perms::owner_write | fs::perms::group_read);
    CHECK(spare::take_file(tmp, tmp + "/x") < 0);
    CHECK_FALSE(fs::exists(tmp + "/x"));
    // A directory planted in a file slot is removed too: left at the target,
    // it kept a weft from creating its lock file there.
    fs::create_directory(tmp + "/.spare-f1");
    fs::create_directory(tmp + "/.spare-f1/inner");
    CHECK(spare::take_file(tmp, tmp + "/z") < 0);
    CHECK_FALSE(fs::exists(tmp + "/z"));
    // A target that exists is never replaced.
    make_run_dir(tmp + "/run-2");
    spare::give_run_dir(tmp, tmp + "/run-2");
    std::ofstream(tmp + "/y") << "mine";
    CHECK(spare::take_file(tmp, tmp + "/y") < 0);
    CHECK(slurp(tmp + "/y") == "mine");
    fs::remove_all(root);
}

TEST_CASE("engine::OwnerLock: the lock file of an ended weft is the next one's, locked") {
    const std::string root = scratch();
    ino_t first = 0;
    {
        auto lock = weft::engine::OwnerLock::acquire(root);
        REQUIRE(lock.ok());
        first = inode(root + "/locks/" + lock->token() + ".lock");
        CHECK(first != 0);
    }
    CHECK(fs::is_empty(root + "/locks"));
    auto again = weft::engine::OwnerLock::acquire(root);
    REQUIRE(again.ok());
    const std::string path = root + "/locks/" + again->token() + ".lock";
    CHECK(inode(path) == first);
    // Locked, and it names this process's cgroups, as a new file would.
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    CHECK(::flock(fd, LOCK_EX | LOCK_NB) != 0);
    ::close(fd);
    CHECK(slurp(path).find("weft-" + again->token()) != std::string::npos);
    CHECK(weft::engine::owner_alive(root, again->token()));
    fs::remove_all(root);
}
