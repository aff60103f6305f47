#include <doctest/doctest.h>

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
