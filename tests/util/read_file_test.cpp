#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"
#include "weft/util/read_file.hpp"

using namespace weft;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

void write(const fs::path& p, const std::string& text) {
    std::ofstream(p, std::ios::binary) << text;
}

}  // namespace

TEST_CASE("util::read_file: a regular file, whole and bounded") {
    TempDir t;
    const auto f = (t.path / "f").string();
    write(f, std::string("a\0b\n", 4));
    auto r = read_file(f, 1 << 20);
    REQUIRE(r);
    CHECK(*r == std::string("a\0b\n", 4));

    write(f, std::string((2 << 20) + 1, 'x'));
    r = read_file(f, 2 << 20);
    REQUIRE(!r);
    CHECK(r.error().code == Errc::invalid);
    CHECK(r.error().message == "larger than 2 MiB");
    CHECK(read_file(f, 2 << 20, FileKinds::any).error().message == "larger than 2 MiB");
}

TEST_CASE("util::read_file: why a path cannot be read") {
    TempDir t;
    auto r = read_file((t.path / "missing").string(), 100);
    REQUIRE(!r);
    CHECK(r.error().code == Errc::io);
    CHECK(r.error().message == "No such file or directory");
    CHECK(read_file(t.path.string(), 100).error().message == "Is a directory");
    CHECK(read_file(t.path.string(), 100, FileKinds::any).error().message == "Is a directory");
    // A FIFO without a writer: refused at once, not waited on.
    const auto fifo = (t.path / "fifo").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CHECK(read_file(fifo, 100).error().message == "not a regular file");
    // A device is read (to its bound) only where any kind of file is allowed.
    CHECK(read_file("/dev/null", 100).error().message == "not a regular file");
    auto null = read_file("/dev/null", 100, FileKinds::any);
    REQUIRE(null);
    CHECK(null->empty());
    CHECK(read_file("/dev/zero", 100, FileKinds::any).error().message == "larger than 0 MiB");
}

TEST_CASE("util::read_fd: a pipe to its end") {
    int p[2];
    REQUIRE(::pipe(p) == 0);
    REQUIRE(::write(p[1], "hello\n", 6) == 6);
    ::close(p[1]);
    auto r = read_fd(p[0], 100);
    ::close(p[0]);
    REQUIRE(r);
    CHECK(*r == "hello\n");
}
