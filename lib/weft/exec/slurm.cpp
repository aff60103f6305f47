#include "weft/exec/slurm.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <tuple>

#include "weft/exec/process.hpp"
#include "weft/util/fs.hpp"
#include "weft/util/strings.hpp"

namespace weft::exec::slurm {
namespace {

std::string trim(std::string_view s) {
    const auto b = s.find_first_not_of(" \t\r\n");
    if (b == std::string_view::npos) return "";
    return std::string(s.substr(b, s.find_last_not_of(" \t\r\n") - b + 1));
}

struct CommandResult {
    int status = -1;  // exit code; -1 when a signal ended it
    std::string out, err;
};

// Run `argv` with `env` to its end, collecting its output. Killed (with its
// process group) after k_command_timeout: a controller that does not answer
// must not hold the engine's loop for long.
Result<CommandResult> run_command(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& env) {
    SpawnRequest r;
    r.argv = argv;
    r.env = env;
    auto child = spawn(r);
    if (!child) return child.error();
    CommandResult res;
    const auto deadline = std::chrono::steady_clock::now() + k_command_timeout;
    bool timed_out = false;
    while (child->stdout_fd >= 0 || child->stderr_fd >= 0) {
        pollfd fds[2];
        nfds_t n = 0;
        for (int fd : {child->stdout_fd, child->stderr_fd})
            if (fd >= 0) fds[n++] = pollfd{fd, POLLIN, 0};
        const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline - std::chrono::steady_clock::now());
        if (left.count() <= 0) {
            timed_out = true;
            ::kill(-child->pid, SIGKILL);
            break;
        }
        if (::poll(fds, n, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
        for (int stream : {1, 2}) {
            int& fd = stream == 1 ? child->stdout_fd : child->stderr_fd;
            if (fd < 0) continue;
            auto end = read_available(fd, stream == 1 ? res.out : res.err);
            if (!end || *end == ReadEnd::eof) {
                ::close(fd);
                fd = -1;
            }
        }
    }
    close_fds(*child);
    int wstatus = 0;
    while (::waitpid(child->pid, &wstatus, 0) < 0 && errno == EINTR) {
    }
    if (timed_out)
        return make_error(Errc::exec, "'" + argv[0] + "' did not answer within " +
                                          format_duration(k_command_timeout));
    res.status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1;
    return res;
}

// The first line of a command's stderr (or its exit status) for a message.
std::string complaint(const std::string& program, const CommandResult& r) {
    std::string text = trim(r.err);
    if (text.empty()) text = trim(r.out);
    if (const auto nl = text.find('\n'); nl != std::string::npos) text.resize(nl);
    if (text.empty())
        text =
            program + (r.status < 0 ? " was killed" : " exited with " + std::to_string(r.status));
    return text;
}

bool is_shell_name(std::string_view k) {
    if (k.empty() || std::isdigit(static_cast<unsigned char>(k[0]))) return false;
    for (char c : k)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_') return false;
    return true;
}

// A job file, created afresh (never through a link: util/fs.hpp), then
// given `mode` (job.sh must be executable).
Result<void> write_file(const std::string& path, std::string_view text, mode_t mode) {
    if (auto r = write_private_file(path, text); !r) return r;
    if (mode == 0600) return {};
    const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    const bool ok = fd >= 0 && ::fchmod(fd, mode) == 0;
    const int e = errno;
    if (fd >= 0) ::close(fd);
    if (!ok) return make_error(Errc::io, "cannot write " + path + ": " + std::strerror(e));
    return {};
}

}  // namespace

std::string sh_quote(std::string_view s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'')
            out += "'\\''";
        else
            out += c;
    }
    return out + "'";
}

