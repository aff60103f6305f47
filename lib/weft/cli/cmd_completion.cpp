// weft completion bash|zsh|fish: completion scripts generated from the one
// command table (command_line_spec), and the hidden `weft __complete` they
// call for what only the state database knows: run ids and step ids.
#include <fmt/format.h>

#include <filesystem>
#include <set>
#include <string>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/state.hpp"
#include "weft/model/run.hpp"

namespace weft::cli {

namespace {

// `text` as one single-quoted shell word (bash, zsh; fish reads `\'`).
std::string sh_word(std::string_view text, bool fish = false) {
    std::string out = "'";
    for (char c : text) {
        if (c == '\'')
            out += fish ? "\\'" : "'\\''";
        else if (fish && c == '\\')
            out += "\\\\";
        else
            out += c;
    }
    return out + "'";
}

std::string joined(const std::vector<std::string>& words, std::string_view sep = " ") {
    std::string out;
    for (const auto& w : words) out += (out.empty() ? "" : std::string(sep)) + w;
    return out;
}

// Every name of the flags that take a value, globals included.
std::vector<std::string> valued_names(const std::vector<FlagSpec>& flags,
                                      const std::vector<FlagSpec>& globals) {
    std::vector<std::string> out;
    for (const auto* list : {&flags, &globals})
        for (const auto& f : *list)
            if (f.takes_value) out.insert(out.end(), f.names.begin(), f.names.end());
    return out;
}

std::vector<std::string> all_names(const std::vector<FlagSpec>& flags) {
    std::vector<std::string> out;
    for (const auto& f : flags) out.insert(out.end(), f.names.begin(), f.names.end());
    return out;
}

std::vector<std::string> command_names(const CommandLineSpec& spec) {
    std::vector<std::string> out;
    for (const auto& c : spec.commands) out.push_back(c.name);
    return out;
}

// How a flag's value completes: `files`, `dirs`, the listed values, or nothing.
std::string value_kind(const FlagSpec& f) {
    for (const auto& n : f.names) {
        if (n == "-C") return "dirs";
        if (n == "--state" || n == "--secrets" || n == "--event") return "files";
    }
    return f.values.empty() ? "" : "values";
}

// The positional kinds, space-separated, the last followed by `...` when it
// repeats: `RUN STEP`, `FILE...`.
std::string positional_list(const CommandSpec& c) {
    std::string out;
    for (const auto& p : c.positionals)
        out += (out.empty() ? "" : " ") + p.name + (p.repeats ? "..." : "");
    return out;
}

// The shell code (bash or zsh: both read it) of `case` arms that set
// `flags`, `valued` and `positionals` for each command.
std::string command_info_cases(const CommandLineSpec& spec) {
    std::string out;
    for (const auto& c : spec.commands)
        out += fmt::format("        {}) flags={}; valued={}; positionals={} ;;\n", c.name,
                           sh_word(joined(all_names(c.flags))),
                           sh_word(" " + joined(valued_names(c.flags, spec.globals)) + " "),
                           sh_word(positional_list(c)));
    return out;
}

// `case` arms from a flag (`graph --format`, or `--color` for a global) to
// its kind and values: `kind=values; values='text dot mermaid'`.
std::string value_cases(const CommandLineSpec& spec) {
    std::string out;
    auto arm = [&](const std::string& cmd, const FlagSpec& f) {
        const std::string kind = value_kind(f);
        if (kind.empty()) return;
        std::vector<std::string> keys;
        for (const auto& n : f.names) keys.push_back(sh_word(cmd + " " + n));
        out += fmt::format("        {}) kind={}; values={} ;;\n", joined(keys, "|"), kind,
                           sh_word(joined(f.values)));
    };
    for (const auto& c : spec.commands)
        for (const auto& f : c.flags)
            if (f.takes_value) arm(c.name, f);
    for (const auto& f : spec.globals)
        if (f.takes_value) arm("*", f);
    return out;
}

// bash and zsh: `kind` and `values` of the flag `prev` the cursor is the value
// of, the command's own first, then the global one.
std::string value_lookup(const CommandLineSpec& spec) {
    const std::string arms = value_cases(spec);
    return "        local kind='' values=''\n        case \"$cmd $prev\" in\n" + arms +
           "        esac\n        if [[ -z $kind ]]; then\n            case \"* $prev\" in\n" +
           arms + "            esac\n        fi\n";
}

// The positional values a command lists (`completion` SHELL): `case` arms.
std::string positional_value_cases(const CommandLineSpec& spec) {
    std::string out;
    for (const auto& c : spec.commands)
        for (std::size_t i = 0; i < c.positionals.size(); ++i)
            if (!c.positionals[i].values.empty())
                out += fmt::format("        {}) values={} ;;\n",
                                   sh_word(c.name + " " + std::to_string(i)),
                                   sh_word(joined(c.positionals[i].values)));
    return out;
}

// The scan both bash and zsh scripts start with: the subcommand, the
// positional words before the cursor, the -C/--state words to pass to
// `weft __complete`, and whether the cursor is on an option's value.
constexpr const char* k_scan =
    R"SH(    local cmd='' w flags='' valued=' -C --state --color ' positionals='' skip=0 i
    local -a pos ctx
    pos=()
    ctx=()
    for ((i = FIRST; i < CUR; i++)); do
        w=${WORDS[i]}
        if ((skip)); then
            skip=0
            continue
        fi
        case $w in
            -C | --state) ctx+=("$w" "${WORDS[i+1]}"); skip=1 ;;
            -*) [[ $valued == *" $w "* ]] && skip=1 ;;
            *)
                if [[ -z $cmd ]]; then
                    cmd=$w
                    case $cmd in
