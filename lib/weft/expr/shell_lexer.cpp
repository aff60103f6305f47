// The sh quoting lexer: just enough of the POSIX shell grammar (plus bash's
// $'…', $"…", <( ), $[ ] and (( ))) to know, at every point of a script,
// which quoting context the shell is in. See shell_quote.cpp for how values
// are inserted.
#include <algorithm>
#include <utility>

#include "weft/expr/shell_lexer.hpp"

namespace weft::expr::shell {
namespace {

// Backquotes inside backquotes inside backquotes are where shells' escaping
// rules get murky; weft does not go deeper.
constexpr int k_max_backquote_level = 3;

bool is_blank(int c) {
    return c == ' ' || c == '\t';
}
bool ends_word(int c) {
    return c == ' ' || c == '\t' || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' ||
           c == '>' || c == '(' || c == ')' || c == k_end;
}

bool odd_trailing_backslashes(std::string_view line) {
    std::size_t n = 0;
    while (n < line.size() && line[line.size() - 1 - n] == '\\') ++n;
    return n % 2 == 1;
}

// Reserved words after which a command starts again.
bool keeps_command_start(std::string_view w) {
    static const char* words[] = {"if",    "then",  "else", "elif", "do",
                                  "while", "until", "!",    "{",    "time"};
    return std::any_of(std::begin(words), std::end(words), [&](const char* r) { return w == r; });
}

bool is_assignment(std::string_view w) {
    const auto eq = w.find('=');
    if (eq == std::string_view::npos || eq == 0) return false;
    for (std::size_t i = 0; i < eq; ++i) {
        const char c = w[i];
        const bool ok = c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                        (i > 0 && c >= '0' && c <= '9') || (c == '+' && i + 1 == eq);
        if (!ok) return false;
    }
    return true;
}

// The inside of `…`, read through the backquote escape layer: \\ \` \$ (and
// \" within double quotes) stand for the second character.
class BackquoteSource final : public Source {
  public:
    BackquoteSource(Lexer& outer, BackquoteMode mode) : m_outer(outer), m_mode(mode) {}

    int peek(std::size_t k) override {
        std::size_t j = 0;
        for (std::size_t i = 0;; ++i) {
            const auto [c, width] = decode(j);
            if (i == k || c < 0) return c;
            j += width;
        }
    }
    void advance() override {
        const auto width = decode(0).second;
        for (std::size_t i = 0; i < width; ++i) m_outer.raw_take();
    }
    int origin() override { return m_outer.raw_origin(); }
    std::size_t hole() override { return m_outer.raw_hole(); }
    void fill(const std::string& text) override {
        m_outer.raw_fill(escape_for_backquotes(text, m_mode == BackquoteMode::double_quoted));
    }
    bool bare_dquote() override {
        return m_mode == BackquoteMode::double_quoted && m_outer.raw_peek(0) == '"';
    }

  private:
    std::pair<int, std::size_t> decode(std::size_t j) {
        const int c = m_outer.raw_peek(j);
        if (c == '`') return {k_end, 0};
        if (c != '\\') return {c, 1};
        const int n = m_outer.raw_peek(j + 1);
        if (n == k_hole) return {k_bad, 1};
        if (n == '\\' || n == '`' || n == '$' ||
            (n == '"' && m_mode == BackquoteMode::double_quoted))
            return {n, 2};
        if (n == '"' && m_mode == BackquoteMode::heredoc)
            m_outer.mark_uncertain("'\\\"' inside backquotes inside a here-document");
        return {'\\', 1};
    }

