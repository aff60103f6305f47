#include "weft/cli/cli.hpp"

#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <cstring>
#include <functional>
#include <utility>

#include "weft/cli/commands.hpp"
#include "weft/cli/state.hpp"
#include "weft/plugin/plugin.hpp"
#include "weft/util/strings.hpp"

namespace weft::cli {

namespace {

struct Command {
    const char* name;
    const char* summary;  // null: a hidden command, for scripts weft writes
    std::function<void(CLI::App&, Options&)> setup;
    int (*run)(const Options&, const Globals&);
};

// Every subcommand, in the order `weft help` lists them.
// A run id: digits that fit in 63 bits (CLI11 would clamp a longer number
// to the largest one and name that run instead), or `last`, which becomes
// k_run_last until main() looks the newest run up.
CLI::Validator run_id_check() {
    return CLI::Validator(
        [](std::string& v) -> std::string {
            if (v == "last") {
                v = std::to_string(k_run_last);
                return {};
            }
            const bool digits = !v.empty() && v.size() <= 19 &&
                                v.find_first_not_of("0123456789") == std::string::npos;
            if (digits && (v.size() < 19 || v <= "9223372036854775807")) return {};
            return "'" + v + "' is not a run id (a number or 'last'; see 'weft runs')";
        },
        "RUN");
}

// `last` (SPEC §9.3): the newest run that no other run called. Fails as
// open_state does, or with Errc::usage when there is no run at all.
Result<long long> newest_run(const Globals& g) {
    auto state = open_state(g);
    if (!state) return state.error();
    auto id = state->store.newest_top_run();
    if (!id) return id.error();
    if (!*id) return make_error(Errc::usage, "'last': there are no runs yet");
    return static_cast<long long>(**id);
}

// The first argument that is neither an option nor an option's value: what
// the user meant as a command.
std::string first_word(int argc, char** argv) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-C" || a == "--state" || a == "--color")
            ++i;
        else if (a.empty() || a[0] != '-')
            return a;
    }
    return {};
}