INFO                    esac
                else
                    pos+=("$w")
                fi
                ;;
        esac
    done
    # The kind of positional the cursor is on: the next one, or a repeating last one.
    local -a kinds
    kinds=(${=positionals})
    local kind=''
    if ((${#pos[@]} < ${#kinds[@]})); then
        kind=${kinds[${#pos[@]}+OFFSET]}
    elif ((${#kinds[@]})) && [[ ${kinds[-1]} == *... ]]; then
        kind=${kinds[-1]}
    fi
    kind=${kind%...}
)SH";

std::string scan(const CommandLineSpec& spec, bool zsh) {
    std::string s = k_scan;
    auto put = [&](std::string_view key, const std::string& with) {
        for (auto at = s.find(key); at != std::string::npos; at = s.find(key, at + with.size()))
            s.replace(at, key.size(), with);
    };
    std::string info = command_info_cases(spec);
    // bash has no ${=var} word splitting syntax; zsh splits only with it.
    if (!zsh) put("${=positionals}", "$positionals");
    if (!zsh) put("${kinds[-1]}", "${kinds[${#kinds[@]}-1]}");
    put("INFO", info);
    put("FIRST", zsh ? "2" : "1");
    put("CUR", zsh ? "CURRENT" : "COMP_CWORD");
    put("WORDS", zsh ? "words" : "COMP_WORDS");
    put("OFFSET", zsh ? "1" : "0");
    return s;
}

std::string bash_script(const CommandLineSpec& spec) {
    return fmt::format(R"SH(# bash completion for weft, generated by `weft completion bash` from its
# command table. Install: /usr/share/bash-completion/completions/weft, or
# `source <(weft completion bash)` in ~/.bashrc.
_weft() {{
    local cur=${{COMP_WORDS[COMP_CWORD]}} prev=${{COMP_WORDS[COMP_CWORD-1]}}
    local weft=${{COMP_WORDS[0]}}
{scan}    COMPREPLY=()
    if ((skip)); then
{lookup}        case $kind in
            files) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
            dirs) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
            values) COMPREPLY=($(compgen -W "$values" -- "$cur")) ;;
        esac
        return 0
    fi
    if [[ $cur == -* ]]; then
        COMPREPLY=($(compgen -W "$flags {globals}" -- "$cur"))
        return 0
    fi
    if [[ -z $cmd ]]; then
        COMPREPLY=($(compgen -W {commands} -- "$cur"))
        return 0
    fi
    local line values=''
    case "$cmd ${{#pos[@]}}" in
{positional_values}    esac
    case $kind in
        FILE | PATH)
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -d -- "$cur") $(compgen -f -X '!*.yaml' -- "$cur") $(compgen -f -X '!*.yml' -- "$cur"))
            ;;
        RUN | STEP | WORKFLOW)
            local -a args=(runs)
            [[ $kind == STEP ]] && args=(steps "${{pos[0]}}")
            [[ $kind == WORKFLOW ]] && args=(workflows)
            while IFS=$'\t' read -r line _; do
                [[ $line == "$cur"* ]] && COMPREPLY+=("$line")
            done < <("$weft" "${{ctx[@]}}" __complete "${{args[@]}}" 2>/dev/null)
            ;;
        COMMAND) COMPREPLY=($(compgen -W {commands} -- "$cur")) ;;
        *) [[ -n $values ]] && COMPREPLY=($(compgen -W "$values" -- "$cur")) ;;
    esac
    return 0
}}
complete -F _weft weft
)SH",
                       fmt::arg("scan", scan(spec, false)), fmt::arg("lookup", value_lookup(spec)),
                       fmt::arg("globals", joined(all_names(spec.globals))),
                       fmt::arg("commands", sh_word(joined(command_names(spec)))),
                       fmt::arg("positional_values", positional_value_cases(spec)));
}

