// Run commands interleaved, several times, and print each one's median wall
// time and median peak RSS, with its ratio to the first command.
// Usage: bench_timer [--runs R] [--prep CMD] [--check CMD] [--csv FILE]
//                    NAME -- CMD ARGS... ';' NAME -- CMD ... ';'
// `--prep CMD` runs through /bin/sh before every timed run (e.g. to clean
// outputs); `--check CMD` after every timed run (e.g. to verify that the
// command really did its work; a non-zero status counts as a failure).
// Neither is timed. `--csv FILE` also writes the results as CSV lines
// `name,median_ms,min_ms,max_ms,median_rss_mb,max_rss_mb,failures,runs`.
// Peak RSS is the largest of the command and its reaped descendants
// (wait4's rusage), so a driver's own memory counts, not its children's sum.
// Own CPU is the command's process alone, without any of its children
// (utime + stime of /proc/PID/stat, read while it is a zombie, before it is
// reaped; clock ticks, 10 ms here): the driver's own cost. CSV adds
// `,median_own_cpu_ms` at the end.
// Exits 1 when any run of any command failed.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

struct Cmd {
    std::string name;
    std::vector<std::string> argv;
    std::vector<double> ms, rss_mb, cpu_ms;
    int failures = 0;
};

static double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty()      ? 0
           : v.size() % 2 ? v[v.size() / 2]
                          : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

// utime + stime of zombie `pid` in ms (its own, no child's); -1 if unknown.
static double own_cpu_ms(pid_t pid) {
    char path[64], buf[2048];
    std::snprintf(path, sizeof path, "/proc/%d/stat", static_cast<int>(pid));
    FILE* f = std::fopen(path, "r");
    if (!f) return -1;
    const std::size_t n = std::fread(buf, 1, sizeof buf - 1, f);
    std::fclose(f);
    buf[n] = '\0';
    const char* p = std::strrchr(buf, ')');  // comm may hold spaces
    unsigned long long utime = 0, stime = 0;
    // After ')': state (3), then fields 4-13, utime (14), stime (15).
    if (!p || std::sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime,
                          &stime) != 2)
        return -1;
    return static_cast<double>(utime + stime) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
}

int main(int argc, char** argv) {
    int runs = 5;
    std::string prep, check, csv;
    std::vector<Cmd> cmds;
    for (int i = 1; i < argc; ++i) {
        std::string a = argv[i];
        if (a == "--runs" && i + 1 < argc) {
            runs = std::atoi(argv[++i]);
        } else if (a == "--prep" && i + 1 < argc) {
            prep = argv[++i];
        } else if (a == "--check" && i + 1 < argc) {
            check = argv[++i];
        } else if (a == "--csv" && i + 1 < argc) {
            csv = argv[++i];
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
            siginfo_t info{};
            waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT);
            const auto end = std::chrono::steady_clock::now();
            c.cpu_ms.push_back(own_cpu_ms(pid));
            wait4(pid, &status, 0, &ru);
            bool failed = !WIFEXITED(status) || WEXITSTATUS(status) != 0;
            if (!failed && !check.empty() && std::system(check.c_str()) != 0) {
                std::fprintf(stderr, "bench_timer: check failed after %s\n", c.name.c_str());
                failed = true;
            }
            if (failed) ++c.failures;
            c.ms.push_back(std::chrono::duration<double, std::milli>(end - start).count());
            c.rss_mb.push_back(ru.ru_maxrss / 1024.0);
            // Progress on stderr: a full benchmark takes many minutes.
            std::fprintf(stderr, "  run %d/%d %-20s %10.1f ms %8.1f MB %8.0f ms own CPU%s\n", r + 1,
                         runs, c.name.c_str(), c.ms.back(), c.rss_mb.back(), c.cpu_ms.back(),
                         failed ? " FAILED" : "");
        }
    }
    const double base = median(cmds[0].ms);
    std::printf("%-20s %10s %10s %10s %8s %12s %11s %s\n", "command", "median ms", "min ms",
                "max ms", "ratio", "peak RSS MB", "own CPU ms", "failures");
    for (auto& c : cmds) {
        const auto [mn, mx] = std::minmax_element(c.ms.begin(), c.ms.end());
        std::printf("%-20s %10.1f %10.1f %10.1f %7.2fx %12.1f %11.0f %d/%d\n", c.name.c_str(),
                    median(c.ms), *mn, *mx, median(c.ms) / base, median(c.rss_mb), median(c.cpu_ms),
                    c.failures, runs);
    }
    if (!csv.empty()) {
        FILE* f = std::fopen(csv.c_str(), "w");
        if (!f) return 1;
        for (auto& c : cmds)
            std::fprintf(f, "%s,%.3f,%.3f,%.3f,%.1f,%.1f,%d,%d,%.1f\n", c.name.c_str(),
                         median(c.ms), *std::min_element(c.ms.begin(), c.ms.end()),
                         *std::max_element(c.ms.begin(), c.ms.end()), median(c.rss_mb),
                         *std::max_element(c.rss_mb.begin(), c.rss_mb.end()), c.failures, runs,
                         median(c.cpu_ms));
        std::fclose(f);
    }
    for (auto& c : cmds)
        if (c.failures) return 1;
    return 0;
}
