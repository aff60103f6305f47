#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "weft/cli/cli.hpp"
#include "weft/cli/output.hpp"

using namespace weft;

TEST_CASE("cli::exit_code: SPEC §6 codes by kind of error") {
    CHECK(cli::exit_code(Errc::usage) == cli::k_exit_usage);
    CHECK(cli::exit_code(Errc::invalid) == cli::k_exit_usage);
    CHECK(cli::exit_code(Errc::not_found) == cli::k_exit_usage);
    CHECK(cli::exit_code(Errc::state) == cli::k_exit_state);
    CHECK(cli::exit_code(Errc::io) == cli::k_exit_state);  // no engine answered
    CHECK(cli::exit_code(Errc::exec) == cli::k_exit_internal);
    CHECK(cli::exit_code(Errc::internal) == cli::k_exit_internal);
}

namespace {

// What `f` writes to stderr (fd 2 pointed at a temporary file meanwhile).
template <class F>
std::string stderr_of(F f) {
    std::fflush(stderr);
    std::FILE* tmp = std::tmpfile();
    REQUIRE(tmp != nullptr);
    const int saved = ::dup(2);
    ::dup2(::fileno(tmp), 2);
    f();
    std::fflush(stderr);
    ::dup2(saved, 2);
    ::close(saved);
    std::string text;
    std::rewind(tmp);
    for (int c; (c = std::fgetc(tmp)) != EOF;) text += static_cast<char>(c);
    std::fclose(tmp);
    return text;
}

}  // namespace

TEST_CASE("cli::fail: the message, a weft: error: line per line, and the kind's code") {
    int code = 0;
    CHECK(stderr_of([&] { code = cli::fail(make_error(Errc::state, "db gone")); }) ==
          "weft: error: db gone\n");
    CHECK(code == cli::k_exit_state);
    CHECK(stderr_of([&] { code = cli::fail(Errc::invalid, "unknown param 'a'\nmissing 'b'"); }) ==
          "weft: error: unknown param 'a'\nweft: error: missing 'b'\n");
    CHECK(code == cli::k_exit_usage);
}