// `name:description` items for zsh's _describe, in a quoted array body.
std::string zsh_described(const std::vector<std::pair<std::string, std::string>>& items) {
    std::string out;
    for (const auto& [name, help] : items) {
        std::string n;
        for (char c : name) n += c == ':' ? std::string("\\:") : std::string(1, c);
        out += "        " + sh_word(n + ":" + help) + "\n";
    }
    return out;
}

std::string zsh_script(const CommandLineSpec& spec) {
    std::vector<std::pair<std::string, std::string>> commands;
    for (const auto& c : spec.commands) commands.emplace_back(c.name, c.summary);
    std::string flag_cases;
    auto flag_items = [](const std::vector<FlagSpec>& flags) {
        std::vector<std::pair<std::string, std::string>> items;
        for (const auto& f : flags)
            for (const auto& n : f.names) items.emplace_back(n, f.help);
        return items;
    };
    for (const auto& c : spec.commands)
        flag_cases += "        " + c.name + ") described+=(\n" +
                      zsh_described(flag_items(c.flags)) + "        ) ;;\n";
    return fmt::format(R"SH(#compdef weft
# zsh completion for weft, generated by `weft completion zsh` from its
# command table. Install as _weft in a directory of $fpath (such as
# /usr/share/zsh/vendor-completions), or `source <(weft completion zsh)`
# after compinit.
_weft() {{
    local weft=${{words[1]}}
{scan}    local -a described
    if ((skip)); then
        local prev=${{words[CURRENT-1]}}
{lookup}        case $kind in
            files) _files ;;
            dirs) _files -/ ;;
            values) compadd -- ${{=values}} ;;
        esac
        return
    fi
    if [[ $PREFIX == -* ]]; then
        described=(
{globals}        )
        case $cmd in
{flag_cases}        esac
        _describe -t options option described
        return
    fi
    if [[ -z $cmd ]]; then
        described=(
{commands}        )
        _describe -t commands command described
        return
    fi
    local values=''
    case "$cmd $((${{#pos[@]}}))" in
{positional_values}    esac
    case $kind in
        FILE | PATH) _files -g '*.(yaml|yml)' ;;
        RUN | STEP | WORKFLOW)
            local -a args
            args=(runs)
            [[ $kind == STEP ]] && args=(steps "${{pos[1]}}")
            [[ $kind == WORKFLOW ]] && args=(workflows)
            described=(${{(f)"$("$weft" "${{ctx[@]}}" __complete "${{args[@]}}" 2>/dev/null)"}})
            described=(${{described//:/\\:}})
            described=(${{described//$'\t'/:}})
            _describe -V -t values ${{(L)kind}} described
            ;;
        COMMAND) compadd -- {command_words} ;;
        *) [[ -n $values ]] && compadd -- ${{=values}} ;;
    esac
}}
if [[ $funcstack[1] == _weft ]]; then
    _weft "$@"
else
    compdef _weft weft
fi
)SH",
                       fmt::arg("scan", scan(spec, true)), fmt::arg("lookup", value_lookup(spec)),
                       fmt::arg("globals", zsh_described(flag_items(spec.globals))),
                       fmt::arg("flag_cases", flag_cases),
                       fmt::arg("commands", zsh_described(commands)),
                       fmt::arg("command_words", joined(command_names(spec))),
                       fmt::arg("positional_values", positional_value_cases(spec)));
}

// One fish `complete` line for flag `f`, under `condition`.
std::string fish_flag(const FlagSpec& f, const std::string& condition) {
    std::string line = "complete -c weft";
    if (!condition.empty()) line += " -n " + sh_word(condition, true);
    for (const auto& n : f.names)
        line += n.rfind("--", 0) == 0 ? " -l " + n.substr(2) : " -s " + n.substr(1);
    const std::string kind = value_kind(f);
    if (kind == "files")
        line += " -r -F";
    else if (kind == "dirs")
        line += " -x -a " + sh_word("(__fish_complete_directories)", true);
    else if (kind == "values")
        line += " -x -a " + sh_word(joined(f.values), true);
    else if (f.takes_value)
        line += " -x";
    return line + " -d " + sh_word(f.help, true) + "\n";
}

