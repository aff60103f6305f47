#include <doctest/doctest.h>

#include <filesystem>

#include <unistd.h>

#include "weft/engine/triggers/file.hpp"

using namespace weft;

TEST_CASE("engine::path_under") {
    CHECK(engine::path_under("src/a.c", "src"));
    CHECK(engine::path_under("src", "src"));
    CHECK(engine::path_under("anything", "."));
    CHECK(!engine::path_under("srcx/a.c", "src"));
    CHECK(!engine::path_under("sr", "src"));
}

TEST_CASE("engine::glob_root: the fixed prefix, cut to a directory that exists") {
    namespace fs = std::filesystem;
    const auto old = fs::current_path();
    const fs::path dir =
        fs::temp_directory_path() / ("weft_globroot_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "src/lib");
    fs::current_path(dir);
    CHECK(engine::glob_root("src/**/*.c") == "src");
    CHECK(engine::glob_root("./src/lib/*.h") == "src/lib");
    CHECK(engine::glob_root("src/lib/gen/x.c") == "src/lib");  // gen/ does not exist yet
    CHECK(engine::glob_root("*.c") == ".");
    CHECK(engine::glob_root("nope/*.c") == ".");
    CHECK(engine::glob_root("src/{a,b}/x") == "src");
    fs::current_path(old);
    fs::remove_all(dir);
}
