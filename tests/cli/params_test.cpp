#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "support/temp_dir.hpp"
#include "weft/cli/params.hpp"

using namespace weft;
using test::TempDir;
namespace fs = std::filesystem;

namespace {

// A pipe whose read end holds `text`, then its end.
struct Pipe {
    int fds[2] = {-1, -1};
    explicit Pipe(const std::string& text) {
        REQUIRE(::pipe(fds) == 0);
        REQUIRE(::write(fds[1], text.data(), text.size()) == static_cast<ssize_t>(text.size()));
        ::close(fds[1]);
    }
    ~Pipe() { ::close(fds[0]); }
};

}  // namespace

TEST_CASE("cli::read_param_args: KEY=VALUE as given, in order") {
    auto r = cli::read_param_args({"a=1", "b=x=y", "c=", "d=x@y", "a=2"});
    REQUIRE(r);
    CHECK(*r == cli::ParamArgs{{"a", "1"}, {"b", "x=y"}, {"c", ""}, {"d", "x@y"}, {"a", "2"}});
}

TEST_CASE("cli::read_param_args: @FILE, @- and @@") {
    TempDir t;
    const auto file = (t.path / "v").string();
    std::ofstream(file) << "from file\n\n";
    Pipe in("from stdin\n");
    auto r = cli::read_param_args({"a=@" + file, "b=@-", "c=@@x", "d=@@", "e=@@@"}, in.fds[0]);
    REQUIRE(r);
    CHECK(*r ==
          cli::ParamArgs{
              {"a", "from file\n"}, {"b", "from stdin"}, {"c", "@x"}, {"d", "@"}, {"e", "@@"}});
}

TEST_CASE("cli::read_param_args: every bad argument, a line each") {
    TempDir t;
    const auto dir = t.path.string();
    Pipe in("x");
    auto r = cli::read_param_args(
        {"novalue", "=v", "a=@" + dir + "/missing", "b=@" + dir, "c=@-", "d=@-"}, in.fds[0]);
    REQUIRE(!r);
    CHECK(r.error().code == Errc::usage);
    CHECK(r.error().message ==
          "-p novalue: expected KEY=VALUE\n"
          "-p =v: expected KEY=VALUE\n"
          "-p a=@" +
              dir +
              "/missing: No such file or directory\n"
              "-p b=@" +
              dir +
              ": Is a directory\n"
              "-p d=@-: standard input is already the value of -p c=@-");
}

TEST_CASE("cli::read_param_args: a NUL byte or more than 1 MiB is refused") {
    TempDir t;
    const auto file = (t.path / "v").string();
    std::ofstream(file, std::ios::binary) << std::string("a\0b", 3);
    auto r = cli::read_param_args({"a=@" + file});
    REQUIRE(!r);
    CHECK(r.error().message == "-p a=@" + file + ": the value holds a NUL byte");
    std::ofstream(file, std::ios::binary) << std::string(cli::k_max_param_file + 1, 'x');
    r = cli::read_param_args({"a=@" + file});
    REQUIRE(!r);
    CHECK(r.error().message == "-p a=@" + file + ": larger than 1 MiB");
}