std::string fish_script(const CommandLineSpec& spec) {
    std::string s =
        R"SH(# fish completion for weft, generated by `weft completion fish` from its
# command table. Install: /usr/share/fish/vendor_completions.d/weft.fish, or
# `weft completion fish | source`.

# The words after the subcommand that are not options or their values.
function __weft_args
    set -l tokens (commandline -opc)
    set -e tokens[1]
    set -l cmd
    set -l skip 0
    for t in $tokens
        if test $skip = 1
            set skip 0
            continue
        end
        switch $t
            case -C --state --color
                set skip 1
            case '-*'
                if test -n "$cmd"; and contains -- $t (__weft_valued $cmd)
                    set skip 1
                end
            case '*'
                if test -z "$cmd"
                    set cmd $t
                else
                    echo $t
                end
        end
    end
end

# -C and --state as given, for `weft __complete`.
function __weft_ctx
    set -l tokens (commandline -opc)
    for i in (seq (count $tokens))
        if contains -- $tokens[$i] -C --state; and test $i -lt (count $tokens)
            echo $tokens[$i]
            echo $tokens[(math $i + 1)]
        end
    end
end

function __weft_npos
    test (count (__weft_args)) -eq $argv[1]
end

function __weft_list
    set -l args (__weft_args)
    switch $argv[1]
        case steps
            weft (__weft_ctx) __complete steps $args[1] 2>/dev/null
        case '*'
            weft (__weft_ctx) __complete $argv[1] 2>/dev/null
    end
end

function __weft_valued
    switch $argv[1]
)SH";
    for (const auto& c : spec.commands)
        s += "        case " + c.name + "\n            printf '%s\\n' " +
             joined(valued_names(c.flags, spec.globals)) + "\n";
    s += "    end\nend\n\ncomplete -c weft -f\n";
    for (const auto& f : spec.globals) s += fish_flag(f, "");
    for (const auto& c : spec.commands)
        s += "complete -c weft -n __fish_use_subcommand -a " + c.name + " -d " +
             sh_word(c.summary, true) + "\n";
    for (const auto& c : spec.commands) {
        const std::string in = "__fish_seen_subcommand_from " + c.name;
        for (const auto& f : c.flags) s += fish_flag(f, in);
        for (std::size_t i = 0; i < c.positionals.size(); ++i) {
            const auto& p = c.positionals[i];
            const std::string when =
                in + (p.repeats ? "" : "; and __weft_npos " + std::to_string(i));
            std::string what;
            if (p.name == "FILE" || p.name == "PATH")
                what = "-F";
            else if (p.name == "RUN")
                what = "-a " + sh_word("(__weft_list runs)", true);
            else if (p.name == "STEP")
                what = "-a " + sh_word("(__weft_list steps)", true);
            else if (p.name == "WORKFLOW")
                what = "-a " + sh_word("(__weft_list workflows)", true);
            else if (p.name == "COMMAND")
                what = "-a " + sh_word(joined(command_names(spec)), true);
            else if (!p.values.empty())
                what = "-a " + sh_word(joined(p.values), true);
            if (!what.empty())
                s += "complete -c weft -n " + sh_word(when, true) + " " + what + "\n";
        }
    }
    return s;
}

}  // namespace

int cmd_completion(const Options& o, const Globals&) {
    const auto spec = command_line_spec();
    out::print("{}", o.shell == "bash"  ? bash_script(spec)
                     : o.shell == "zsh" ? zsh_script(spec)
                                        : fish_script(spec));
    return k_exit_ok;
}

int cmd_complete(const Options& o, const Globals& g) {
    const auto& a = o.complete_args;
    // Completion must never write a database where there was none.
    if (!std::filesystem::exists(state_path(g))) return k_exit_ok;
    auto state = open_state(g);
    if (!state) return k_exit_state;
    if (a[0] == "runs" || a[0] == "workflows") {
        store::RunFilter f;
        f.limit = 50;
        auto runs = state->store.list_runs(f);
        if (!runs) return k_exit_state;
        if (a[0] == "runs") {
            out::print("last\tthe newest run\n");
            for (const auto& r : *runs)
                out::print("{}\t{} {}\n", r.id, r.workflow, model::to_string(r.status));
            return k_exit_ok;
        }
        std::set<std::string> seen;
        for (const auto& r : *runs)
            if (seen.insert(r.workflow).second) out::print("{}\n", r.workflow);
        return k_exit_ok;
    }
    if (a[0] == "steps" && a.size() == 2) {
        long long run = 0;
        if (a[1] == "last") {
            auto id = state->store.newest_top_run();
            if (!id || !*id) return k_exit_ok;
            run = **id;
        } else if (a[1].find_first_not_of("0123456789") == std::string::npos && a[1].size() < 19) {
            run = std::stoll(a[1]);
        }
        auto detail = state->store.get_run(run);
        if (!detail || !*detail) return k_exit_ok;
        auto children = state->store.child_runs(run);
        std::set<std::string> matrix;  // `test` for its instances `test[...]`
        for (const auto& s : (*detail)->steps) {
            out::print("{}\t{}\n", s.id, model::to_string(s.status));
            if (const auto b = s.id.find('[');
                b != std::string::npos && matrix.insert(s.id.substr(0, b)).second)
                out::print("{}\tevery instance\n", s.id.substr(0, b));
        }
        if (children)
            for (const auto& c : *children) out::print("{}/\tcalled run {}\n", c.step, c.run);
        return k_exit_ok;
    }
    return k_exit_usage;
}

}  // namespace weft::cli
