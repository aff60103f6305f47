// The weft binary: everything lives in the library; this file only hands
// over the command line and turns escaped exceptions into an exit code.
#include <exception>

#include "weft/cli/cli.hpp"
#include "weft/util/out.hpp"

int main(int argc, char** argv) {
    try {
        return weft::cli::main(argc, argv);
    } catch (const std::exception& e) {
        weft::out::message("weft: internal error: {}\n", e.what());
    } catch (...) {
        weft::out::message("weft: internal error\n");
    }
    return weft::cli::k_exit_internal;
}
