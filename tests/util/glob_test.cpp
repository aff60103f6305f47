#include <doctest/doctest.h>

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "weft/util/glob.hpp"

using weft::glob_files;
using weft::glob_match;

TEST_CASE("glob: * and ? stay within a segment") {
    CHECK(glob_match("*.c", "main.c"));
    CHECK_FALSE(glob_match("*.c", "src/main.c"));
    CHECK(glob_match("src/?.c", "src/a.c"));
    CHECK_FALSE(glob_match("src/?.c", "src/ab.c"));
    CHECK(glob_match("./src/*.c", "src/a.c"));
}

TEST_CASE("glob: ** is any number of whole segments") {
    CHECK(glob_match("**/*.c", "main.c"));
    CHECK(glob_match("**/*.c", "a/b/c/main.c"));
    CHECK(glob_match("src/**", "src/a/b"));
    CHECK(glob_match("src/**/x.h", "src/x.h"));
    CHECK_FALSE(glob_match("src/**/x.h", "lib/x.h"));
}

TEST_CASE("glob: classes and alternatives") {
    CHECK(glob_match("[abc].txt", "b.txt"));
    CHECK_FALSE(glob_match("[abc].txt", "d.txt"));
    CHECK(glob_match("[a-c]x", "bx"));
    CHECK(glob_match("[!a-c]x", "dx"));
    CHECK_FALSE(glob_match("[!a-c]x", "ax"));
    CHECK(glob_match("*.{c,h}", "x.h"));
    CHECK(glob_match("{src,lib/{a,b}}/*.c", "lib/b/z.c"));
    CHECK_FALSE(glob_match("*.{c,h}", "x.o"));
}

TEST_CASE("glob: files on disk, sorted, without directories") {
    namespace fs = std::filesystem;
    const fs::path old = fs::current_path();
    const fs::path dir = fs::temp_directory_path() / ("weft-glob-" + std::to_string(::getpid()));
    fs::create_directories(dir / "src/sub");
    fs::current_path(dir);
    for (const char* f : {"src/b.c", "src/a.c", "src/sub/c.c", "src/x.h", "top.c"})
        std::ofstream(f) << "x";
    CHECK(glob_files("src/*.c") == std::vector<std::string>{"src/a.c", "src/b.c"});
    CHECK(glob_files("src/**/*.c") ==
          std::vector<std::string>{"src/a.c", "src/b.c", "src/sub/c.c"});
    CHECK(glob_files("**/*.{c,h}").size() == 5);
    CHECK(glob_files("top.c") == std::vector<std::string>{"top.c"});
    CHECK(glob_files("missing.c").empty());
    CHECK(glob_files("src").empty());  // a directory is not a file
    fs::current_path(old);
    fs::remove_all(dir);
}

TEST_CASE("glob: has_wildcard") {
    using weft::has_wildcard;
    CHECK(has_wildcard("*.c"));
    CHECK(has_wildcard("src/?.c"));
    CHECK(has_wildcard("[ab].c"));
    CHECK(has_wildcard("{src,lib}/x.c"));  // alternatives count before expansion
    CHECK_FALSE(has_wildcard("src/main.c"));
    CHECK_FALSE(has_wildcard(""));
}
