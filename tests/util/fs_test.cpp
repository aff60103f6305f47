#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iterator>

#include "weft/util/fs.hpp"

using namespace weft;
namespace fs = std::filesystem;

namespace {

struct TempDir {
    fs::path path;
    TempDir() {
        char tmpl[] = "/tmp/weft-fs-test-XXXXXX";
        path = ::mkdtemp(tmpl);
    }
    ~TempDir() { fs::remove_all(path); }
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
}

mode_t mode_of(const fs::path& p) {
    struct stat st;
    REQUIRE(::lstat(p.c_str(), &st) == 0);
    return st.st_mode & 07777;
}

}  // namespace

TEST_CASE("util::write_private_file") {
    TempDir t;
    const fs::path file = t.path / "f";
    SUBCASE("a new file is 0600 whatever the umask") {
        const mode_t old = ::umask(0);
        REQUIRE(write_private_file(file, "abc"));
        ::umask(old);
        CHECK(slurp(file) == "abc");
        CHECK(mode_of(file) == 0600);
    }
    SUBCASE("an existing file is replaced") {
        std::ofstream(file) << "old and longer";
        ::chmod(file.c_str(), 0644);
        REQUIRE(write_private_file(file, "new"));
        CHECK(slurp(file) == "new");
        CHECK(mode_of(file) == 0600);
    }
    SUBCASE("a planted link is replaced, its target untouched") {
        const fs::path target = t.path / "target";
        std::ofstream(target) << "precious";
        fs::create_symlink(target, file);
        REQUIRE(write_private_file(file, "secret"));
        CHECK(slurp(target) == "precious");
        CHECK_FALSE(fs::is_symlink(file));
        CHECK(slurp(file) == "secret");
    }
    SUBCASE("a missing directory is an io error naming the path") {
        auto r = write_private_file(t.path / "no" / "f", "x");
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::io);
        CHECK(r.error().message.find("/no/f") != std::string::npos);
    }
}

TEST_CASE("util::check_private_dir") {
    TempDir t;
    const fs::path dir = t.path / "d";
    REQUIRE(make_private_dir(dir));
    CHECK(mode_of(dir) == 0700);
    CHECK(make_private_dir(dir));  // an existing private directory is fine
    SUBCASE("writable by others or the group") {
        ::chmod(dir.c_str(), 0777);
        auto r = check_private_dir(dir);
        REQUIRE_FALSE(r);
        CHECK(r.error().code == Errc::state);
        CHECK(r.error().message == dir.string() +
                                       " is writable by others (mode 0777); another user could "
                                       "plant files in it: run chmod go-w " +
                                       dir.string());
        ::chmod(dir.c_str(), 0770);
        CHECK(check_private_dir(dir).error().message.find("writable by its group") !=
              std::string::npos);
    }
    SUBCASE("a link to a private directory") {
        fs::create_symlink(dir, t.path / "l");
        auto r = make_private_dir(t.path / "l");
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("is a symbolic link") != std::string::npos);
    }
    SUBCASE("a file") {
        std::ofstream(t.path / "f") << "x";
        CHECK(check_private_dir(t.path / "f").error().message.find("is not a directory") !=
              std::string::npos);
    }
    SUBCASE("another owner") {
        if (::geteuid() != 0) return;  // only root can give a directory away
        REQUIRE(::chown(dir.c_str(), 65534, 65534) == 0);
        auto r = check_private_dir(dir);
        REQUIRE_FALSE(r);
        CHECK(r.error().message.find("is owned by uid 65534, not by this user (uid 0)") !=
              std::string::npos);
    }
}
