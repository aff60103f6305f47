// Shell-safe rendering of `run` scripts: a lexer of sh quoting walks the
// script, and at each `${{ }}` the value is escaped for the context the lexer
// is in, spliced into the script, and lexed in turn. The lexer must end up in
// the context it was in before the value: that check turns any escaping
// mistake into an error instead of code execution.
//
// Backquotes are lexed by a child lexer that reads the text through the
// backquote's own escape layer (\\ \` \$, and \" within double quotes);
// a value inside gets the child's escaping, then that layer's.
//
// Where bash and dash disagree on the quoting of some text (measured with bash
// 5.2 and dash 0.5.12: a `'` inside "${…}", a `\"` inside backquotes inside
// a here-document), the lexer records that it is unsure, and every later
// value is an error.
#include <optional>

#include "weft/expr/expr.hpp"
#include "weft/expr/shell_lexer.hpp"

namespace weft::expr {
namespace {

std::string replace_all(std::string_view s, char from, std::string_view to) {
    std::string out;
    for (char c : s) {
        if (c == from)
            out += to;
        else
            out += c;
    }
    return out;
}

std::string backslash_before(std::string_view s, std::string_view specials) {
    std::string out;
    for (char c : s) {
        if (specials.find(c) != std::string_view::npos) out += '\\';
        out += c;
    }
    return out;
}

std::string escape_ansi_c(std::string_view s) {
    static const char* hex = "0123456789abcdef";
    std::string out;
    for (char ch : s) {
        const auto c = static_cast<unsigned char>(ch);
        if (ch == '\\' || ch == '\'') {
            out += '\\';
            out += ch;
        } else if (ch == '\n') {
            out += "\\n";
        } else if (ch == '\t') {
            out += "\\t";
        } else if (ch == '\r') {
            out += "\\r";
        } else if (c < 0x20 || c == 0x7f) {
            // Always two digits: bash reads at most two, so a following hex
            // digit of the value cannot join the escape.
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 0xf];
        } else {
            out += ch;
        }
    }
    return out;
}

}  // namespace

namespace shell {

bool is_integer(std::string_view s) {
    if (!s.empty() && s[0] == '-') s.remove_prefix(1);
    if (s.empty()) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    return true;
}

std::string escape_for(Context ctx, std::string_view value) {
    switch (ctx) {
        case Context::word:
            return "'" + replace_all(value, '\'', "'\\''") + "'";
        case Context::double_quoted:
            return backslash_before(value, "$`\"\\");
        case Context::single_quoted:
            return replace_all(value, '\'', "'\\''");
        case Context::ansi_c:
            return escape_ansi_c(value);
        case Context::heredoc:
            return backslash_before(value, "$`\\");
        case Context::quoted_heredoc:
            return std::string(value);
        case Context::comment: {
            std::string out(value);
            for (auto& c : out)
                if (c == '\n') c = ' ';
            return out;
        }
        case Context::arithmetic:
            return std::string(value);
    }
    return std::string(value);
}

std::string escape_for_backquotes(std::string_view text, bool in_double_quotes) {
    return backslash_before(text, in_double_quotes ? "\\`$\"" : "\\`$");
}

// The script as a stream of characters and holes: template text, with each
// hole replaced by its escaped value when the lexer reaches it.
class Buffer final : public Source {
  public:
    explicit Buffer(const Template& t) {
        for (const auto& part : t.parts) {
            if (part.expr) {
                m_chars.push_back(k_hole);
                m_origin.push_back(static_cast<int>(m_holes.size()));
                m_holes.push_back(&part);
            } else {
                for (char c : part.literal) {
                    m_chars.push_back(static_cast<unsigned char>(c));
                    m_origin.push_back(0);
                }
            }
        }
    }

