#pragma once
// Shell-safe rendering of `run` scripts (SPEC §2 "Shell safety", DESIGN §2).
#include <functional>
#include <string>

#include "weft/util/result.hpp"

namespace weft::expr {

struct Expr;
struct Template;

// Which shell will read the script. What the lexer must know differs in
// `$'…'` (bash: ANSI-C string; dash: `$` then '…'), `((` (bash: arithmetic;
// dash: two subshells), `$((a) b)` (bash: command substitution; dash:
// arithmetic up to the next `))`) and `$[ ]` (bash only).
enum class ShellDialect { bash, posix };

// Render the `run` script `script` so that each `${{ }}` stands for its value
// (`value_of(expr)`, text) exactly, whatever quoting surrounds it. A small
// lexer of sh quoting finds the context of each placeholder and escapes for it:
//   plain word            one single-quoted word: 'it'\''s'
//   "…" / $"…"            \ before $ ` " and \ (backslash); newlines kept
//   '…'                   '\'' for each quote
//   $'…' (bash)           \\ \' \n \t \r and \xHH for other control bytes
//   <<EOF body            \ before $, ` and \ (backslash)
//   <<'EOF' body          as is
//   comment               as is, newlines turned into spaces
//   $( ), `…`, <( )       the context inside, recursively; backquotes add
//                         one level of \ before \, ` and $
//   $(( )), (( )), $[ ]   only an integer (anything else could run as code)
// Where bash evaluates text whatever its quoting, a value must be a plain
// integer (an optional '-' and digits) or a variable name (letters, digits,
// '_'): in arithmetic (`for ((`, `let`, both operands of `[[ -eq -ne -lt -le
// -gt -ge ]]`, the value of a variable declared `-i` anywhere in the
// script), in an array subscript (an associative array's key may also hold
// letters, digits and ._:/@%+,-), and as the variable name of `declare`,
// `typeset`, `local` NAME=, `-n` (nameref) values, `printf -v`, `read`,
// `wait -p`, `unset`, `test -v`, `[ -v` and `[[ -v`; a `declare` value of an
// array must not start with '('. An integer right after `NAME[` goes in
// unquoted (bash takes no quotes there).
// Fails with Errc::invalid, offset = the `${{` in the template, where no
// escaping can make the value safe and exact: a line of the value (with the
// text around it) equals the delimiter of an enclosing here-document ("value
// contains the here-document delimiter 'EOF'"), a value line would lose
// leading tabs to `<<-`, a NUL byte, a value inside `${…}`, as a here-document
// delimiter, right after an unquoted `$` or `\`, inside "…" written with bare
// quotes inside backquotes inside "…" (bash brace-expands it), or at any point
// after text the lexer cannot be sure about (e.g. `'` inside "${…}", where bash
// and dash differ), or a value in one of the evaluated places above that is
// not an integer or name ("only an integer can be inserted as an operand of
// '[[ -gt ]]': bash evaluates it as arithmetic, ...").
// Errors of `value_of` are returned with their offset moved from the
// expression's text to the template.
Result<std::string> render_shell(const Template& script,
                                 const std::function<Result<std::string>(const Expr&)>& value_of,
                                 ShellDialect dialect = ShellDialect::bash);

}  // namespace weft::expr
