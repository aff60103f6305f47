#pragma once
// The command line (SPEC §6): subcommands, flags and exit codes.

namespace weft::cli {

// Exit codes of SPEC §6.
enum ExitCode : int {
    k_exit_ok = 0,
    k_exit_failed = 1,
    k_exit_usage = 2,
    k_exit_state = 3,
    k_exit_internal = 70,  // an escaped exception, or an Errc::internal
    k_exit_sighup = 129,
    k_exit_sigint = 130,
    k_exit_sigterm = 143,
};

// Parse `argv`, run the command, and return the process exit code.
int main(int argc, char** argv);

}  // namespace weft::cli
