#pragma once
// The expression AST and the lexer's tokens, shared by parser, evaluator and
// the reference walker. Not part of the public API.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "weft/expr/expr.hpp"

namespace weft::expr {

enum class NodeKind {
    literal,      // `value`
    context,      // a root identifier: `name`
    property,     // children[0].`name`
    index,        // children[0][children[1]]
    filter,       // children[0].* or children[0][*]
    call,         // `function`(children...)
    logical_not,  // !children[0]
    compare,      // children[0] `op` children[1]
    logical_and,  // children[0] && children[1]
    logical_or,   // children[0] || children[1]
};

enum class CompareOp { eq, ne, lt, le, gt, ge };

enum class Function {
    success,
    failure,
    cancelled,
    always,
    contains,
    starts_with,
    ends_with,
    format,
    join,
    to_json,
    from_json,
    case_,
};

struct Node {
    NodeKind kind = NodeKind::literal;
    std::size_t offset = 0;  // of the node's first token; of the operator for binary nodes
    Value value;             // literal
    std::string name;        // context root or property, as written; function, canonical
    CompareOp op = CompareOp::eq;
    Function function = Function::always;
    std::vector<std::shared_ptr<const Node>> children;
};

enum class TokenKind {
    end,
    string,
    number,
    identifier,  // also true, false, null, NaN, Infinity: the parser decides
    lparen,
    rparen,
    lbracket,
    rbracket,
    comma,
    dot,
    star,
    bang,
    eq,
    ne,
    lt,
    le,
    gt,
    ge,
    and_,
    or_,
};

struct Token {
    TokenKind kind = TokenKind::end;
    std::size_t offset = 0;
    std::string_view text;  // the lexeme, as written
    Value value;            // string and number literals
};

// Split `text` into tokens, the last one `end`. Fails on an unexpected
// character, an unterminated string or a malformed number.
Result<std::vector<Token>> tokenize(std::string_view text);

// GitHub Actions' number syntax (actions/runner ExpressionUtility.ParseNumber):
// optional sign, digits with optional point and exponent; 0x hex; 0o octal;
// Infinity, -Infinity, +Infinity. Leading and trailing whitespace is ignored and the
// empty string is 0 when `coerce`; otherwise NaN means "not a number".
double parse_number(std::string_view s, bool coerce);

}  // namespace weft::expr
