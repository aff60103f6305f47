#pragma once
// The subcommands. Each takes the options parsed for it and returns the exit
// code; cli.cpp lists them in one table (no self-registration).
#include <string>
#include <vector>

#include "weft/cli/output.hpp"

namespace weft::cli {

struct Globals {
    std::string dir;    // -C
    std::string state;  // --state
    std::string color = "auto";
    bool quiet = false;
    bool verbose = false;
    Output out;
};

inline constexpr int k_jobs_unset = -2147483647 - 1;
// `last` given as RUN, until main() replaces it with the newest run's id.
inline constexpr long long k_run_last = -1;

struct Options {
    std::vector<std::string> files;
    std::string format = "text";
    bool expand = false;  // graph: a sub-workflow step's steps, nested
    // cron
    std::string expr;
    std::string tz;
    std::string from;
    int count = 5;
    // run
    std::vector<std::string> params;
    int jobs = k_jobs_unset;  // -j; k_jobs_unset when not given
    bool dry_run = false;
    bool force = false;
    bool fail_fast = false;
    bool json = false;
    std::vector<std::string> only;
    std::string secrets_file;
    std::string event_file;
    // history
    std::string workflow;
    std::string status;
    int limit = 20;
    long long run_id = 0;
    std::string step;
    bool follow = false;
    bool timestamps = false;
    bool raw = false;  // logs: the stored bytes, even on a terminal
    std::string help_topic;
    // completion
    std::string shell;
    std::vector<std::string> complete_args;
};

// The command line as completion scripts see it, built from cli.cpp's one
// command table (so the scripts never drift from it).
struct FlagSpec {
    std::vector<std::string> names;  // `-p`, `--param`
    std::string help;
    bool takes_value = false;
    std::vector<std::string> values;  // the values it accepts, when it lists them
};
struct PositionalSpec {
    std::string name;  // FILE, PATH, RUN, STEP, WORKFLOW, COMMAND, SHELL, EXPR
    bool repeats = false;
    std::vector<std::string> values;  // the values it accepts, when it lists them
};
struct CommandSpec {
    std::string name;
    std::string summary;
    std::vector<FlagSpec> flags;
    std::vector<PositionalSpec> positionals;
};
struct CommandLineSpec {
    std::vector<FlagSpec> globals;      // --version and --help among them
    std::vector<CommandSpec> commands;  // visible ones, `help` last
};
CommandLineSpec command_line_spec();

int cmd_validate(const Options& o, const Globals& g);
int cmd_graph(const Options& o, const Globals& g);
int cmd_cron(const Options& o, const Globals& g);
int cmd_run(const Options& o, const Globals& g);
int cmd_runs(const Options& o, const Globals& g);
int cmd_show(const Options& o, const Globals& g);
int cmd_logs(const Options& o, const Globals& g);
int cmd_cancel(const Options& o, const Globals& g);
int cmd_resume(const Options& o, const Globals& g);
int cmd_prune(const Options& o, const Globals& g);
int cmd_up(const Options& o, const Globals& g);
int cmd_trigger(const Options& o, const Globals& g);
int cmd_emit(const Options& o, const Globals& g);
int cmd_status(const Options& o, const Globals& g);
int cmd_list(const Options& o, const Globals& g);
int cmd_events(const Options& o, const Globals& g);
int cmd_plugins(const Options& o, const Globals& g);
int cmd_completion(const Options& o, const Globals& g);
int cmd_complete(const Options& o, const Globals& g);

}  // namespace weft::cli
