// render_shell(): every quoting context, hostile values, and the rendered
// scripts really run by bash (as weft runs them) and by dash (`sh -e`) in a
// temp dir, checking the output is the value exactly and nothing ran.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "weft/expr/expr.hpp"

extern char** environ;

using namespace weft::expr;
namespace fs = std::filesystem;

namespace {

enum class Shell { bash, dash };

struct Outcome {
    int exit_code = -1;
    std::string out;
    std::string err;
    bool pwned = false;
};

std::string slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

struct Running {
    pid_t pid = -1;
    fs::path dir;
};

// Start `script` from a file in a fresh temp dir, as weft does (the script is
// never on the command line), with stdin /dev/null and stdout/stderr to files.
Running start_shell(Shell shell, const std::string& script) {
    std::string tmpl = (fs::temp_directory_path() / "weft-expr-XXXXXX").string();
    REQUIRE(mkdtemp(tmpl.data()) != nullptr);
    Running r;
    r.dir = tmpl;
    { std::ofstream(r.dir / "script", std::ios::binary) << script; }
    std::vector<std::string> args;
    if (shell == Shell::bash)
        args = {"/bin/bash", "--noprofile", "--norc", "-eo", "pipefail", "script"};
    else
        args = {"/bin/dash", "-e", "script"};
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addchdir_np(&actions, r.dir.c_str());
    posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&actions, 1, "out", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    posix_spawn_file_actions_addopen(&actions, 2, "err", O_WRONLY | O_CREAT | O_TRUNC, 0600);
    const int rc = posix_spawn(&r.pid, argv[0], &actions, nullptr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    REQUIRE(rc == 0);
    return r;
}

// Wait for `r`, collect its output and whether it created `pwned`, and
// remove its temp dir.
Outcome finish(const Running& r) {
    int status = 0;
    REQUIRE(waitpid(r.pid, &status, 0) == r.pid);
    Outcome o;
    o.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    o.out = slurp(r.dir / "out");
    o.err = slurp(r.dir / "err");
    o.pwned = fs::exists(r.dir / "pwned");
    fs::remove_all(r.dir);
    return o;
}

Outcome run_shell(Shell shell, const std::string& script) {
    return finish(start_shell(shell, script));
}

ShellDialect dialect_of(Shell s) {
    return s == Shell::bash ? ShellDialect::bash : ShellDialect::posix;
}
const char* name_of(Shell s) {
    return s == Shell::bash ? "bash" : "dash";
}

// Scripts print through builtins only: exec'ing cat for every here-document
// made this test take half a minute on a loaded machine.
const std::string k_prelude =
    "cat() { while IFS= read -r l || [ -n \"$l\" ]; do printf '%s\\n' \"$l\"; done; }\n";

// Render `script` with every ${{ }} standing for `value`.
weft::Result<std::string> render_with(const std::string& script, const std::string& value,
                                      Shell shell) {
    auto t = parse_template(script);
    REQUIRE_MESSAGE(t.ok(), (t.ok() ? "" : t.error().message));
    return render_shell(
        *t, [&](const Expr&) -> weft::Result<std::string> { return value; }, dialect_of(shell));
}

std::string strip_trailing_newlines(std::string s) {
    while (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

const std::vector<std::string>& hostile_values() {
    static const std::vector<std::string> values = {
        "$(touch pwned)",
        "`touch pwned`",
        "a\"$(touch pwned)`b",
        "'; touch pwned; '",
        "\"; touch pwned; \"",
        "'\"'\"'$(touch pwned)'\"'\"'",
        "\\",
        "a\\",
        "\\\\",
        "\\$(touch pwned)",
        "\\`touch pwned\\`",
        "\\'",
        "\\\"",
        "'",
        "\"",
        "it's",
        "\n",
        "line1\nline2\n\nline4",
        "\nx\n",
        "EOF",
        "x\nEOF\ny",
        "!",
        "!!",
        "*",
        "~",
        "?[a]{b,c}",
        "",
        " ",
        "a b  c",
        "\t tab",
        "-n",
        "#not a comment",
        "a #b",
        "$HOME",
        "${HOME}",
        "$'\\x41'",
        "$((1+1))",
        "${x:-$(touch pwned)}",
        "\\n\\t\\x41",
        "%s%d",
        "; & | < > ( ) { }",
        ")",
        "$(",
        "\r\n",
        "\x01\x02\x1b[31m\x7f",
        "\xc3\xbc \xe6\x97\xa5\xe6\x9c\xac \xf0\x9f\x8e\x89",
        "\xff\xfe",
        "a'b\"c`d$e\\f\ng",
        "\techo pwned > pwned",
    };
    return values;
}

// A script with ${{ x }} somewhere, and what it must print for a value.
struct Scenario {
    const char* name;
    const char* script;
    std::string (*expected)(const std::string& v, Shell shell);
    bool bash_only = false;
    // When ${{ x }} is in a here-document body: its delimiter(s), whether the
    // placeholder is alone on its line (else text comes before and after), and
    // whether it is <<-.
    std::vector<std::string> delims = {};
    bool alone = false;
    bool strip_tabs = false;
};

std::string bracketed(const std::string& v, Shell) {
    return "[" + v + "]\n";
}
std::string bracketed_stripped(const std::string& v, Shell) {
    return "[" + strip_trailing_newlines(v) + "]\n";
}

const std::vector<Scenario>& scenarios() {
    static const std::vector<Scenario> list = {
        {"plain word", "printf '[%s]\\n' ${{ x }}\n", bracketed},
        {"plain word, glued to text", "printf '[%s]\\n' a${{ x }}b\n",
         [](const std::string& v, Shell) { return "[a" + v + "b]\n"; }},
        {"assignment", "v=${{ x }}\nprintf '[%s]\\n' \"$v\"\n", bracketed},
        {"double quotes", "printf '[%s]\\n' \"v=${{ x }}\"\n",
         [](const std::string& v, Shell) { return "[v=" + v + "]\n"; }},
        {"double quotes, twice", "printf '[%s]\\n' \"${{ x }}|$HOME|${{ x }}\"\n",
         [](const std::string& v, Shell) {
             return "[" + v + "|" + std::getenv("HOME") + "|" + v + "]\n";
         }},
        {"single quotes", "printf '[%s]\\n' 'v=${{ x }}'\n",
         [](const std::string& v, Shell) { return "[v=" + v + "]\n"; }},
        {"ANSI-C quotes", "printf '[%s]\\n' $'v=${{ x }}\\tend'\n",
         [](const std::string& v, Shell s) {
             // dash has no $'…': it reads `$` and a single-quoted string.
             return s == Shell::bash ? "[v=" + v + "\tend]\n" : "[$v=" + v + "\\tend]\n";
         }},
        {"locale string $\"…\"", "printf '[%s]\\n' $\"${{ x }}\"\n",
         [](const std::string& v, Shell s) {
             return s == Shell::bash ? "[" + v + "]\n" : "[$" + v + "]\n";
         }},
        {"here-document",
         "cat <<EOF\n[${{ x }}]\nEOF\nprintf 'after\\n'\n",
         [](const std::string& v, Shell) { return "[" + v + "]\nafter\n"; },
         false,
         {"EOF"}},
        {"here-document, expansions around",
         "cat <<EOF\n$HOME [${{ x }}] `printf b`\nEOF\n",
         [](const std::string& v, Shell) {
             return std::string(std::getenv("HOME")) + " [" + v + "] b\n";
         },
         false,
         {"EOF"}},
        {"quoted here-document",
         "cat <<'EOF'\n[${{ x }}] $HOME\nEOF\n",
         [](const std::string& v, Shell) { return "[" + v + "] $HOME\n"; },
         false,
         {"EOF"}},
        {"double-quoted delimiter", "cat << \"EOF\"\n[${{ x }}]\nEOF\n", bracketed, false, {"EOF"}},
        {"<<- here-document",
         "cat <<-EOF\n\t\t[${{ x }}]\n\tEOF\n",
         bracketed,
         false,
         {"EOF"},
         false,
         true},
        {"<<- quoted here-document",
         "cat <<-'EOF'\n\t[${{ x }}]\n\tEOF\n",
         bracketed,
         false,
         {"EOF"},
         false,
         true},
        {"two here-documents",
         "cat <<A; cat <<'B'\n[${{ x }}]\nA\n(${{ x }})\nB\n",
         [](const std::string& v, Shell) { return "[" + v + "]\n(" + v + ")\n"; },
         false,
         {"A", "B"}},
        {"command substitution", "printf '[%s]\\n' \"$(printf '%s' ${{ x }})\"\n",
         bracketed_stripped},
        {"command substitution, double quotes inside",
         "v=$(printf '%s' \"${{ x }}\")\nprintf '[%s]\\n' \"$v\"\n", bracketed_stripped},
        {"nested command substitution",
         "printf '[%s]\\n' \"$(printf '%s' \"$(printf '%s' '${{ x }}')\")\"\n", bracketed_stripped},
        {"case inside $( )",
         "v=$(case a in (b) printf no;; a) printf '%s' ${{ x }};; esac)\nprintf '[%s]\\n' \"$v\"\n",
         bracketed_stripped},
        {"here-document inside $( )",
         "v=$(cat <<EOF\n${{ x }}\nEOF\n)\nprintf '[%s]\\n' \"$v\"\n",
         bracketed_stripped,
         false,
         {"EOF"},
         true},
        {"quoted here-document inside \"$( )\"",
         "printf '[%s]\\n' \"$(cat <<'EOF'\n${{ x }}\nEOF\n)\"\n",
         bracketed_stripped,
         false,
         {"EOF"},
         true},
        {"backquotes", "printf '[%s]\\n' \"`printf '%s' ${{ x }}`\"\n", bracketed_stripped},
        {"backquotes, double quotes inside",
         "v=`printf '%s' \"${{ x }}\"`\nprintf '[%s]\\n' \"$v\"\n", bracketed_stripped},
        {"backquotes, single quotes inside",
         "v=`printf '%s' '${{ x }}'`\nprintf '[%s]\\n' \"$v\"\n", bracketed_stripped},
        {"backquotes in double quotes, double quotes inside",
         "printf '[%s]\\n' \"`printf '%s' \\\"${{ x }}\\\"`\"\n", bracketed_stripped},
        {"backquotes in a here-document",
         "cat <<EOF\n[`printf '%s' ${{ x }}`]\nEOF\n",
         bracketed_stripped,
         false,
         {"EOF"}},
        {"nested backquotes",
         "v=`printf '%s' \"\\`printf '%s' ${{ x }}\\`\"`\nprintf '[%s]\\n' \"$v\"\n",
         bracketed_stripped},
        {"$( ) inside backquotes",
         "v=`printf '%s' \"$(printf '%s' ${{ x }})\"`\nprintf '[%s]\\n' \"$v\"\n",
         bracketed_stripped},
        {"comment", "# note: ${{ x }} it's\nprintf '[%s]\\n' ok\n",
         [](const std::string&, Shell) { return std::string("[ok]\n"); }},
        {"comment after a command", "printf '[%s]\\n' ok # ${{ x }}\nprintf 'end\\n'\n",
         [](const std::string&, Shell) { return std::string("[ok]\nend\n"); }},
        {"# inside a word is no comment", "printf '[%s]\\n' a#${{ x }}\n",
         [](const std::string& v, Shell) { return "[a#" + v + "]\n"; }},
        {"after $# and ${#x}", "x=ab; printf '[%s]\\n' \"$#${#x}\" ${{ x }}\n",
         [](const std::string& v, Shell) { return "[02]\n[" + v + "]\n"; }},
        {"after a line continuation", "printf '[%s]\\n' \\\n  ${{ x }}\n", bracketed},
        {"after a subshell and a function",
         "f() { printf '[%s]\\n' \"$1\"; }\n(true)\nf ${{ x }}\n", bracketed},
        {"inside ${x:-$( )}", "printf '[%s]\\n' \"${unset_var:-$(printf '%s' ${{ x }})}\"\n",
         bracketed_stripped},
        {"here-document inside backquotes",
         "v=`cat <<EOF\n${{ x }}\nEOF\n`\nprintf '[%s]\\n' \"$v\"\n",
         bracketed_stripped,
         false,
         {"EOF"},
         true},
        {"compound commands",
         "if true; then { case b in a) ;; *) printf '[%s]\\n' ${{ x }};; esac; }; fi\n", bracketed},
        {"here-string", "printf '[%s]\\n' \"$(cat <<< ${{ x }})\"\n", bracketed_stripped, true},
        {"process substitution", "cat < <(printf '[%s]\\n' ${{ x }})\n", bracketed, true},
        {"arithmetic command then value", "(( 1 + 1 ))\nprintf '[%s]\\n' ${{ x }}\n", bracketed,
         true},
    };
    return list;
}

// Whether `v` must be refused in `s`: a line of the body that the value
// makes equal to a delimiter, or starts with a tab for <<- to remove.
std::string expected_error(const Scenario& s, const std::string& v) {
    if (s.delims.empty()) return "";
    std::vector<std::string> lines;
    std::size_t start = 0;
    while (true) {
        const std::size_t end = v.find('\n', start);
        lines.push_back(
            v.substr(start, end == std::string::npos ? std::string::npos : end - start));
        if (end == std::string::npos) break;
        start = end + 1;
    }
    for (std::size_t i = 0; i < lines.size(); ++i) {
        const bool line_start = s.alone || i > 0;               // nothing of the template before it
        const bool line_end = s.alone || i + 1 < lines.size();  // nothing after it
        if (!line_start) continue;
        std::string l = lines[i];
        if (s.strip_tabs)
            while (!l.empty() && l[0] == '\t') l.erase(0, 1);
        for (const auto& d : s.delims)
            if (line_end && l == d) return "value contains the here-document delimiter '" + d + "'";
        if (s.strip_tabs && !lines[i].empty() && lines[i][0] == '\t')
            return "a line of the value starts with a tab, which '<<-' would remove";
    }
    return "";
}

}  // namespace

TEST_CASE("expr::render_shell golden output") {
    auto render1 = [](const std::string& script, const std::string& v) {
        return render_with(script, v, Shell::bash).value();
    };
    CHECK(render1("echo ${{ x }}", "it's") == "echo 'it'\\''s'");
    CHECK(render1("echo ${{ x }}", "") == "echo ''");
    CHECK(render1("echo \"v=${{ x }}\"", "a\"$(touch pwned)`b") ==
          "echo \"v=a\\\"\\$(touch pwned)\\`b\"");
    CHECK(render1("echo 'v=${{ x }}'", "it's") == "echo 'v=it'\\''s'");
    CHECK(render1("echo $'${{ x }}'", "a'b\\c\nd\x01") == "echo $'a\\'b\\\\c\\nd\\x01'");
    CHECK(render1("cat <<EOF\n${{ x }}\nEOF\n", "$a`b`\\c\"'") ==
          "cat <<EOF\n\\$a\\`b\\`\\\\c\"'\nEOF\n");
    CHECK(render1("cat <<'EOF'\n${{ x }}\nEOF\n", "$a`b`\\c") == "cat <<'EOF'\n$a`b`\\c\nEOF\n");
    CHECK(render1("# ${{ x }}\n", "a\nb") == "# a b\n");
    CHECK(render1("v=`echo ${{ x }}`", "$a'`") == "v=`echo '\\$a'\\\\''\\`'`");
    CHECK(render1("echo $(( ${{ x }} + 1 ))", "-42") == "echo $(( -42 + 1 ))");
    CHECK(render1("no expressions $(x) `y` '", "") == "no expressions $(x) `y` '");
    CHECK(render_with("echo $'${{ x }}'", "it's", Shell::dash).value() == "echo $'it'\\''s'");
}

// One value in one scenario, checked on its own.
void check_one(const Scenario& s, Shell shell, const std::string& v) {
    CAPTURE(s.name);
    CAPTURE(name_of(shell));
    CAPTURE(v);
    auto script = render_with(k_prelude + s.script, v, shell);
    const std::string err = expected_error(s, v);
    if (!err.empty()) {
        REQUIRE_FALSE(script.ok());
        CHECK(script.error().message == err);
        return;
    }
    REQUIRE_MESSAGE(script.ok(), (script.ok() ? "" : script.error().message));
    CAPTURE(*script);
    const Outcome o = run_shell(shell, *script);
    CAPTURE(o.err);
    CHECK(o.exit_code == 0);
    CHECK(o.out == s.expected(v, shell));
    CHECK_FALSE(o.pwned);
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (std::size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

TEST_CASE("expr::render_shell runs hostile values exactly in bash and dash") {
    // One process per scenario and shell runs the scenario once per value
    // (`${{ xN }}` standing for value N), separated by \036 in the output;
    // all of them at once, since they mostly wait for their subshells. On a
    // mismatch every value is rerun alone to say which one failed.
    const auto& values = hostile_values();
    struct Batch {
        const Scenario* scenario;
        Shell shell;
        std::string expected;
        std::optional<Running> running;
    };
    std::vector<Batch> batches;
    for (const Scenario& s : scenarios()) {
        for (Shell shell : {Shell::bash, Shell::dash}) {
            if (s.bash_only && shell == Shell::dash) continue;
            Batch b{&s, shell, {}, std::nullopt};
            std::string script = k_prelude;
            for (std::size_t i = 0; i < values.size(); ++i) {
                if (!expected_error(s, values[i]).empty()) {
                    check_one(s, shell, values[i]);
                    continue;
                }
                script += replace_all(s.script, "${{ x }}", "${{ x" + std::to_string(i) + " }}");
                script += "printf '\\036'\n";
                b.expected += s.expected(values[i], shell) + "\036";
            }
            auto t = parse_template(script);
            REQUIRE(t.ok());
            auto rendered = render_shell(
                *t,
                [&](const Expr& e) -> weft::Result<std::string> {
                    return values[std::stoul(e.text.substr(e.text.find('x') + 1))];
                },
                dialect_of(shell));
            if (rendered.ok()) b.running = start_shell(shell, *rendered);
            batches.push_back(std::move(b));
        }
    }
    for (const Batch& b : batches) {
        if (b.running) {
            const Outcome o = finish(*b.running);
            if (o.exit_code == 0 && o.out == b.expected && !o.pwned) continue;
        }
        for (const std::string& v : values) check_one(*b.scenario, b.shell, v);
    }
}

TEST_CASE("expr::render_shell arithmetic takes only integers") {
    const char* scripts[] = {
        "printf '[%s]\\n' $(( ${{ x }} + 1 ))\n",
        "printf '[%s]\\n' \"$(( ${{ x }} + 1 ))\"\n",
        "printf '[%s]\\n' $(( $(printf '%s' ${{ x }}) + 1 ))\n",
        "printf '[%s]\\n' $(( `printf '%s' ${{ x }}` + 1 ))\n",
    };
    for (const char* script : scripts) {
        for (Shell shell : {Shell::bash, Shell::dash}) {
            CAPTURE(script);
            CAPTURE(name_of(shell));
            for (const char* v : {"41", "-3", "0"}) {
                auto r = render_with(script, v, shell);
                REQUIRE(r.ok());
                const Outcome o = run_shell(shell, *r);
                CHECK(o.out == "[" + std::to_string(std::stoi(v) + 1) + "]\n");
            }
            for (const char* v : {"a[$(touch pwned)]", "1+1", "", " 1", "x"}) {
                auto r = render_with(script, v, shell);
                REQUIRE_FALSE(r.ok());
                CHECK(r.error().message ==
                      "only an integer can be inserted into an arithmetic expression");
            }
        }
    }
    // bash only: (( )) and $[ ].
    for (const char* script : {"(( y = ${{ x }} + 1 )); printf '[%s]\\n' \"$y\"\n",
                               "printf '[%s]\\n' $[ ${{ x }} + 1 ]\n"}) {
        CAPTURE(script);
        auto ok = render_with(script, "41", Shell::bash);
        REQUIRE(ok.ok());
        CHECK(run_shell(Shell::bash, *ok).out == "[42]\n");
        CHECK_FALSE(render_with(script, "a[$(touch pwned)]", Shell::bash).ok());
    }
}

TEST_CASE("expr::render_shell where bash and dash parse differently") {
    const std::string v = "$(touch pwned)";
    SUBCASE("$(( that is a command substitution for bash, arithmetic for dash") {
        const char* script = "v=$((printf a) ; printf %s ${{ x }})\nprintf '[%s]\\n' \"$v\"\n";
        auto b = render_with(script, v, Shell::bash);
        REQUIRE(b.ok());
        const Outcome o = run_shell(Shell::bash, *b);
        CHECK(o.out == "[a" + v + "]\n");
        CHECK_FALSE(o.pwned);
        auto d = render_with(script, v, Shell::dash);
        REQUIRE_FALSE(d.ok());
        CHECK(d.error().message == "only an integer can be inserted into an arithmetic expression");
    }
    SUBCASE("(( is arithmetic for bash, two subshells for dash") {
        const char* script = "((printf '[%s]\\n' ${{ x }}))\n";
        auto d = render_with(script, v, Shell::dash);
        REQUIRE(d.ok());
        const Outcome o = run_shell(Shell::dash, *d);
        CHECK(o.out == "[" + v + "]\n");
        CHECK_FALSE(o.pwned);
        CHECK_FALSE(render_with(script, v, Shell::bash).ok());
    }
    SUBCASE("a quote directly inside arithmetic makes later values unsafe") {
        auto r = render_with("echo $(( \"1\" ))\necho ${{ x }}\n", "a", Shell::bash);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message.find("a quote inside an arithmetic expression") !=
              std::string::npos);
    }
}

TEST_CASE("expr::render_shell refuses what it cannot make safe") {
    struct Case {
        const char* script;
        const char* value;
        const char* message;
        std::size_t offset;
    };
    const Case cases[] = {
        {"cat <<EOF\n${{ x }}\nEOF\n", "a\nEOF\nb",
         "value contains the here-document delimiter 'EOF'", 10},
        {"cat <<'EOF'\n${{ x }}\nEOF\n", "EOF", "value contains the here-document delimiter 'EOF'",
         12},
        {"cat <<EOF\nE${{ x }}\nEOF\n", "OF", "value contains the here-document delimiter 'EOF'",
         11},
        {"cat <<EOF\n${{ x }}OF\nEOF\n", "E", "value contains the here-document delimiter 'EOF'",
         10},
        {"cat <<-END\n\t${{ x }}\nEND\n", "\tEND",
         "value contains the here-document delimiter 'END'", 12},
        {"cat <<-END\nx${{ x }}\nEND\n", "a\n\tb",
         "a line of the value starts with a tab, which '<<-' would remove", 12},
        {"x=$(cat <<EOF\n${{ x }}\nEOF\n)", "EOF",
         "value contains the here-document delimiter 'EOF'", 14},
        {"cat <<EOF\n$(printf '%s' \"${{ x }}\")\nEOF\n", "a\nEOF\nb",
         "value contains the here-document delimiter 'EOF'", 25},
        {"cat <<EOF\n`printf '%s' '${{ x }}'`\nEOF\n", "a\nEOF\n",
         "value contains the here-document delimiter 'EOF'", 24},
        {"cat <<${{ x }}\nEOF\n", "EOF", "a value cannot be a here-document delimiter", 6},
        {"cat <<'E${{ x }}'\n", "OF", "a value cannot be a here-document delimiter", 8},
        {"echo ${HOME:-${{ x }}}", "a",
         "a value cannot be inserted inside '${...}'; set a variable to it first", 13},
        {"echo \"${v#\"${{ x }}\"}\"", "a",
         "a value cannot be inserted inside '${...}'; set a variable to it first", 11},
        {"echo $${{ x }}", "a",
         "a '$' directly before '${{' would join the value to it; write '\\$' for a literal '$'",
         6},
        {"echo \"$${{ x }}\"", "(touch pwned)",
         "a '$' directly before '${{' would join the value to it; write '\\$' for a literal '$'",
         7},
        {"echo \\${{ x }}", "a",
         "a '\\' directly before '${{' would escape the value's first character", 6},
        {"echo \"\\${{ x }}\"", "$(touch pwned)",
         "a '\\' directly before '${{' would escape the value's first character", 7},
        {"echo `echo \\${{ x }}`", "a",
         "a '\\' directly before '${{' inside backquotes would escape the value's first character",
         12},
        {"echo \"`printf %s \"${{ x }}\"`\"", "{a,b}",
         "bash brace-expands a value in \"...\" inside backquotes inside \"...\"; write the inner "
         "quotes as "
         "\\\"...\\\" or use $(...)",
         18},
        {"echo ${{ x }}", "NUL", "value contains a NUL byte, which a shell script cannot hold", 5},
    };
    for (const auto& c : cases) {
        CAPTURE(c.script);
        std::string value = c.value;
        if (std::string(c.message).find("NUL") != std::string::npos) value = std::string("a\0b", 3);
        auto r = render_with(c.script, value, Shell::bash);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().code == weft::Errc::invalid);
        CHECK(r.error().message == c.message);
        CHECK(r.error().offset == c.offset);
    }

    SUBCASE("where bash and dash disagree, later values are refused") {
        auto r = render_with("echo \"${x:-'}'}\"\necho ${{ x }}\n", "a", Shell::bash);
        REQUIRE_FALSE(r.ok());
        CHECK(r.error().message ==
              "cannot tell how the shell quotes this point of the script (a single quote inside "
              "\"${...}\"), so no "
              "value can be inserted here");
        auto h = render_with("cat <<EOF\n`echo \\\"a\\\"`\nEOF\necho ${{ x }}\n", "a", Shell::bash);
        REQUIRE_FALSE(h.ok());
        CHECK(h.error().message.find("inside backquotes inside a here-document") !=
              std::string::npos);
        auto deep = render_with("echo `a \\`b \\\\\\`${{ x }}\\\\\\`\\``", "a", Shell::bash);
        REQUIRE_FALSE(deep.ok());
        CHECK(deep.error().message.find("backquotes nested too deeply") != std::string::npos);
    }
}

TEST_CASE("expr::render_shell uses the value_of callback") {
    auto t =
        parse_template("printf '%s|%s\\n' ${{ params.a }} \"${{ toJSON(params.b) }}\"\n").value();
    const Value contexts =
        Value::parse(R"J({"params": {"a": "x y", "b": {"k": "$(touch pwned)"}}})J");
    auto value_of = [&](const Expr& e) -> weft::Result<std::string> {
        auto v = evaluate(e, contexts);
        if (!v) return v.error();
        return to_text(*v);
    };
    auto script = render_shell(t, value_of);
    REQUIRE(script.ok());
    const Outcome o = run_shell(Shell::bash, *script);
    CHECK(o.out == "x y|{\n  \"k\": \"$(touch pwned)\"\n}\n");
    CHECK_FALSE(o.pwned);

    auto failing = parse_template("echo ok ${{ fromJSON('{') }}").value();
    auto r = render_shell(failing, value_of);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.rfind("fromJSON: invalid JSON: ", 0) == 0);
    CHECK(r.error().offset == 12);  // the fromJSON call, in template offsets
}

// Issue 17: bash evaluates text in arithmetic, subscript and name positions,
// where `a[$(cmd)]` runs cmd whatever the quoting (measured with bash 5.2).
// Every such construct refuses a value that is not an integer (or a name);
// a value that renders must run nothing.
const std::vector<std::string>& evaluated_constructs() {
    static const std::vector<std::string> scripts = {
        "[[ ${{ x }} -gt 100 ]]",
        "[[ 1 -eq \"${{ x }}\" ]]",
        "[[ 1 -eq 2 || ${{ x }} -le 3 ]]",
        "[[ -v ${{ x }} ]]",
        "test -v ${{ x }}",
        "[ -v \"${{ x }}\" ]",
        "let v=${{ x }}",
        "let -- ${{ x }}",
        "for ((i=${{ x }};;)); do break; done",
        "declare -i v; v=\"${{ x }}\"",
        "v=\"${{ x }}\"; declare -i v",
        "declare -i v=${{ x }}",
        "declare -i v; v+=${{ x }}",
        "declare -ai v; v[0]=${{ x }}",
        "declare -i v; v=(1 ${{ x }})",
        "f() { local -i v=${{ x }}; }; f",
        "declare ${{ x }}=1",
        "f() { local ${{ x }}=1; }; f",
        "typeset ${{ x }}=1",
        "declare -g ${{ x }}=1",
        "declare -n r=${{ x }}; echo \"$r\"",
        "declare -n r; r=${{ x }}; echo \"$r\"",
        "printf -v ${{ x }} %s 1",
        "read ${{ x }} <<< 1",
        "read -r -a ${{ x }} <<< 1",
        "sleep 0 & wait -p ${{ x }}",
        "a[${{ x }}]=1",
        "a[${{ x }}]+=1",
        "a=([${{ x }}]=1)",
        "declare a[${{ x }}]=1",
        "declare -a b=\"${{ x }}\"",
        "declare -a b=\"(${{ x }})\"",
        "unset a[${{ x }}]",
        "unset ${{ x }}",
        "test -v \"a[${{ x }}]\"",
        "printf -v \"a[${{ x }}]\" %s 1",
        "read \"a[${{ x }}]\" <<< 1",
        "declare -A m; printf -v \"m[${{ x }}]\" %s 1",
        "declare -A m; declare m[${{ x }}]=1",
        "builtin declare ${{ x }}=1",
        "echo \"$(declare ${{ x }}=1)\"",
    };
    return scripts;
}

const std::vector<std::string>& evaluated_payloads() {
    static const std::vector<std::string> values = {
        "x[$(touch pwned)]",   "a[$(touch pwned)]",    "$(touch pwned)",     "`touch pwned`",
        "1+x[$(touch pwned)]", "([$(touch pwned)]=1)", "x[`touch pwned`]",   "0]+x[$(touch pwned)",
        "a[$(touch pwned)]=1", "x[$(touch pwned)]2",   "-x[$(touch pwned)]", "m[$(touch pwned)]",
    };
    return values;
}

TEST_CASE("expr::render_shell refuses values bash evaluates as arithmetic or names") {
    const std::string prelude = "a=(1 2); x=(1 2); declare -A m\n";
    for (const std::string& script : evaluated_constructs()) {
        for (const std::string& v : evaluated_payloads()) {
            CAPTURE(script);
            CAPTURE(v);
            auto r = render_with(prelude + script + "\n", v, Shell::bash);
            if (!r.ok()) continue;
            CHECK_FALSE(run_shell(Shell::bash, *r).pwned);
        }
        // Before the fix these ran the payload: the check must be weft's.
        CAPTURE(script);
        const std::string ran = script.find("declare -a b=\"$") != std::string::npos
                                    ? "([$(touch pwned)]=1)"
                                    : "x[$(touch pwned)]";
        CHECK_FALSE(render_with(prelude + script + "\n", ran, Shell::bash).ok());
    }
}

TEST_CASE("expr::render_shell arithmetic and name positions take plain integers and names") {
    struct Case {
        const char* script;
        const char* value;
        const char* out;
    };
    const Case cases[] = {
        {"[[ ${{ x }} -gt 100 ]] && echo big", "101", "big\n"},
        {"let v=${{ x }}+1; echo $v", "41", "42\n"},
        {"for ((i=${{ x }}; i<3; i++)); do echo $i; done", "1", "1\n2\n"},
        {"declare -i v; v=\"${{ x }}\"; echo $v", "-7", "-7\n"},
        {"declare ${{ x }}=1; echo $name", "name", "1\n"},
        {"printf -v ${{ x }} %s ok; echo $out", "out", "ok\n"},
        {"read ${{ x }} <<< ok; echo $got", "got", "ok\n"},
        {"a[${{ x }}]=ok; echo ${a[3]}", "3", "ok\n"},
        // Quoted as an argument: bare, a[3] would be a glob matching a3.
        {"a=(1 2 3 4); : > a3; declare a[${{ x }}]=ok; echo ${a[3]}", "3", "ok\n"},
        {"a=([${{ x }}]=ok); echo ${a[2]}", "2", "ok\n"},
        {"declare -A m; m[${{ x }}]=ok; echo ${m[ubuntu-22.04]}", "ubuntu-22.04", "ok\n"},
        {"declare -n r=${{ x }}; t=ok; echo $r", "t", "ok\n"},
        {"[[ -v ${{ x }} ]] || echo unset", "nothing_here", "unset\n"},
        {"unset ${{ x }}; echo \"[${v-gone}]\"", "v", "[gone]\n"},
    };
    for (const Case& c : cases) {
        const std::string script = c.script;
        CAPTURE(script);
        auto r = render_with(std::string(c.script) + "\n", c.value, Shell::bash);
        REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
        const Outcome o = run_shell(Shell::bash, *r);
        CAPTURE(*r);
        CAPTURE(o.err);
        CHECK(o.out == c.out);
    }
    // The message says where and why.
    auto r = render_with("[[ ${{ x }} -gt 100 ]]\n", "x[$(touch pwned)]", Shell::bash);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message ==
          "only an integer can be inserted as an operand of '[[ -gt ]]': bash evaluates it as "
          "arithmetic, where text such as 'a[$(cmd)]' runs cmd");
    CHECK(r.error().offset == 3);
    r = render_with("printf -v ${{ x }} %s 1\n", "a b", Shell::bash);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("only a variable name (letters, digits and '_') can be "
                                 "inserted as the variable name in 'printf -v'") == 0);
}