std::vector<Command> commands() {
    return {
        {"run", "Run a workflow once, in this process",
         [](CLI::App& c, Options& o) {
             c.add_option("FILE", o.files, "Workflow file")->required()->expected(1);
             c.add_option("-p,--param", o.params,
                          "Param value, KEY=VALUE or KEY=@FILE (@- stdin; repeatable)");
             c.add_option("-j,--jobs", o.jobs,
                          "Steps at once (default: max-parallel, else the number of CPUs)");
             c.add_flag("--dry-run", o.dry_run, "Print the plan; run nothing");
             c.add_option("--only", o.only, "Run only STEP and what it needs (repeatable)");
             c.add_flag("--force", o.force, "Run steps even when up to date");
             c.add_flag("--fail-fast", o.fail_fast, "After a failure start nothing new");
             c.add_option("--secrets", o.secrets_file, "Dotenv file of secrets, KEY=VALUE lines");
             c.add_option("--event", o.event_file,
                          "Run as if this event (a JSON file) had arrived");
             c.add_flag("--json", o.json, "JSON lines on stdout");
         },
         cmd_run},
        {"up",
         "Run the event engine: arm the triggers of the workflows in PATH (default ./workflows)",
         [](CLI::App& c, Options& o) {
             c.add_option("PATH", o.files, "Workflow files and directories");
             c.add_flag("--json", o.json, "JSON lines on stdout");
         },
         cmd_up},
        {"trigger", "Send a manual event for WORKFLOW to the running engine",
         [](CLI::App& c, Options& o) {
             c.add_option("WORKFLOW", o.workflow, "Workflow name")->required();
             c.add_option("-p,--param", o.params,
                          "Param value, KEY=VALUE or KEY=@FILE (@- stdin; repeatable)");
         },
         cmd_trigger},
        {"emit", "Hand records from standard input to the running engine as stdin events",
         [](CLI::App& c, Options& o) {
             c.add_option("WORKFLOW", o.files, "Only these workflows (default: every on: stdin)");
             c.add_option("--format", o.format, "Record format (default: the workflows')")
                 ->check(CLI::IsMember({"lines", "json"}));
         },
         cmd_emit},
        {"status", "Show the running engine: pid, uptime, workflows, triggers, queue, runs",
         [](CLI::App& c, Options& o) { c.add_flag("--json", o.json, "One JSON object"); },
         cmd_status},
        {"list", "List workflows, their triggers and next scheduled fire times",
         [](CLI::App& c, Options& o) {
             c.add_option("PATH", o.files, "Workflow files and directories (default ./workflows)");
             c.add_flag("--json", o.json, "One JSON object a line");
         },
         cmd_list},
        {"events", "List recent events, newest first, and what became of each per workflow",
         [](CLI::App& c, Options& o) {
             c.add_option("WORKFLOW", o.workflow, "Only events offered to this workflow");
             c.add_option("--limit", o.limit, "At most N events")->capture_default_str();
             c.add_flag("--json", o.json, "One JSON object a line");
         },
         cmd_events},
        {"runs", "List recent runs, newest first",
         [](CLI::App& c, Options& o) {
             c.add_option("WORKFLOW", o.workflow, "Only runs of this workflow");
             c.add_option("--status", o.status, "Only runs with this status");
             c.add_option("--limit", o.limit, "At most N runs")->capture_default_str();
             c.add_flag("--json", o.json, "One JSON object a line");
         },
         cmd_runs},
        {"show", "Show a run: steps, states, attempts, exit codes, outputs, its event",
         [](CLI::App& c, Options& o) {
             c.add_option("RUN", o.run_id, "Run id, or last")
                 ->required()
                 ->transform(run_id_check());
             c.add_flag("--json", o.json, "One JSON object");
         },
         cmd_show},
        {"logs", "Print a run's logs",
         [](CLI::App& c, Options& o) {
             c.add_option("RUN", o.run_id, "Run id, or last")
                 ->required()
                 ->transform(run_id_check());
             c.add_option("STEP", o.step, "Only this step");
             c.add_flag("-f,--follow", o.follow, "Keep printing until the run ends");
             c.add_flag("--timestamps", o.timestamps, "Prefix each line with its time");
             c.add_flag("--raw", o.raw,
                        "Print the stored bytes (by default a terminal gets valid UTF-8 "
                        "and no escape sequences but colours)");
         },
         cmd_logs},
        {"resume", "Continue an interrupted, failed or cancelled run",
         [](CLI::App& c, Options& o) {
             c.add_option("RUN", o.run_id, "Run id, or last")
                 ->required()
                 ->transform(run_id_check());
             c.add_option(
                 "-p,--param", o.params,
                 "Param value, KEY=VALUE or KEY=@FILE (secret params must be given again)");
             c.add_option("-j,--jobs", o.jobs, "Steps at once");
             c.add_option("--secrets", o.secrets_file,
                          "Dotenv file of secrets, KEY=VALUE lines (give it again)");
             c.add_flag("--fail-fast", o.fail_fast, "After a failure start nothing new");
             c.add_flag("--json", o.json, "JSON lines on stdout");
         },
         cmd_resume},
        {"cancel", "Cancel a running run, whichever weft process runs it",
         [](CLI::App& c, Options& o) {
             c.add_option("RUN", o.run_id, "Run id, or last")
                 ->required()
                 ->transform(run_id_check());
         },
         cmd_cancel},
        {"prune", "Delete runs beyond each workflow's retention",
         [](CLI::App& c, Options& o) {
             c.add_flag("--dry-run", o.dry_run, "Print what would be deleted; delete nothing");
         },
         cmd_prune},
        {"validate", "Check workflow files and report every error",
         [](CLI::App& c, Options& o) {
             c.add_option("FILE", o.files, "Workflow files")->required();
         },
         cmd_validate},
        {"graph", "Print a workflow's DAG (text, dot or mermaid)",
         [](CLI::App& c, Options& o) {
             c.add_option("FILE", o.files, "Workflow file")->required()->expected(1);
             c.add_option("--format", o.format, "Output format")
                 ->check(CLI::IsMember({"text", "dot", "mermaid"}))
                 ->capture_default_str();
             c.add_flag("--expand", o.expand, "Draw the steps of each workflow a step calls");
         },
         cmd_graph},
        {"cron", "Print the next fire times of a cron expression",
         [](CLI::App& c, Options& o) {
             c.add_option("EXPR", o.expr, "Cron expression (5 or 6 fields, or @daily etc.)")
                 ->required();
             c.add_option("--tz", o.tz, "IANA time zone (default: the machine's)");
             c.add_option("--from", o.from,
                          "Start instant, RFC 3339 (default: now); fires strictly after it");
             c.add_option("--count", o.count, "How many fire times")
                 ->check(CLI::Range(1, 100000))
                 ->capture_default_str();
         },
         cmd_cron},
        {"plugins", "List the plugins found: kind, version, path and parameters",
         [](CLI::App&, Options&) {}, cmd_plugins},
        {"completion", "Print a completion script for bash, zsh or fish",
         [](CLI::App& c, Options& o) {
             c.add_option("SHELL", o.shell, "Shell")
                 ->required()
                 ->check(CLI::IsMember({"bash", "zsh", "fish"}));
         },
         cmd_completion},
        // What the completion scripts ask: run ids, a run's step ids.
        {"__complete", nullptr,
         [](CLI::App& c, Options& o) {
             c.add_option("WHAT", o.complete_args, "runs | steps RUN | workflows")->required();
         },
         cmd_complete},
    };
}