    int peek(std::size_t k) override {
        return m_pos + k < m_chars.size() ? m_chars[m_pos + k] : k_end;
    }
    void advance() override { ++m_pos; }
    int origin() override {
        return m_pos < m_chars.size() && m_chars[m_pos] != k_hole ? m_origin[m_pos] : 0;
    }
    std::size_t hole() override { return static_cast<std::size_t>(m_origin[m_pos]); }
    void fill(const std::string& text) override {
        const int id = m_origin[m_pos] + 1;
        m_chars.erase(m_chars.begin() + static_cast<std::ptrdiff_t>(m_pos));
        m_origin.erase(m_origin.begin() + static_cast<std::ptrdiff_t>(m_pos));
        std::vector<int> chars;
        for (char c : text) chars.push_back(static_cast<unsigned char>(c));
        m_chars.insert(m_chars.begin() + static_cast<std::ptrdiff_t>(m_pos), chars.begin(),
                       chars.end());
        m_origin.insert(m_origin.begin() + static_cast<std::ptrdiff_t>(m_pos), chars.size(), id);
    }

    const std::vector<const Part*>& holes() const { return m_holes; }
    std::string text() const {
        std::string out;
        for (int c : m_chars)
            if (c >= 0) out += static_cast<char>(c);
        return out;
    }

  private:
    std::vector<int> m_chars;
    std::vector<int> m_origin;  // 0: template; holes: hole index; value chars: hole index + 1
    std::vector<const Part*> m_holes;
    std::size_t m_pos = 0;
};

Result<std::string> Shared::value(std::size_t hole) {
    const Part& part = *holes[hole];
    auto v = value_of(*part.expr);
    if (!v) {
        Error err = v.error();
        if (err.offset != Error::npos) err.offset += part.expr->offset;
        return err;
    }
    return v;
}

void Shared::fail(std::size_t hole, std::string message) {
    if (error) return;
    const std::size_t offset = hole < holes.size() ? holes[hole]->offset : Error::npos;
    error = make_error(Errc::invalid, std::move(message), offset);
}

void Lexer::insert_value() {
    const std::size_t hole = m_src.hole();
    if (!m_sh.uncertain.empty())
        return m_sh.fail(hole, "cannot tell how the shell quotes this point of the script (" +
                                   m_sh.uncertain + "), so no value can be inserted here");
    const auto ctx = context(hole);
    if (!ctx) return;
    auto value = m_sh.value(hole);
    if (!value) {
        m_sh.error = value.error();
        return;
    }
    if (value->find('\0') != std::string::npos)
        return m_sh.fail(hole, "value contains a NUL byte, which a shell script cannot hold");
    if (in_arithmetic() && !is_integer(*value))
        return m_sh.fail(hole, "only an integer can be inserted into an arithmetic expression");
    if (hole < m_sh.values.size()) m_sh.values[hole] = *value;
    const std::string before = signature();
    Frame* word = word_frame();
    // Only before the command name: an argument (unset a[3]) would be a glob.
    const bool bare = *ctx == Context::word && word && word->cmd_start &&
                      opens_subscript(word->cur) && is_integer(*value);
    if (word) word->cur.pieces.push_back({Piece::Kind::hole, 0, false, hole});
    m_src.fill(bare ? *value : escape_for(*ctx, *value));
    ++m_sh.filled;
    // Lex the value as the shell will; it must leave the context unchanged.
    const int id = static_cast<int>(hole) + 1;
    while (!m_sh.error && peek() >= 0 && m_src.origin() == id) step();
    if (!m_sh.error && (signature() != before || !m_sh.uncertain.empty()))
        m_sh.fail(hole, "internal error: the escaped value changed the shell quoting context");
}

}  // namespace shell

Result<std::string> render_shell(const Template& script,
                                 const std::function<Result<std::string>(const Expr&)>& value_of,
                                 ShellDialect dialect) {
    if (!script.has_expressions()) {
        std::string out;
        for (const auto& part : script.parts) out += part.literal;
        return out;
    }
    shell::Buffer buffer(script);
    shell::Shared shared{
        buffer.holes(), value_of, dialect, std::nullopt, {}, 0, {}, {}, {}, {}, {}, {}};
    shell::Lexer lexer(shared, buffer, 0, false, shell::BackquoteMode::none);
    shared.values.resize(buffer.holes().size());
    lexer.run();
    if (!shared.error) shared.finish();
    if (shared.error) return *shared.error;
    return buffer.text();
}

}  // namespace weft::expr