TEST_CASE("expr::render_shell keeps safe positions open to any value") {
    // Bash 5.2 does not evaluate these: any text goes, and none runs.
    const char* scripts[] = {
        "[[ ${{ x }} == \"${{ x }}\" ]] && echo same",
        "test \"${{ x }}\" = \"${{ x }}\" && echo same",
        "read -r line <<< \"${{ x }}\"; [ \"$line\" = \"${{ x }}\" ] && echo same",
        "declare msg=\"${{ x }}\"; [ \"$msg\" = \"${{ x }}\" ] && echo same",
        "f() { local msg=${{ x }}; [ \"$msg\" = \"${{ x }}\" ] && echo same; }; f",
        "a[0]=\"${{ x }}\"; [ \"${a[0]}\" = \"${{ x }}\" ] && echo same",
        "export V=\"${{ x }}\"; [ \"$V\" = \"${{ x }}\" ] && echo same",
        "printf -v out '%s' \"${{ x }}\"; [ \"$out\" = \"${{ x }}\" ] && echo same",
        "V=\"${{ x }}\" eval '[ \"$V\" = \"$1\" ]' && echo same",
        "echo \"a[${{ x }}]=1\" >/dev/null; echo same",
        "declare -A m; m[k]=\"${{ x }}\"; [ \"${m[k]}\" = \"${{ x }}\" ] && echo same",
        "echo ${{ x }} > /dev/null; cat <<< \"${{ x }}\" >/dev/null; echo same",
    };
    for (const std::string script : scripts) {
        for (const std::string& v :
             {std::string("x[$(touch pwned)]"), std::string("(a b)"), std::string("plain text")}) {
            CAPTURE(script);
            CAPTURE(v);
            auto r = render_with(script + "\n", v, Shell::bash);
            REQUIRE_MESSAGE(r.ok(), (r.ok() ? "" : r.error().message));
            const Outcome o = run_shell(Shell::bash, *r);
            CHECK_FALSE(o.pwned);
            if (script.find("eval") == std::string::npos) CHECK(o.out == "same\n");
        }
    }
}