void add_globals(CLI::App& app, Globals& g) {
    app.add_option("-C", g.dir, "Run as if started in DIR");
    app.add_option("--state", g.state, "State database (default: .weft/state.db, or $WEFT_STATE)");
    app.add_option("--color", g.color, "Colour: auto, always or never (NO_COLOR is honoured)")
        ->check(CLI::IsMember({"auto", "always", "never"}));
    app.add_flag("-q,--quiet", g.quiet, "Print only failures and the summary");
    app.add_flag("-v,--verbose", g.verbose, "Print more");
}

// The command line of weft: globals, the table's commands (hidden ones in
// no group, so `weft help` leaves them out), and `help`. The pointers in
// `subs` and `help` live as long as `app`.
struct CommandLine {
    CLI::App app{"weft: run workflows of steps once, or on every event", "weft"};
    std::vector<Command> table = commands();
    std::vector<std::pair<CLI::App*, const Command*>> subs;
    CLI::App* help = nullptr;

    CommandLine(Globals& g, Options& o) {
        app.set_version_flag("--version", std::string("weft ") + WEFT_VERSION);
        app.require_subcommand(0, 1);
        app.fallthrough();  // global flags may follow the subcommand
        add_globals(app, g);
        for (const auto& c : table) {
            CLI::App* sub = app.add_subcommand(c.name, c.summary ? c.summary : "");
            if (!c.summary) sub->group("");
            c.setup(*sub, o);
            subs.emplace_back(sub, &c);
        }
        help = app.add_subcommand("help", "Show help for weft or one command");
        help->add_option("COMMAND", o.help_topic, "Command to describe");
    }
};

// The values a CLI11 type name lists (`TEXT:{text,dot,mermaid}`), else none.
std::vector<std::string> listed_values(const std::string& type_name) {
    const auto open = type_name.find('{');
    const auto close = type_name.find('}', open);
    if (open == std::string::npos || close == std::string::npos) return {};
    return split(type_name.substr(open + 1, close - open - 1), ',');
}

std::vector<FlagSpec> flag_specs(const CLI::App& app) {
    std::vector<FlagSpec> out;
    for (const CLI::Option* opt : app.get_options()) {
        if (opt->get_positional()) continue;
        FlagSpec f;
        for (const auto& n : opt->get_snames()) f.names.push_back("-" + n);
        for (const auto& n : opt->get_lnames()) f.names.push_back("--" + n);
        f.help = opt->get_description();
        f.takes_value = opt->get_items_expected_max() > 0;
        if (f.takes_value) f.values = listed_values(opt->get_type_name());
        out.push_back(std::move(f));
    }
    return out;
}

}  // namespace

