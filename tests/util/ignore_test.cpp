#include <doctest/doctest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "weft/util/ignore.hpp"

using namespace weft;

namespace {

struct InTempDir {
    std::filesystem::path old = std::filesystem::current_path();
    std::filesystem::path dir;
    InTempDir() {
        char tmpl[] = "/tmp/weft-ignore.XXXXXX";
        dir = ::mkdtemp(tmpl);
        std::filesystem::current_path(dir);
    }
    ~InTempDir() {
        std::filesystem::current_path(old);
        std::error_code ec;
        std::filesystem::remove_all(dir, ec);
    }
    void write(const std::string& path, const std::string& text) {
        std::filesystem::create_directories(std::filesystem::path(path).parent_path().empty()
                                                ? "."
                                                : std::filesystem::path(path).parent_path());
        std::ofstream(path) << text;
    }
};

}  // namespace

TEST_CASE("util::IgnoreFiles with git's rules") {
    InTempDir t;
    t.write(".gitignore", "# comment\n*.log\nbuild/\n/top.txt\ndocs/*.html\n!keep.log\n");
    t.write("sub/.gitignore", "*.tmp\n!important.log\n");
    t.write(".ignore", "secret\n");
    IgnoreFiles ig;
    CHECK(ig.ignored("app.log", false));
    CHECK(ig.ignored("deep/down/app.log", false));  // no slash: any depth
    CHECK_FALSE(ig.ignored("keep.log", false));     // re-included
    CHECK(ig.ignored("build", true));
    CHECK_FALSE(ig.ignored("build", false));    // trailing '/': directories only
    CHECK(ig.ignored("src/build/x.o", false));  // under an ignored directory
    CHECK(ig.ignored("top.txt", false));
    CHECK_FALSE(ig.ignored("sub/top.txt", false));  // anchored to its file's directory
    CHECK(ig.ignored("docs/a.html", false));
    CHECK_FALSE(ig.ignored("docs/x/a.html", false));
    CHECK(ig.ignored("sub/x.tmp", false));
    CHECK_FALSE(ig.ignored("x.tmp", false));              // sub/.gitignore rules stay in sub
    CHECK_FALSE(ig.ignored("sub/important.log", false));  // a deeper file overrides
    CHECK(ig.ignored("secret", false));                   // .ignore too
    CHECK_FALSE(ig.ignored("src/main.c", false));
    SUBCASE("nothing under an ignored directory comes back") {
        t.write("build/.gitignore", "!*\n");
        IgnoreFiles fresh;
        CHECK(fresh.ignored("build/keep.c", false));
    }
    SUBCASE("clear() rereads changed files") {
        t.write(".gitignore", "*.c\n");
        CHECK(ig.ignored("app.log", false));  // cached
        ig.clear();
        CHECK_FALSE(ig.ignored("app.log", false));
        CHECK(ig.ignored("main.c", false));
    }
}
