// Recursive-descent parser for expressions, templates and conditions, and the
// AST walks used at load time (references, status functions).
//
// Precedence, loosest first, as in GitHub Actions: ||, &&, == !=,
// < <= > >=, !, then postfix . [ ] and calls.
#include <algorithm>
#include <cmath>
#include <limits>

#include "weft/expr/ast.hpp"
#include "weft/util/strings.hpp"

namespace weft::expr {
namespace {

using NodePtr = std::shared_ptr<const Node>;

// Deep enough for any hand-written condition; shallow enough that a fuzzer's
// "((((((…" cannot overflow the stack. GitHub Actions stops at 50.
constexpr int k_max_depth = 64;
constexpr std::size_t k_max_tokens = 2048;

struct FunctionInfo {
    const char* name;
    Function function;
    std::size_t min_args;
    std::size_t max_args;  // npos: unbounded
};

constexpr std::size_t k_unbounded = static_cast<std::size_t>(-1);

const FunctionInfo k_functions[] = {
    {"success", Function::success, 0, 0},     {"failure", Function::failure, 0, 0},
    {"cancelled", Function::cancelled, 0, 0}, {"always", Function::always, 0, 0},
    {"contains", Function::contains, 2, 2},   {"startsWith", Function::starts_with, 2, 2},
    {"endsWith", Function::ends_with, 2, 2},  {"format", Function::format, 1, k_unbounded},
    {"join", Function::join, 1, 2},           {"toJSON", Function::to_json, 1, 1},
    {"fromJSON", Function::from_json, 1, 1},  {"case", Function::case_, 3, k_unbounded},
};

// Function names are case-insensitive, as in GitHub Actions (`toJson` works).
const FunctionInfo* find_function(std::string_view name) {
    const std::string lower = to_lower(name);
    for (const auto& f : k_functions)
        if (to_lower(f.name) == lower) return &f;
    return nullptr;
}

std::string describe(const Token& t) {
    switch (t.kind) {
        case TokenKind::end:
            return "end of expression";
        case TokenKind::string:
            return "string literal";
        default:
            return "'" + std::string(t.text) + "'";
    }
}

std::string plural(std::size_t n, const char* word) {
    return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

std::string arity_message(const FunctionInfo& f, std::size_t given) {
    std::string expected;
    if (f.max_args == 0)
        expected = "no arguments";
    else if (f.min_args == f.max_args)
        expected = plural(f.min_args, "argument");
    else if (f.max_args == k_unbounded)
        expected = "at least " + plural(f.min_args, "argument");
    else
        expected = std::to_string(f.min_args) + " or " + plural(f.max_args, "argument");
    return "function '" + std::string(f.name) + "' takes " + expected + " but " +
           std::to_string(given) + (given == 1 ? " was" : " were") + " given";
}

class Parser {
  public:
    explicit Parser(std::vector<Token> tokens) : m_tokens(std::move(tokens)) {}

    Result<NodePtr> parse_all() {
        if (peek().kind == TokenKind::end) return make_error(Errc::invalid, "empty expression", 0);
        auto root = parse_or();
        if (!root) return root;
        if (peek().kind != TokenKind::end)
            return fail("expected an operator or end of expression but found " + describe(peek()));
        return root;
    }

  private:
    const Token& peek() const { return m_tokens[m_pos]; }
    const Token& take() { return m_tokens[m_pos++]; }
    bool accept(TokenKind kind) {
        if (peek().kind != kind) return false;
        ++m_pos;
        return true;
    }
    Error fail(std::string message) const {
        return make_error(Errc::invalid, std::move(message), peek().offset);
    }
    Result<void> expect(TokenKind kind, const char* what) {
        if (accept(kind)) return {};
        return fail(std::string("expected '") + what + "' but found " + describe(peek()));
    }

    static NodePtr binary(NodeKind kind, std::size_t offset, NodePtr l, NodePtr r,
                          CompareOp op = CompareOp::eq) {
        auto n = std::make_shared<Node>();
        n->kind = kind;
        n->offset = offset;
        n->op = op;
        n->children = {std::move(l), std::move(r)};
        return n;
    }

    // Guards recursion depth for every rule that can nest.
    struct Depth {
        explicit Depth(int& d) : m_d(d) { ++m_d; }
        ~Depth() { --m_d; }
        Depth(const Depth&) = delete;
        Depth& operator=(const Depth&) = delete;
        int& m_d;
    };

    Result<NodePtr> parse_or() {
        Depth guard(m_depth);
        if (m_depth > k_max_depth) return fail("expression is nested too deeply");
        auto left = parse_and();
        if (!left) return left;
        NodePtr node = std::move(*left);
        while (peek().kind == TokenKind::or_) {
            const std::size_t at = take().offset;
            auto right = parse_and();
            if (!right) return right;
            node = binary(NodeKind::logical_or, at, node, std::move(*right));
        }
        return node;
    }

    Result<NodePtr> parse_and() {
        auto left = parse_equality();
        if (!left) return left;
        NodePtr node = std::move(*left);
        while (peek().kind == TokenKind::and_) {
            const std::size_t at = take().offset;
            auto right = parse_equality();
            if (!right) return right;
            node = binary(NodeKind::logical_and, at, node, std::move(*right));
        }
        return node;
    }

    Result<NodePtr> parse_equality() {
        auto left = parse_comparison();
        if (!left) return left;
        NodePtr node = std::move(*left);
        while (peek().kind == TokenKind::eq || peek().kind == TokenKind::ne) {
            const Token& t = take();
            const CompareOp op = t.kind == TokenKind::eq ? CompareOp::eq : CompareOp::ne;
            auto right = parse_comparison();
            if (!right) return right;
            node = binary(NodeKind::compare, t.offset, node, std::move(*right), op);
        }
        return node;
    }

    Result<NodePtr> parse_comparison() {
        auto left = parse_unary();
        if (!left) return left;
        NodePtr node = std::move(*left);
        while (true) {
            CompareOp op;
            switch (peek().kind) {
                case TokenKind::lt:
                    op = CompareOp::lt;
                    break;
                case TokenKind::le:
                    op = CompareOp::le;
                    break;
                case TokenKind::gt:
                    op = CompareOp::gt;
                    break;
                case TokenKind::ge:
                    op = CompareOp::ge;
                    break;
                default:
                    return node;
            }
            const std::size_t at = take().offset;
            auto right = parse_unary();
            if (!right) return right;
            node = binary(NodeKind::compare, at, node, std::move(*right), op);
        }
    }

    Result<NodePtr> parse_unary() {
        if (peek().kind != TokenKind::bang) return parse_postfix();
        Depth guard(m_depth);
        if (m_depth > k_max_depth) return fail("expression is nested too deeply");
        const std::size_t at = take().offset;
        auto operand = parse_unary();
        if (!operand) return operand;
        auto n = std::make_shared<Node>();
        n->kind = NodeKind::logical_not;
        n->offset = at;
        n->children = {std::move(*operand)};
        return NodePtr(n);
    }

    Result<NodePtr> parse_postfix() {
        auto base = parse_primary();
        if (!base) return base;
        NodePtr node = std::move(*base);
        while (true) {
            const Token& t = peek();
            auto n = std::make_shared<Node>();
            n->offset = t.offset;
            if (t.kind == TokenKind::dot) {
                take();
                if (accept(TokenKind::star)) {
                    n->kind = NodeKind::filter;
                } else if (peek().kind == TokenKind::identifier) {
                    n->kind = NodeKind::property;
                    n->name = std::string(take().text);
                } else {
                    return fail("expected a property name after '.' but found " + describe(peek()));
                }
                n->children = {node};
            } else if (t.kind == TokenKind::lbracket) {
                take();
                if (peek().kind == TokenKind::star &&
                    m_tokens[m_pos + 1].kind == TokenKind::rbracket) {
                    take();
                    n->kind = NodeKind::filter;
                    n->children = {node};
                } else {
                    auto index = parse_or();
                    if (!index) return index;
                    n->kind = NodeKind::index;
                    n->children = {node, std::move(*index)};
                }
                if (auto r = expect(TokenKind::rbracket, "]"); !r) return r.error();
            } else {
                return node;
            }
            node = std::move(n);
        }
    }

    Result<NodePtr> parse_primary() {
        const Token& t = peek();
        auto n = std::make_shared<Node>();
        n->offset = t.offset;
        switch (t.kind) {
            case TokenKind::string:
            case TokenKind::number:
                n->kind = NodeKind::literal;
                n->value = take().value;
                return NodePtr(n);
            case TokenKind::lparen: {
                Depth guard(m_depth);
                take();
                auto inner = parse_or();
                if (!inner) return inner;
                if (auto r = expect(TokenKind::rparen, ")"); !r) return r.error();
                return inner;
            }
            case TokenKind::identifier:
                break;
            default:
                return fail("expected an expression but found " + describe(t));
        }
        const std::string_view name = take().text;
        if (peek().kind == TokenKind::lparen) return parse_call(name, t.offset);
        if (name == "true" || name == "false") {
            n->value = name == "true";
        } else if (name == "null") {
            n->value = nullptr;
        } else if (name == "NaN") {
            n->value = std::numeric_limits<double>::quiet_NaN();
        } else if (name == "Infinity") {
            n->value = std::numeric_limits<double>::infinity();
        } else {
            n->kind = NodeKind::context;
            n->name = std::string(name);
            return NodePtr(n);
        }
        n->kind = NodeKind::literal;
        return NodePtr(n);
    }

    Result<NodePtr> parse_call(std::string_view name, std::size_t offset) {
        const FunctionInfo* f = find_function(name);
        if (f == nullptr)
            return make_error(Errc::invalid,
                              with_suggestion("unknown function '" + std::string(name) + "'", name,
                                              function_names()),
                              offset);
        take();  // (
        auto n = std::make_shared<Node>();
        n->kind = NodeKind::call;
        n->offset = offset;
        n->name = f->name;
        n->function = f->function;
        if (!accept(TokenKind::rparen)) {
            while (true) {
                auto arg = parse_or();
                if (!arg) return arg;
                n->children.push_back(std::move(*arg));
                if (accept(TokenKind::rparen)) break;
                if (!accept(TokenKind::comma))
                    return fail("expected ',' or ')' but found " + describe(peek()));
            }
        }
        const std::size_t given = n->children.size();
        if (given < f->min_args || given > f->max_args)
            return make_error(Errc::invalid, arity_message(*f, given), offset);
        // case(pred1, val1, ..., default): pairs, then the default.
        if (f->function == Function::case_ && given % 2 == 0)
            return make_error(Errc::invalid,
                              "function 'case' takes an odd number of arguments, at least 3, but " +
                                  std::to_string(given) + " were given",
                              offset);
        return NodePtr(n);
    }

    std::vector<Token> m_tokens;
    std::size_t m_pos = 0;
    int m_depth = 0;
};

Result<Expr> parse_at(std::string_view whole, std::size_t begin, std::size_t end) {
    auto e = parse(whole.substr(begin, end - begin));
    if (!e) {
        Error err = e.error();
        if (err.offset != Error::npos) err.offset += begin;
        return err;
    }
    e->offset = begin;
    return e;
}

bool is_blank(std::string_view s) {
    return std::all_of(s.begin(), s.end(),
                       [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// Collects the references of one access chain ending at `n`, then walks the
// sub-expressions the chain does not cover.
void collect(const Node& n, std::vector<Reference>& out);

void collect_chain(const Node& top, std::vector<Reference>& out) {
    std::vector<const Node*> chain;  // top first
    const Node* base = &top;
    while (base->kind == NodeKind::property || base->kind == NodeKind::index ||
           base->kind == NodeKind::filter) {
        chain.push_back(base);
        if (base->kind == NodeKind::index) collect(*base->children[1], out);
        base = base->children[0].get();
    }
    if (base->kind != NodeKind::context) {
        collect(*base, out);
        return;
    }
    Reference ref;
    ref.offset = base->offset;
    const std::string lower = to_lower(base->name);
    const auto& names = context_names();
    ref.path.push_back(std::find(names.begin(), names.end(), lower) != names.end() ? lower
                                                                                   : base->name);
    for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
        const Node& step = **it;
        if (step.kind == NodeKind::property) {
            ref.path.push_back(step.name);
        } else if (step.kind == NodeKind::index && step.children[1]->kind == NodeKind::literal &&
                   step.children[1]->value.is_string()) {
            ref.path.push_back(step.children[1]->value.get<std::string>());
        } else {
            break;
        }
    }
    out.push_back(std::move(ref));
}

void collect(const Node& n, std::vector<Reference>& out) {
    switch (n.kind) {
        case NodeKind::context:
        case NodeKind::property:
        case NodeKind::index:
        case NodeKind::filter:
            collect_chain(n, out);
            return;
        default:
            for (const auto& c : n.children) collect(*c, out);
    }
}

bool has_status_call(const Node& n) {
    if (n.kind == NodeKind::call &&
        (n.function == Function::success || n.function == Function::failure ||
         n.function == Function::cancelled || n.function == Function::always))
        return true;
    return std::any_of(n.children.begin(), n.children.end(),
                       [](const auto& c) { return has_status_call(*c); });
}

}  // namespace

const std::vector<std::string>& context_names() {
    static const std::vector<std::string> names = {"params", "env",   "secrets", "matrix",
                                                   "event",  "steps", "run",     "workflow"};
    return names;
}

const std::vector<std::string>& function_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v;
        for (const auto& f : k_functions) v.emplace_back(f.name);
        return v;
    }();
    return names;
}

Result<Expr> parse(std::string_view text) {
    auto tokens = tokenize(text);
    if (!tokens) return tokens.error();
    // A chain of operators builds a tree as deep as it is long, and the
    // evaluator and the destructor recurse over it: bound its size.
    if (tokens->size() > k_max_tokens)
        return make_error(
            Errc::invalid,
            "expression is too long: more than " + std::to_string(k_max_tokens) + " tokens",
            (*tokens)[k_max_tokens].offset);
    Parser parser(std::move(*tokens));
    auto root = parser.parse_all();
    if (!root) return root.error();
    return Expr{std::move(*root), std::string(text), 0};
}

bool Template::has_expressions() const {
    return std::any_of(parts.begin(), parts.end(),
                       [](const Part& p) { return p.expr.has_value(); });
}

Result<Template> parse_template(std::string_view text) {
    Template t;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t open = text.find("${{", pos);
        if (open == std::string_view::npos) break;
        if (open > pos)
            t.parts.push_back(Part{std::string(text.substr(pos, open - pos)), std::nullopt, pos});
        // Find the closing `}}`, skipping quoted strings: format('{{0}}') is fine.
        std::size_t j = open + 3;
        while (true) {
            if (j >= text.size())
                return make_error(Errc::invalid, "unterminated '${{' (missing '}}')", open);
            if (text[j] == '\'') {
                const std::size_t quote = j++;
                while (true) {
                    if (j >= text.size())
                        return make_error(Errc::invalid, "unterminated string", quote);
                    if (text[j] == '\'' && j + 1 < text.size() && text[j + 1] == '\'') {
                        j += 2;
                    } else if (text[j] == '\'') {
                        ++j;
                        break;
                    } else {
                        ++j;
                    }
                }
                continue;
            }
            if (text.compare(j, 2, "}}") == 0) break;
            ++j;
        }
        auto e = parse_at(text, open + 3, j);
        if (!e) return e.error();
        t.parts.push_back(Part{{}, std::move(*e), open});
        pos = j + 2;
    }
    if (pos < text.size())
        t.parts.push_back(Part{std::string(text.substr(pos)), std::nullopt, pos});
    return t;
}

Result<Expr> parse_condition(std::string_view text) {
    std::size_t first = 0;
    while (first < text.size() && is_blank(text.substr(first, 1))) ++first;
    if (text.compare(first, 3, "${{") != 0) {
        if (const auto at = text.find("${{"); at != std::string_view::npos)
            return make_error(Errc::invalid,
                              "'${{' inside a condition: put the whole condition inside ${{ }} or "
                              "leave ${{ }} out",
                              at);
        return parse_at(text, 0, text.size());
    }
    auto t = parse_template(text);
    if (!t) return t.error();
    std::optional<Expr> found;
    for (auto& part : t->parts) {
        if (part.expr && !found) {
            found = std::move(part.expr);
            continue;
        }
        if (part.expr || !is_blank(part.literal))
            return make_error(Errc::invalid,
                              "a condition must be a single expression: put the whole condition "
                              "inside one ${{ }}",
                              part.offset);
    }
    return std::move(*found);
}

std::vector<Reference> references(const Expr& e) {
    std::vector<Reference> out;
    if (e.root) collect(*e.root, out);
    std::stable_sort(out.begin(), out.end(),
                     [](const Reference& a, const Reference& b) { return a.offset < b.offset; });
    return out;
}

bool uses_status_function(const Expr& e) {
    return e.root && has_status_call(*e.root);
}

}  // namespace weft::expr