Result<void> write_job(const JobSpec& spec) {
    if (auto r = make_private_dir(spec.dir); !r) return r;
    const std::string d = spec.dir + "/";
    std::string env;
    for (const auto& [k, v] : spec.env) {
        if (!is_shell_name(k) || k == "WEFT_OUTPUT" || k == "WEFT_EVENT_JSON") continue;
        env += "export " + k + "=" + sh_quote(v) + "\n";
    }
    env += "export WEFT_OUTPUT=" + sh_quote(d + "outputs") + "\n";
    env += "export WEFT_EVENT_JSON=" + sh_quote(d + "event.json") + "\n";
    std::string command;
    for (const auto& a : spec.argv) {
        std::string word = a;
        for (std::size_t p; (p = word.find("{script}")) != std::string::npos;)
            word.replace(p, 8, d + "step.sh");
        command += (command.empty() ? "" : " ") + sh_quote(word);
    }
    const std::string exit_tmp = sh_quote(d + "exit_code.tmp");
    const std::string exit_file = sh_quote(d + "exit_code");
    std::string job;
    for (const std::string& line : {
             std::string("#!/bin/sh"),
             std::string("# Written by weft: one attempt of a step, run as a Slurm job. The exit"),
             std::string("# code is written last (by rename): its file means the step has ended."),
             ". " + sh_quote(d + "env"),
             "if cd " + sh_quote(spec.cwd) + "; then",
             "    " + command + " </dev/null",
             std::string("    rc=$?"),
             std::string("else"),
             std::string("    rc=1"),
             std::string("fi"),
             "printf '%s\\n' \"$rc\" >" + exit_tmp + " && mv -f " + exit_tmp + " " + exit_file,
             std::string("exit \"$rc\""),
         })
        job += line + "\n";
    for (auto [name, text, mode] :
         {std::tuple<const char*, std::string_view, mode_t>{"env", env, 0600},
          {"step.sh", spec.script, 0600},
          {"job.sh", job, 0700},
          {"event.json", spec.event_json, 0600},
          {"outputs", "", 0600}})
        if (auto r = write_file(d + name, text, mode); !r) return r;
    return {};
}

std::vector<std::string> sbatch_argv(const JobSpec& spec) {
    const auto& o = spec.options;
    std::vector<std::string> argv{"sbatch",
                                  "--parsable",
                                  "--job-name=" + spec.name,
                                  "--chdir=" + spec.cwd,
                                  "--output=" + spec.dir + "/stdout",
                                  "--error=" + spec.dir + "/stderr",
                                  "--export=ALL",
                                  "--no-requeue"};
    if (!o.partition.empty()) argv.push_back("--partition=" + o.partition);
    if (o.cpus) argv.push_back("--cpus-per-task=" + std::to_string(*o.cpus));
    if (!o.mem.empty()) argv.push_back("--mem=" + o.mem);
    if (o.time) argv.push_back("--time=" + time_limit(*o.time));
    if (!o.gres.empty()) argv.push_back("--gres=" + o.gres);
    if (!o.account.empty()) argv.push_back("--account=" + o.account);
    for (const auto& a : o.extra_args) argv.push_back(a);
    argv.push_back(spec.dir + "/job.sh");
    return argv;
}

Result<std::string> submit(const JobSpec& spec, const std::vector<std::string>& env) {
    auto r = run_command(sbatch_argv(spec), env);
    if (!r) return make_error(Errc::exec, "cannot submit the Slurm job: " + r.error().message);
    if (r->status != 0)
        return make_error(Errc::exec, "cannot submit the Slurm job: " + complaint("sbatch", *r));
    // --parsable: "ID" or "ID;CLUSTER".
    std::string id = trim(r->out);
    if (const auto semi = id.find(';'); semi != std::string::npos) id.resize(semi);
    if (id.empty() || id.find_first_not_of("0123456789_") != std::string::npos)
        return make_error(Errc::exec, "cannot submit the Slurm job: sbatch printed '" +
                                          trim(r->out) + "', not a job id");
    return id;
}

Result<void> cancel(const std::string& job, const std::vector<std::string>& env) {
    auto r = run_command({"scancel", job}, env);
    if (!r)
        return make_error(Errc::exec, "cannot cancel Slurm job " + job + ": " + r.error().message);
    if (r->status != 0)
        return make_error(Errc::exec,
                          "cannot cancel Slurm job " + job + ": " + complaint("scancel", *r));
    return {};
}

std::vector<QueueEntry> parse_queue(std::string_view text) {
    std::vector<QueueEntry> out;
    for (const auto& line : split(std::string(text), '\n')) {
        // The name may hold '|': the id is before the first, state and reason
        // after the last two.
        const auto first = line.find('|');
        const auto last = line.rfind('|');
        if (first == std::string::npos || last == first) continue;
        const auto middle = line.rfind('|', last - 1);
        if (middle == first) continue;
        QueueEntry e;
        e.id = trim(line.substr(0, first));
        e.name = line.substr(first + 1, middle - first - 1);
        e.state = trim(line.substr(middle + 1, last - middle - 1));
        e.reason = trim(line.substr(last + 1));
        // "CANCELLED by 0" is how squeue may spell it.
        if (const auto sp = e.state.find(' '); sp != std::string::npos) e.state.resize(sp);
        if (!e.id.empty()) out.push_back(std::move(e));
    }
    return out;
}

