// The weft binary: everything lives in the library; this file only hands
// over the command line and turns escaped exceptions into an exit code.
#include <cstdio>
#include <exception>

#include "weft/cli/cli.hpp"

int main(int argc, char** argv) {
    try {
        return weft::cli::main(argc, argv);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "weft: internal error: %s\n", e.what());
    } catch (...) {
        std::fprintf(stderr, "weft: internal error\n");
    }
    return 70;
}
