// Run commands interleaved, several times, and print each one's median wall
// time and median peak RSS, with its ratio to the first command.
// Usage: bench_timer [--runs R] [--prep CMD] NAME -- CMD ARGS... ';' NAME -- CMD ... ';'
// `--prep CMD` runs through /bin/sh before every timed run (e.g. to clean
// outputs); it is not timed.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

struct Cmd {
    std::string name;
    std::vector<std::string> argv;
    std::vector<double> ms, rss_mb;
    int failures = 0;
};

static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

int main(int argc, char** argv) {
    int runs = 5;
    std::string prep;
    std::vector<Cmd> cmds;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--runs" && i + 1 < argc) {
            runs = std::atoi(argv[++i]);
        } else if (a == "--prep" && i + 1 < argc) {
            prep = argv[++i];
        } else {
            Cmd c;
            c.name = a;
            if (++i >= argc || std::string(argv[i]) != "--") {
                std::fprintf(stderr, "bench_timer: expected '--' after %s\n", a.c_str());
                return 2;
            }
            for (++i; i < argc && std::string(argv[i]) != ";"; ++i) c.argv.push_back(argv[i]);
            cmds.push_back(c);
        }
    }
    if (cmds.empty() || runs < 1) return 2;
    for (int r = 0; r < runs; ++r) {
        for (auto& c : cmds) {
            if (!prep.empty() && std::system(prep.c_str()) != 0) return 1;
            const auto start = std::chrono::steady_clock::now();
            const pid_t pid = fork();
            if (pid == 0) {
                std::vector<char*> args;
                for (auto& s : c.argv) args.push_back(s.data());
                args.push_back(nullptr);
                if (!std::getenv("BENCH_VERBOSE")) {
                    freopen("/dev/null", "w", stdout);
                }
                execvp(args[0], args.data());
                _exit(127);
            }
            int status = 0;
            struct rusage ru {};
            wait4(pid, &status, 0, &ru);
            const auto end = std::chrono::steady_clock::now();
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++c.failures;
            c.ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
            c.rss_mb.push_back(ru.ru_maxrss / 1024.0);
        }
    }
    const double base = median(cmds[0].ms);
    std::printf("%-24s %12s %10s %12s %s\n", "command", "median ms", "ratio", "peak RSS MB", "failures");
    for (auto& c : cmds)
        std::printf("%-24s %12.1f %9.2fx %12.1f %d/%d\n", c.name.c_str(), median(c.ms), median(c.ms) / base,
                    median(c.rss_mb), c.failures, runs);
    for (auto& c : cmds)
        if (c.failures) return 1;
    return 0;
}