    Lexer& m_outer;
    BackquoteMode m_mode;
};

}  // namespace

Lexer::Lexer(Shared& shared, Source& src, int level, bool arith_outside, BackquoteMode mode)
    : m_sh(shared), m_src(src), m_level(level), m_arith_outside(arith_outside), m_mode(mode) {
    m_stack.emplace_back();
}

void Lexer::run() {
    while (!m_sh.error) {
        const int c = peek();
        if (c == k_end) {
            if (m_stack.size() == 1) {
                end_word();
                end_command(true);
            }
            return;
        }
        if (c == k_hole) {
            insert_value();
        } else if (c == k_bad) {
            m_sh.fail(m_sh.filled,
                      "a '\\' directly before '${{' inside backquotes would escape the value's "
                      "first character");
        } else {
            step();
        }
    }
}

bool Lexer::at_base() const {
    std::size_t n = m_stack.size();
    if (n > 1 && m_stack.back().kind == FrameKind::comment) --n;
    const Frame& f = m_stack.front();
    return n == 1 && f.pending.empty() && f.paren == 0;
}

void Lexer::mark_uncertain(const std::string& reason) {
    if (m_sh.uncertain.empty()) m_sh.uncertain = reason;
}

bool Lexer::take() {
    const int c = peek();
    if (c < 0) return true;
    const bool from_value = m_src.origin() != 0;
    const std::size_t truncations = m_truncations;
    m_src.advance();
    if (c == '\n') {
        end_line();
    } else {
        m_line += static_cast<char>(c);
        m_line_value = m_line_value || from_value;
        if (m_line_all_tabs) {
            if (c == '\t')
                m_lead_value_tab = m_lead_value_tab || from_value;
            else
                m_line_all_tabs = false;
        }
    }
    return truncations == m_truncations;
}

// A raw line is complete: does it end an enclosing here-document? The shell
// reads here-document bodies line by line before looking inside them, so the
// check applies whatever else is open in the body.
void Lexer::end_line() {
    const std::string line = std::move(m_line);
    const bool has_value = m_line_value;
    const bool lead_value_tab = m_lead_value_tab;
    const std::size_t line_no = m_line_no++;
    m_line.clear();
    m_line_value = false;
    m_line_all_tabs = true;
    m_lead_value_tab = false;
    const std::size_t value_hole = m_sh.filled > 0 ? m_sh.filled - 1 : 0;
    for (std::size_t i = 0; i < m_stack.size(); ++i) {
        Frame& f = m_stack[i];
        if (f.kind != FrameKind::heredoc || f.start_line > line_no) continue;
        std::string logical = f.carry + line;
        const bool value = f.carry_value || has_value;
        if (!f.doc.quoted && odd_trailing_backslashes(line)) {
            // \-newline joins lines in an unquoted body (bash and dash alike).
            logical.pop_back();
            f.carry = std::move(logical);
            f.carry_value = value;
            continue;
        }
        f.carry.clear();
        f.carry_value = false;
        std::string_view cmp = logical;
        if (f.doc.strip_tabs)
            while (!cmp.empty() && cmp.front() == '\t') cmp.remove_prefix(1);
        if (cmp == f.doc.delim && value)
            return m_sh.fail(value_hole,
                             "value contains the here-document delimiter '" + f.doc.delim + "'");
        if (f.doc.strip_tabs && lead_value_tab)
            return m_sh.fail(value_hole,
                             "a line of the value starts with a tab, which '<<-' would remove");
        if (cmp != f.doc.delim) continue;
        if (m_child_active) return mark_uncertain("a here-document ends inside backquotes");
        m_stack.resize(i);
        ++m_truncations;
        Frame& owner = top();
        if (!owner.pending.empty()) {
            Frame next;
            next.kind = FrameKind::heredoc;
            next.doc = owner.pending.front();
            next.start_line = m_line_no;
            owner.pending.erase(owner.pending.begin());
            m_stack.push_back(std::move(next));
        }
        return;
    }
}

void Lexer::push(FrameKind kind) {
    Frame f;
    f.kind = kind;
    m_stack.push_back(std::move(f));
}

// bash 5.2 brace-expands "{a,b}" in "`printf %s "{a,b}"`" (not with \"…\"),
// so a value cannot stand exactly inside such a string.
void Lexer::open_dquote() {
    const bool bare = m_src.bare_dquote();
    take();
    push(FrameKind::dquote);
    top().brace_expanded = bare;
}

void Lexer::step() {
    switch (top().kind) {
        case FrameKind::top:
            return step_top();
        case FrameKind::dquote:
            return step_dquote();
        case FrameKind::squote:
            if (peek() == '\'') {
                m_stack.pop_back();
                take();
                return;
            }
            record_literal(peek(), true);
            take();
            return;
        case FrameKind::ansi:
            if (peek() == '\\') {
                if (peek(1) == k_hole)
                    return m_sh.fail(
                        m_sh.filled,
                        "a '\\' directly before '${{' would escape the value's first character");
                record_literal(peek(1), true);  // near enough: \n is not a name's
                take(peek(1) == k_end ? 1 : 2);
                return;
            }
            if (peek() == '\'')
                m_stack.pop_back();
            else
                record_literal(peek(), true);
            take();
            return;
        case FrameKind::comment:
            if (peek() == '\n') {
                m_stack.pop_back();  // the newline belongs to the commands around
                return;
            }
            take();
            return;
        case FrameKind::heredoc:
            return step_heredoc();
        case FrameKind::arith:
            return step_arith();
        case FrameKind::param:
            return step_param();
        case FrameKind::delim:
            return step_delim();
    }
}

void Lexer::word_char(bool plain, int c) {
    Frame& f = top();
    if (!f.in_word) {
        f.in_word = true;
        f.word_start = false;
        f.word_plain = true;
        f.word.clear();
    }
    if (!plain) f.word_plain = false;
    if (plain && f.word_plain) f.word += static_cast<char>(c);
}

// Keeps track of where commands start, to see `case`/`esac` (whose pattern
// `)` must not close a `$(`) and `((` (arithmetic).
void Lexer::end_word() {
    Frame& f = top();
    if (!f.in_word) return;
    f.in_word = false;
    Word w = std::move(f.cur);
    f.cur = Word{};
    w.redirect = std::exchange(f.redirect_next, false);
    if (!(f.cmd_start && f.word_plain && keeps_command_start(f.word))) {
        if (f.compound_paren > 0 && !f.cmd.empty())
            f.cmd.back().elements.push_back(std::move(w));
        else
            f.cmd.push_back(std::move(w));
    }
    if (!f.cmd_start) return;
    if (f.word_plain && keeps_command_start(f.word)) return;
    if (f.word_plain && f.word == "case") {
        ++f.case_depth;
    } else if (f.word_plain && f.word == "esac" && f.case_depth > 0) {
        --f.case_depth;
    } else if (is_assignment(f.word)) {
        return;
    }
    f.cmd_start = false;
}

void Lexer::step_top() {
    const int c = peek();
    Frame& f = top();
    switch (c) {
        case ' ':
        case '\t':
            end_word();
            f.word_start = true;
            take();
            return;
        case '\n': {
            end_word();
            end_command();
            f.word_start = f.cmd_start = true;
            const std::size_t depth = m_stack.size();
            if (!take() || m_stack.size() != depth) return;
            Frame& owner = top();
            if (!owner.pending.empty()) {
                Frame body;
                body.kind = FrameKind::heredoc;
                body.doc = owner.pending.front();
                body.start_line = m_line_no;
                owner.pending.erase(owner.pending.begin());
                m_stack.push_back(std::move(body));
            }
            return;
        }
        case '#':
            if (f.word_start && !f.in_word) {
                push(FrameKind::comment);
                take();
                return;
            }
            break;
        case ';':
        case '&':
        case '|':
            end_word();
            end_command();
            f.word_start = f.cmd_start = true;
            take();
            return;
        case '(':
            return open_paren();
        case ')':
            return close_paren();
        case '<':
        case '>':
            end_word();
            f.word_start = true;
            if (peek(1) == '(') {  // <( ) >( ): bash process substitution
                take(2);
                push(FrameKind::top);
                top().cmdsubst = true;
                return;
            }
            if (c == '<' && peek(1) == '<') {
                if (peek(2) == '<') {  // bash here-string
                    f.redirect_next = true;
                    take(3);
                    return;
                }
                const bool strip = peek(2) == '-';
                take(strip ? 3 : 2);
                push(FrameKind::delim);
                top().doc.strip_tabs = strip;
                return;
            }
            f.redirect_next = true;
            take();
            return;
        case '\'':
            word_char(false, c);
            take();
            push(FrameKind::squote);
            return;
        case '"':
            word_char(false, c);
            return open_dquote();
        case '`':
            word_char(false, c);
            return backquote();
        case '\\':
            word_char(false, c);
            if (peek(1) == k_hole)
                return m_sh.fail(
                    m_sh.filled,
                    "a '\\' directly before '${{' would escape the value's first character");
            if (peek(1) != '\n') record_literal(peek(1), true);
            take(peek(1) == k_end ? 1 : 2);
            return;
        case '$':
            word_char(false, c);
            return dollar(FrameKind::top);
        default:
            break;
    }
    word_char(true, c);
    record_literal(c, false);
    take();
}

// `(` among commands: a subshell, a function's `()`, `((` or `for ((`
// (bash arithmetic), or the array of NAME=( ).
void Lexer::open_paren() {
    Frame& f = top();
    const bool compound = f.in_word && f.compound_paren == 0 && opens_compound(f.cur);
    end_word();
    if (compound) {
        f.compound_paren = ++f.paren;
        f.word_start = true;
        take();
        return;
    }
    const bool arith_for = f.cmd.size() == 1 && plain_text(f.cmd[0]) == "for";
    if ((f.cmd_start || arith_for) && peek(1) == '(' && m_sh.dialect == ShellDialect::bash) {
        push(FrameKind::arith);
        top().depth = 2;
        take(2);
        return;
    }
    end_command();
    ++f.paren;
    f.word_start = f.cmd_start = true;
    take();
}

void Lexer::close_paren() {
    Frame& f = top();
    end_word();
    f.word_start = f.cmd_start = true;
    if (f.compound_paren > 0 && f.paren == f.compound_paren)
        f.compound_paren = 0;
    else
        end_command();
    if (f.paren > 0) {
        --f.paren;
    } else if (f.case_depth > 0) {
        // the end of a case pattern
    } else if (f.cmdsubst) {
        end_command(true);
        m_stack.pop_back();
    }
    take();
}

void Lexer::dollar(FrameKind ctx) {
    const int n = peek(1);
    if (n == k_hole)
        return m_sh.fail(m_sh.filled,
                         "a '$' directly before '${{' would join the value to it; write '\\$' for "
                         "a literal '$'");
    if (n == '(' || n == '{' || (n == '[' && m_sh.dialect == ShellDialect::bash)) record_dynamic();
    if (n == '(') {
        if (peek(2) == '(') {
            take(3);
            push(FrameKind::arith);
            top().depth = 2;
            top().dollar = true;
        } else {
            take(2);
            push(FrameKind::top);
            top().cmdsubst = true;
        }
        return;
    }
    if (n == '{') {
        take(2);
        push(FrameKind::param);
        return;
    }
    if (n == '[' && m_sh.dialect == ShellDialect::bash) {
        take(2);
        push(FrameKind::arith);
        top().bracket = true;
        return;
    }
    if (ctx == FrameKind::top && n == '\'' && m_sh.dialect == ShellDialect::bash) {
        take(2);
        push(FrameKind::ansi);
        return;
    }
    if (ctx == FrameKind::top && n == '"') {
        take();
        return open_dquote();
    }
    // $# $? $$ $1 …: take the name so that `$#` does not start a comment.
    const bool special = n == '#' || n == '?' || n == '$' || n == '!' || n == '@' || n == '*' ||
                         n == '-' || (n >= '0' && n <= '9');
    const bool name = n == '_' || (n >= 'a' && n <= 'z') || (n >= 'A' && n <= 'Z');
    if (special || name)
        record_dynamic();
    else
        record_literal('$', ctx != FrameKind::top);
    take(special ? 2 : 1);
}

void Lexer::step_dquote() {
    const int c = peek();
    if (c == '"') {
        m_stack.pop_back();
        take();
    } else if (c == '\\') {
        const int n = peek(1);
        if (n == k_hole)
            return m_sh.fail(
                m_sh.filled,
                "a '\\' directly before '${{' would escape the value's first character");
        const bool escape = n == '$' || n == '`' || n == '"' || n == '\\' || n == '\n';
        if (n != '\n') record_literal(escape ? n : '\\', true);
        take(escape ? 2 : 1);
    } else if (c == '$') {
        dollar(FrameKind::dquote);
    } else if (c == '`') {
        backquote();
    } else {
        record_literal(c, true);
        take();
    }
}

void Lexer::step_heredoc() {
    const int c = peek();
    if (top().doc.quoted) {
        take();
    } else if (c == '\\') {
        const int n = peek(1);
        if (n == k_hole)
            return m_sh.fail(
                m_sh.filled,
                "a '\\' directly before '${{' would escape the value's first character");
        take(n == '$' || n == '`' || n == '\\' ? 2 : 1);  // \-newline: end_line joins the lines
    } else if (c == '$') {
        dollar(FrameKind::heredoc);
    } else if (c == '`') {
        backquote();
    } else {
        take();
    }
}

void Lexer::step_arith() {
    const int c = peek();
    Frame& f = top();
    if (f.bracket) {
        if (c == ']' && f.depth == 0) {
            m_stack.pop_back();
            take();
            return;
        }
        if (c == '[') ++f.depth;
        if (c == ']') --f.depth;
    } else if (c == '(') {
        ++f.depth;
    } else if (c == ')') {
        if (f.depth > 2) {
            --f.depth;
        } else if (peek(1) == ')') {
            m_stack.pop_back();
            take(2);
            return;
        } else if (m_sh.dialect == ShellDialect::posix) {
            // dash reads on to the next `))`: `$((a) b))` is arithmetic.
        } else {
            // `$((a) b)` / `((a) b)`: bash decides here that this was a
            // command substitution / subshell after all.
            if (peek(1) == k_hole) mark_uncertain("'$((' or '((' that may not be arithmetic");
            if (f.dollar) {
                f = Frame{};
                f.cmdsubst = true;
            } else {
                m_stack.pop_back();
                ++top().paren;
            }
            take();
            return;
        }
    } else if (c == '\'' || c == '"') {
        // Shells differ on quotes directly inside arithmetic (bash matches
        // parentheses across them, dash does not), hence where it ends.
        mark_uncertain("a quote inside an arithmetic expression");
    } else if (c == '$') {
        return dollar(FrameKind::arith);
    } else if (c == '`') {
        return backquote();
    } else if (c == '\\') {
        take(peek(1) == k_end || peek(1) == k_hole ? 1 : 2);
        return;
    }
    take();
}

void Lexer::step_param() {
    const int c = peek();
    Frame& f = top();
    if (c == '}') {
        if (f.braces == 0)
            m_stack.pop_back();
        else
            --f.braces;
        take();
    } else if (c == '{') {
        ++f.braces;
        take();
    } else if (c == '\\') {
        if (peek(1) == k_hole)
            return m_sh.fail(
                m_sh.filled,
                "a '\\' directly before '${{' would escape the value's first character");
        take(peek(1) == k_end ? 1 : 2);
    } else if (c == '\'') {
        bool in_dquote = false;
        for (auto it = m_stack.rbegin(); it != m_stack.rend() && it->kind == FrameKind::param;
             ++it) {
            const auto below = std::next(it);
            in_dquote = below != m_stack.rend() &&
                        (below->kind == FrameKind::dquote || below->kind == FrameKind::heredoc);
        }
        if (in_dquote) {
            // bash: "${x:-'}'}" is '}'; dash: ''} (the same in a here-document).
            mark_uncertain("a single quote inside \"${...}\"");
            take();
        } else {
            take();
            push(FrameKind::squote);
        }
    } else if (c == '"') {
        open_dquote();
    } else if (c == '$') {
        dollar(FrameKind::param);
    } else if (c == '`') {
        backquote();
    } else {
        take();
    }
}

// The word after << or <<-: any quoting in it makes the body literal.
void Lexer::step_delim() {
    const int c = peek();
    Frame& f = top();
    if (f.quote == '\'') {
        if (c == '\'')
            f.quote = 0;
        else
            f.doc.delim += static_cast<char>(c);
        take();
        return;
    }
    if (f.quote == '"') {
        const int n = peek(1);
        if (c == '"') {
            f.quote = 0;
        } else if (c == '\\' && (n == '$' || n == '`' || n == '"' || n == '\\')) {
            f.doc.delim += static_cast<char>(n);
            take();
        } else {
            f.doc.delim += static_cast<char>(c);
        }
        take();
        return;
    }
    if (!f.started && is_blank(c)) {
        take();
        return;
    }
    if (ends_word(c)) {
        HereDoc doc = f.doc;
        const bool started = f.started;
        m_stack.pop_back();
        if (started)
            top().pending.push_back(std::move(doc));
        else
            mark_uncertain("'<<' without a delimiter");
        return;
    }
    f.started = true;
    if (c == '\'' || c == '"') {
        f.quote = c;
        f.doc.quoted = true;
    } else if (c == '\\') {
        f.doc.quoted = true;
        take();
        if (peek() >= 0) f.doc.delim += static_cast<char>(peek());
    } else {
        f.doc.delim += static_cast<char>(c);
    }
    take();
}

void Lexer::backquote() {
    BackquoteMode mode = BackquoteMode::plain;
    for (auto it = m_stack.rbegin(); it != m_stack.rend(); ++it) {
        if (it->kind == FrameKind::param) continue;
        if (it->kind == FrameKind::dquote) mode = BackquoteMode::double_quoted;
        if (it->kind == FrameKind::heredoc) mode = BackquoteMode::heredoc;
        break;
    }
    record_dynamic();
    take();
    if (m_level + 1 >= k_max_backquote_level) mark_uncertain("backquotes nested too deeply");
    BackquoteSource inside(*this, mode);
    Lexer child(m_sh, inside, m_level + 1, in_arithmetic(), mode);
    const bool was_active = m_child_active;
    m_child_active = true;
    child.run();
    m_child_active = was_active;
    if (m_sh.error) return;
    if (!child.at_base()) mark_uncertain("quoting left open inside backquotes");
    if (peek() == '`')
        take();
    else
        mark_uncertain("an unterminated backquote");
}

bool Lexer::in_arithmetic() const {
    return m_arith_outside || std::any_of(m_stack.begin(), m_stack.end(), [](const Frame& f) {
               return f.kind == FrameKind::arith;
           });
}

std::optional<Context> Lexer::context(std::size_t hole) {
    const Frame& f = m_stack.back();
    // A value inside ${…}, even inside quotes there, is expanded by rules that
    // differ between shells and operators; refuse rather than guess.
    for (auto it = m_stack.rbegin(); it != m_stack.rend(); ++it) {
        if (it->kind == FrameKind::top || it->kind == FrameKind::heredoc) break;
        if (it->kind == FrameKind::param) {
            m_sh.fail(hole,
                      "a value cannot be inserted inside '${...}'; set a variable to it first");
            return std::nullopt;
        }
    }
    switch (f.kind) {
        case FrameKind::top:
            return Context::word;
        case FrameKind::dquote:
            if (f.brace_expanded) {
                m_sh.fail(hole,
                          "bash brace-expands a value in \"...\" inside backquotes inside \"...\"; "
                          "write the inner "
                          "quotes as \\\"...\\\" or use $(...)");
                return std::nullopt;
            }
            return Context::double_quoted;
        case FrameKind::squote:
            return Context::single_quoted;
        case FrameKind::ansi:
            return Context::ansi_c;
        case FrameKind::comment:
            return Context::comment;
        case FrameKind::heredoc:
            return f.doc.quoted ? Context::quoted_heredoc : Context::heredoc;
        case FrameKind::arith:
            return Context::arithmetic;
        case FrameKind::param:
            break;
        case FrameKind::delim:
            m_sh.fail(hole, "a value cannot be a here-document delimiter");
            return std::nullopt;
    }
    return std::nullopt;
}

std::string Lexer::signature() const {
    std::string s;
    for (const auto& f : m_stack) {
        s += std::to_string(static_cast<int>(f.kind)) + ":" + std::to_string(f.paren) + "," +
             std::to_string(f.case_depth) + "," + std::to_string(f.pending.size()) + "," +
             std::to_string(f.depth) + "," + std::to_string(f.braces) + "," +
             std::to_string(f.start_line) + ";";
    }
    return s;
}

}  // namespace weft::expr::shell
