// Write one layered DAG of `N` no-op steps three ways, so weft, ninja and
// make do the same work: DIR/wf.yaml, DIR/build.ninja, DIR/Makefile.
// Each layer holds `W` steps; a step needs two steps of the layer before it.
// Usage: bench_gen DIR N [W]
//
// Every step, on every side, is one `sh` running `true && touch o/sI`: one
// shell, the builtin `true`, one fork+exec of `touch`, one file written into
// the directory `o`, which the caller creates before each run (bench/run.sh
// does; ninja and make would create it too, weft does not). weft runs the
// script with `shell: sh` (`sh -e FILE`), ninja and make with `/bin/sh -c`,
// so only the tools' own work differs. The Makefile disables make's built-in
// rules and suffixes, as a hand-tuned Makefile would (ninja has none).
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

int main(int argc, char** argv) {
    if (argc < 3) {
        std::fprintf(stderr, "usage: bench_gen DIR N [WIDTH]\n");
        return 2;
    }
    const std::string dir = argv[1];
    const long n = std::atol(argv[2]);
    const long w = argc > 3 ? std::atol(argv[3]) : 100;
    if (n < 1 || w < 1) return 2;
    auto deps = [&](long i, auto&& emit) {
        if (i < w) return;
        const long layer_start = (i / w - 1) * w;
        emit(layer_start + i % w);
        // With a layer of one step both needs would name the same step.
        if (w > 1) emit(layer_start + (i + 1) % w);
    };
    std::ofstream wf(dir + "/wf.yaml"), nj(dir + "/build.ninja"), mk(dir + "/Makefile");
    wf << "name: bench\ndefaults:\n  shell: sh\nsteps:\n";
    nj << "rule run\n  command = true && touch $out\n";
    mk << "MAKEFLAGS += --no-builtin-rules\n.SUFFIXES:\n.PHONY: all\nall:";
    for (long i = 0; i < n; ++i) mk << " o/s" << i;
    mk << "\n\no:\n\tmkdir -p o\n\n";
    nj << "build o: phony\n";
    for (long i = 0; i < n; ++i) {
        wf << "  s" << i << ":\n    run: \"true && touch o/s" << i << "\"\n";
        std::string needs;
        deps(i, [&](long d) { needs += (needs.empty() ? "" : ", ") + ("s" + std::to_string(d)); });
        if (!needs.empty()) wf << "    needs: [" << needs << "]\n";
        nj << "build o/s" << i << ": run";
        mk << "o/s" << i << ":";
        deps(i, [&](long d) {
            nj << " o/s" << d;
            mk << " o/s" << d;
        });
        nj << "\n";
        mk << " | o\n\ttrue && touch $@\n";
    }
    return wf && nj && mk ? 0 : 1;
}