Result<std::vector<QueueEntry>> queue(const std::vector<std::string>& env) {
    auto r =
        run_command({"squeue", "--me", "--states=all", "--noheader", "--format=%i|%j|%T|%r"}, env);
    if (!r) return make_error(Errc::exec, "cannot ask Slurm for its jobs: " + r.error().message);
    if (r->status != 0)
        return make_error(Errc::exec, "cannot ask Slurm for its jobs: " + complaint("squeue", *r));
    return parse_queue(r->out);
}

std::optional<QueueEntry> parse_accounting(std::string_view text, const std::string& job) {
    for (const auto& line : split(std::string(text), '\n')) {
        const auto first = line.find('|');
        const auto last = line.rfind('|');
        if (first == std::string::npos || last == first || trim(line.substr(0, first)) != job)
            continue;
        QueueEntry e;
        e.id = job;
        e.name = line.substr(first + 1, last - first - 1);
        e.state = trim(line.substr(last + 1));
        if (const auto sp = e.state.find(' '); sp != std::string::npos) e.state.resize(sp);
        e.reason = "None";
        return e;
    }
    return std::nullopt;
}

Result<std::optional<QueueEntry>> accounting(const std::string& job,
                                             const std::vector<std::string>& env) {
    auto r = run_command({"sacct", "--noheader", "--parsable2", "--allocations", "--jobs=" + job,
                          "--format=JobIDRaw,JobName,State"},
                         env);
    if (!r) return make_error(Errc::exec, "cannot ask Slurm's accounting: " + r.error().message);
    if (r->status != 0)
        return make_error(Errc::exec, "cannot ask Slurm's accounting: " + complaint("sacct", *r));
    return parse_accounting(r->out, job);
}

bool is_active(std::string_view state) {
    for (std::string_view end :
         {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "PREEMPTED", "OUT_OF_MEMORY",
          "BOOT_FAIL", "DEADLINE", "REVOKED", "SPECIAL_EXIT"})
        if (state == end) return false;
    return true;
}

std::string end_message(const std::string& job, std::string_view state, std::string_view reason) {
    std::string what;
    if (state == "NODE_FAIL")
        what = "its node failed";
    else if (state == "PREEMPTED")
        what = "it was preempted";
    else if (state == "OUT_OF_MEMORY")
        what = "it ran out of memory";
    else if (state == "TIMEOUT")
        what = "it reached its Slurm time limit";
    else if (state == "BOOT_FAIL")
        what = "its node failed to boot";
    else if (state == "DEADLINE")
        what = "it missed its deadline";
    else if (state == "CANCELLED")
        what = "it was cancelled outside weft";
    else if (state == "COMPLETED")
        what = "it ended without writing its exit code";
    else
        what = "it failed";
    std::string out = "Slurm job " + job + ": " + what + " (" + std::string(state);
    if (!reason.empty() && reason != "None") out += ", " + std::string(reason);
    return out + ")";
}

std::optional<int> read_exit_code(const std::string& dir) {
    std::ifstream f(dir + "/exit_code");
    int code = 0;
    if (!(f >> code)) return std::nullopt;
    return code;
}

void read_new(const std::string& path, long long& offset, std::string& buf, std::size_t max_bytes) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return;
    std::string chunk(std::min<std::size_t>(max_bytes, 64 * 1024), '\0');
    std::size_t total = 0;
    while (total < max_bytes) {
        const ssize_t n =
            ::pread(fd, chunk.data(), std::min(chunk.size(), max_bytes - total), offset);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        buf.append(chunk.data(), static_cast<std::size_t>(n));
        offset += n;
        total += static_cast<std::size_t>(n);
    }
    ::close(fd);
}

std::string time_limit(Duration d) {
    const long long minutes = std::max<long long>(1, (d.count() + 59'999) / 60'000);
    const long long days = minutes / (24 * 60), hours = minutes / 60 % 24, mins = minutes % 60;
    return fmt::format("{}-{:02}:{:02}:00", days, hours, mins);
}

std::string job_name(const std::string& state_dir, long long run, const std::string& step,
                     int attempt) {
    // FNV-1a: stable across builds, unlike std::hash.
    std::uint32_t h = 2166136261u;
    for (unsigned char c : state_dir) h = (h ^ c) * 16777619u;
    std::string s;
    for (char c : step)
        s += (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.')
                 ? c
                 : '_';
    return fmt::format("weft-{}-{}-{}-{:08x}", run, s, attempt, h);
}

}  // namespace weft::exec::slurm
