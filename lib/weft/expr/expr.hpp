#pragma once
// The `${{ }}` expression language of SPEC §2: parsing, load-time inspection,
// evaluation with GitHub Actions semantics, and text rendering. Shell-safe
// rendering of `run` scripts is in shell_quote.hpp (included below).
#include <concepts>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "weft/util/result.hpp"

namespace weft::expr {

// An expression's value. Objects keep the order of their keys, as in GitHub
// Actions: toJSON(fromJSON('{"b":1,"a":2}')) keeps b before a.
using Value = nlohmann::ordered_json;

// The contexts as the engine holds them (model::Json: keys sorted).
// evaluate() reads them in place and converts only what it returns.
using Contexts = nlohmann::json;

struct Node;  // the AST, defined in ast.hpp

// A parsed expression. `text` is the source between `${{` and `}}` (or the
// whole bare condition); every offset in the AST and in errors from
// evaluate() is a byte offset into `text`. `offset` is where `text` starts
// in the string it was parsed from (a template or an `if:` value), so
// `offset + node offset` points into that string.
struct Expr {
    std::shared_ptr<const Node> root;
    std::string text;
    std::size_t offset = 0;
};

// Parse one expression. Fails with Errc::invalid and `offset` = byte offset in
// `text` of the problem: "unexpected character '#'", "unterminated string",
// "expected ')' but found end of expression", "unknown function 'sucess' (did
// you mean 'success'?)", "function 'contains' takes 2 arguments but 1 was
// given", "function 'case' takes an odd number of arguments, at least 3, but
// 4 were given", "empty expression".
Result<Expr> parse(std::string_view text);

// One piece of a template: either literal text or an expression.
// `offset` is the offset of the literal's first byte or of the `${{`.
struct Part {
    std::string literal;
    std::optional<Expr> expr;
    std::size_t offset = 0;
};

struct Template {
    std::vector<Part> parts;
    bool has_expressions() const;
};

// Split `text` into literal text and `${{ … }}` expressions and parse each.
// A `}}` inside a quoted string of an expression does not end it. Fails on an
// unterminated `${{` and on any expression error; offsets are relative to
// the start of `text`.
Result<Template> parse_template(std::string_view text);

// An `if:` value: one expression, with or without `${{ }}` around the whole
// value. Text outside a `${{ }}`, or a `${{` inside a bare condition, is an
// error (GitHub Actions would silently treat such a condition as a non-empty,
// hence true, string). Offsets are relative to `text`.
Result<Expr> parse_condition(std::string_view text);

// A context read: the root (canonical lower-case spelling when it names a
// known context, as written otherwise) followed by the constant `.name` and
// `['name']` accesses that follow it. `offset` is the root's offset in the
// expression's `text`.
struct Reference {
    std::vector<std::string> path;
    std::size_t offset = 0;
};

// Every context read in `e`, in source order, for load-time checks:
// `steps.build.outputs.v` -> {"steps","build","outputs","v"}; the path stops
// at the first computed index or `*` (`steps[matrix.x].status` gives {"steps"}
// and {"matrix","x"}).
std::vector<Reference> references(const Expr& e);

// True when `e` calls success(), failure(), cancelled() or always(), so the
// engine adds no implicit success() to an `if`.
bool uses_status_function(const Expr& e);

// The known context roots: params env secrets matrix event steps run workflow.
const std::vector<std::string>& context_names();

// The names of the built-in functions, as documented (camelCase).
const std::vector<std::string>& function_names();

// What the status functions see: success() = !any_failed && !cancelled,
// failure() = any_failed, cancelled() = cancelled, always() = true.
struct Status {
    bool any_failed = false;
    bool cancelled = false;
};

// Evaluate `e` against `contexts`, a JSON object {"params": {...}, "steps":
// {...}, ...}; objects read from ordered contexts keep their order. Reading
// anything missing yields null. Fails (Errc::invalid, offset into e.text)
// only for run-time errors of functions: format() with a bad format string
// or index, fromJSON() of text that is not JSON ("fromJSON: invalid JSON:
// ..."), a case() condition that is not a boolean.
Result<Value> evaluate(const Expr& e, const Contexts& contexts, const Status& status = {});
// The same over ordered contexts (a template only so that `evaluate(e, {})`
// still means the first).
template <std::same_as<Value> C>
Result<Value> evaluate(const Expr& e, const C& contexts, const Status& status = {});

// GitHub Actions truthiness: false, 0, -0, NaN, "" and null are false;
// everything else (including empty arrays and objects) is true.
bool truthy(const Value& v);

// The text a value stands for when interpolated: strings as they are, null as
// "", booleans as true/false, integers exactly, other numbers with at most 15
// significant digits and no exponent (1.5, 0.1, 1e21 -> 1000000000000000000000),
// arrays and objects as compact JSON.
std::string to_text(const Value& v);

// Evaluate every expression of `t` and concatenate literals and to_text()
// of the values: plain text insertion, for everything but shell scripts.
// Error offsets are relative to the template.
Result<std::string> render(const Template& t, const Contexts& contexts, const Status& status = {});
template <std::same_as<Value> C>
Result<std::string> render(const Template& t, const C& contexts, const Status& status = {});

}  // namespace weft::expr

#include "weft/expr/shell_quote.hpp"