CommandLineSpec command_line_spec() {
    Globals g;
    Options o;
    CommandLine cl(g, o);
    CommandLineSpec spec;
    spec.globals = flag_specs(cl.app);
    for (const CLI::App* sub :
         std::as_const(cl.app).get_subcommands([](const CLI::App*) { return true; })) {
        if (sub->get_group().empty()) continue;
        CommandSpec c{sub->get_name(), sub->get_description(), flag_specs(*sub), {}};
        for (const CLI::Option* opt : sub->get_options())
            if (opt->get_positional())
                c.positionals.push_back({opt->get_name(), opt->get_items_expected_max() > 1,
                                         listed_values(opt->get_type_name())});
        spec.commands.push_back(std::move(c));
    }
    return spec;
}

int main(int argc, char** argv) {
    // The plugin host (SPEC §7): weft itself, started by the engine as a
    // step's process to run a shared-library or built-in plugin. Hidden: not
    // a command for users.
    if (argc >= 2 && std::strcmp(argv[1], "__plugin-host") == 0)
        return plugin::host_main(argc, argv);
    Globals g;
    Options o;
    CommandLine cl(g, o);
    auto& app = cl.app;
    const auto& table = cl.table;
    const auto& subs = cl.subs;
    CLI::App* help = cl.help;

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // CLI11 uses exit codes above 100 for parse errors; SPEC §6 says 2.
        if (e.get_exit_code() == 0) return app.exit(e);
        if (dynamic_cast<const CLI::ExtrasError*>(&e) && app.get_subcommands().empty()) {
            if (const std::string w = first_word(argc, argv); !w.empty()) {
                std::vector<std::string> names{"help"};
                for (const auto& c : table)
                    if (c.summary) names.push_back(c.name);
                const int code =
                    fail(Errc::usage, with_suggestion("unknown command '" + w + "'", w, names));
                out::message("Run 'weft help' for the list of commands.\n");
                return code;
            }
        }
        const int code = fail(Errc::usage, e.what());
        out::message("Run 'weft help' for usage.\n");
        return code;
    }

    if (help->parsed() || app.get_subcommands().empty()) {
        if (o.help_topic.empty()) {
            // app.help() would describe the parsed subcommand: `help` itself.
            out::print("{}", app.get_formatter()->make_help(&app, app.get_name(),
                                                            CLI::AppFormatMode::Normal));
            return app.get_subcommands().empty() ? k_exit_usage : k_exit_ok;
        }
        for (const auto& [sub, c] : subs)
            if (o.help_topic == c->name && c->summary) {
                out::print("{}", sub->help());
                return k_exit_ok;
            }
        return fail(Errc::usage,
                    "unknown command '" + o.help_topic + "'; run 'weft help' for the list");
    }

    // An empty -C or --state would mean "here" and "the default database",
    // silently (SPEC §9.4): a usage error instead, as a script's empty
    // variable usually is.
    if (app.count("-C") > 0 && g.dir.empty())
        return fail(Errc::usage, "-C: the directory is empty");
    if (app.count("--state") > 0 && g.state.empty())
        return fail(Errc::usage, "--state: the path is empty");
    if (!g.dir.empty() && ::chdir(g.dir.c_str()) != 0) {
        return fail(Errc::usage, "-C " + g.dir + ": " + std::strerror(errno));
    }
    g.out.color = use_color(parse_color(g.color), stderr);
    g.out.verbosity = g.quiet ? -1 : g.verbose ? 1 : 0;
    if (o.run_id == k_run_last) {
        auto id = newest_run(g);
        if (!id) return fail(id.error());
        o.run_id = *id;
    }
    for (const auto& [sub, c] : subs)
        if (sub->parsed()) return c->run(o, g);
    return k_exit_usage;
}

}  // namespace weft::cli
