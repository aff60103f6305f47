// Where bash reads a value as code although it is quoted: as arithmetic (an
// operand of `[[ -gt ]]`, an argument of `let`, the value of a `-i`
// variable), as an array subscript (arithmetic for an indexed array), or as a
// variable name that a builtin parses again, subscript included (`declare
// NAME=`, `printf -v`, `read`, `test -v` ...). Text such as `a[$(cmd)]` runs
// `cmd` in any of these places, whatever its quoting (measured with bash
// 5.2). The lexer hands each simple command here as words of pieces; the
// values found in such places must be integers or plain names, checked once
// the whole script is read (an `-i`, `-A` or `-n` may be declared anywhere).
// `((`, `for ((`, `$((` and `$[` are arithmetic frames of the lexer itself.
#include <algorithm>
#include <array>

#include "weft/expr/shell_lexer.hpp"

namespace weft::expr::shell {
namespace {

using Pieces = std::vector<Piece>;

bool name_start(char c) {
    return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool name_char(char c) {
    return name_start(c) || (c >= '0' && c <= '9');
}
bool is_name(std::string_view s) {
    return !s.empty() && name_start(s[0]) && std::all_of(s.begin(), s.end(), name_char);
}
// A key of an associative array that no expansion can touch.
bool is_plain_key(std::string_view s) {
    return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) {
        return name_char(c) || static_cast<unsigned char>(c) >= 0x80 ||
               std::string_view("._:/@%+,-").find(c) != std::string_view::npos;
    });
}

bool is_literal(const Piece& p, char c) {
    return p.kind == Piece::Kind::literal && p.c == c;
}

std::optional<std::string> text_of(const Pieces& ps, std::size_t from, std::size_t to) {
    std::string out;
    for (std::size_t i = from; i < to && i < ps.size(); ++i) {
        if (ps[i].kind != Piece::Kind::literal) return std::nullopt;
        out += ps[i].c;
    }
    return out;
}

// The first `=` outside [ ], or npos.
std::size_t equals_at(const Pieces& ps) {
    int depth = 0;
    for (std::size_t i = 0; i < ps.size(); ++i) {
        if (is_literal(ps[i], '[')) ++depth;
        if (is_literal(ps[i], ']') && depth > 0) --depth;
        if (is_literal(ps[i], '=') && depth == 0) return i;
    }
    return std::string_view::npos;
}

class Analyzer {
  public:
    explicit Analyzer(Shared& sh) : m_sh(sh) {}

    void command(const std::vector<Word>& all);

  private:
    // Every value in ps[from, to) must be `need` (or as `of` decides).
    void require(const Pieces& ps, std::size_t from, std::size_t to, Check check) {
        for (std::size_t i = from; i < to && i < ps.size(); ++i)
            if (ps[i].kind == Piece::Kind::hole) {
                check.hole = ps[i].hole;
                m_sh.checks.push_back(check);
            }
    }
    void require_all(const Word& w, Need need, const std::string& where) {
        require(w.pieces, 0, w.pieces.size(), {0, need, Check::Of::none, {}, where});
    }
    // NAME or NAME[SUBSCRIPT] in ps[from, to): a name a builtin parses.
    // Returns NAME when it is literal.
    std::string name_word(const Pieces& ps, std::size_t from, std::size_t to,
                          const std::string& where);
    void assignment(const Word& w, std::size_t eq, const std::string& flags, bool builtin);
    void declare(const std::vector<Word>& args);
    void read(const std::vector<Word>& args);
    void conditional(const std::vector<Word>& args, bool double_bracket);

    Shared& m_sh;
};

std::string Analyzer::name_word(const Pieces& ps, std::size_t from, std::size_t to,
                                const std::string& where) {
    std::size_t open = from;
    while (open < to && !is_literal(ps[open], '[')) ++open;
    require(ps, from, open, {0, Need::name, Check::Of::none, {}, "the variable name in " + where});
    const std::string name = text_of(ps, from, open).value_or("");
    if (open < to) {
        std::size_t close = to;
        while (close > open && !is_literal(ps[close - 1], ']')) --close;
        require(ps, open + 1, close > open ? close - 1 : to,
                {0, Need::key, Check::Of::subscript_of, name,
                 "the subscript of array '" + name + "' in " + where});
    }
    return name;
}

void Analyzer::assignment(const Word& w, std::size_t eq, const std::string& flags, bool builtin) {
    const Pieces& ps = w.pieces;
    const std::size_t name_end = eq > 0 && is_literal(ps[eq - 1], '+') ? eq - 1 : eq;
    const std::string name = name_word(ps, 0, name_end, builtin ? "'declare NAME='" : "'NAME='");
    if (flags.find('i') != std::string::npos) m_sh.integers.insert(name);
    if (flags.find('A') != std::string::npos) m_sh.assocs.insert(name);
    if (flags.find('n') != std::string::npos) m_sh.namerefs.insert(name);
    if (flags.find_first_of("aA") != std::string::npos || !w.elements.empty() ||
        (name_end > 0 && is_literal(ps[name_end - 1], ']')))
        m_sh.arrays.insert(name);
    // The value: arithmetic for an -i variable, a name for a nameref.
    Check value{0, Need::any, Check::Of::value_of, name, "the value of variable '" + name + "'"};
    if (flags.find('i') != std::string::npos)
        value = {
            0, Need::integer, Check::Of::none, {}, "the value of integer variable '" + name + "'"};
    if (flags.find('n') != std::string::npos)
        value = {0, Need::name, Check::Of::none, {}, "the value of nameref '" + name + "'"};
    require(ps, eq + 1, ps.size(), value);
    // declare and its kin parse a value that starts with `(` as an array.
    if (builtin && eq + 1 < ps.size()) {
        const Piece& first = ps[eq + 1];
        if (first.kind == Piece::Kind::hole)
            m_sh.checks.push_back({first.hole, Need::no_paren, Check::Of::array_of, name,
                                   "the value of array '" + name + "' in 'declare " + name + "='"});
        if (is_literal(first, '('))
            require(ps, eq + 1, ps.size(),
                    {0,
                     Need::integer,
                     Check::Of::none,
                     {},
                     "an array assignment in quotes, 'declare " + name + "=\"(...)\"'"});
    }
    for (const Word& e : w.elements) {
        const Pieces& es = e.pieces;
        const std::size_t at = equals_at(es);
        if (!es.empty() && is_literal(es[0], '[') && at != std::string_view::npos) {
            std::size_t close = at;
            while (close > 1 && !is_literal(es[close - 1], ']')) --close;
            require(es, 1, close > 1 ? close - 1 : at,
                    {0, Need::key, Check::Of::subscript_of, name,
                     "the subscript of array '" + name + "'"});
            require(es, at + 1, es.size(), value);
        } else {
            require(es, 0, es.size(), value);
        }
    }
}

// declare typeset local export readonly: options, then NAME[=VALUE]...
void Analyzer::declare(const std::vector<Word>& args) {
    std::string flags;
    bool options = true;
    for (const Word& w : args) {
        const auto text = plain_text(w);
        if (options && text && text == "--") {
            options = false;
            continue;
        }
        if (options && text && text->size() > 1 && ((*text)[0] == '-' || (*text)[0] == '+')) {
            if ((*text)[0] == '-') flags += text->substr(1);
            continue;
        }
        options = false;
        const std::size_t eq = equals_at(w.pieces);
        if (eq != std::string_view::npos) {
            assignment(w, eq, flags, true);
        } else if (auto name = text_of(w.pieces, 0, w.pieces.size())) {
            // `declare NAME` alone is safe (bash 5.2); it may declare attributes.
            if (flags.find('i') != std::string::npos) m_sh.integers.insert(*name);
            if (flags.find('A') != std::string::npos) m_sh.assocs.insert(*name);
            if (flags.find('n') != std::string::npos) m_sh.namerefs.insert(*name);
            if (flags.find_first_of("aA") != std::string::npos) m_sh.arrays.insert(*name);
        }
    }
}

// read [-ers] [-a ARRAY] [-d D] [-i T] [-n N] [-N N] [-p P] [-t T] [-u FD] NAME...
void Analyzer::read(const std::vector<Word>& args) {
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto text = plain_text(args[i]);
        if (text && text == "--") {
            ++i;
        } else if (text && text->size() > 1 && (*text)[0] == '-') {
            for (std::size_t k = 1; k < text->size(); ++k) {
                const char opt = (*text)[k];
                if (std::string_view("adinNptu").find(opt) == std::string_view::npos) continue;
                if (k + 1 == text->size() && i + 1 < args.size()) {
                    ++i;
                    if (opt == 'a')
                        name_word(args[i].pieces, 0, args[i].pieces.size(), "'read -a'");
                }
                break;
            }
            continue;
        }
        for (; i < args.size(); ++i) name_word(args[i].pieces, 0, args[i].pieces.size(), "'read'");
    }
}

// [[ ]] (double_bracket) or test / [: -v NAME, and arithmetic comparisons
// (only [[ ]] evaluates their operands: test takes plain numbers).
void Analyzer::conditional(const std::vector<Word>& args, bool double_bracket) {
    static const std::array<const char*, 6> arith{"-eq", "-ne", "-lt", "-le", "-gt", "-ge"};
    for (std::size_t i = 0; i < args.size(); ++i) {
        const auto text = plain_text(args[i]);
        if (!text) continue;
        const std::string where = double_bracket ? "'[[ " + *text + " ]]'" : "'test " + *text + "'";
        if (text == "-v" && i + 1 < args.size())
            name_word(args[i + 1].pieces, 0, args[i + 1].pieces.size(), where);
        if (double_bracket && std::find(arith.begin(), arith.end(), *text) != arith.end() &&
            i > 0 && i + 1 < args.size()) {
            require_all(args[i - 1], Need::integer, "an operand of " + where);
            require_all(args[i + 1], Need::integer, "an operand of " + where);
        }
    }
}

void Analyzer::command(const std::vector<Word>& all) {
    std::vector<Word> words;
    for (const Word& w : all)
        if (!w.redirect) words.push_back(w);
    std::size_t i = 0;
    // NAME=VALUE, NAME[SUB]=VALUE, NAME=( ... ) before the command: bash
    // sees them as assignments only when NAME is literal and unquoted.
    for (; i < words.size(); ++i) {
        const Pieces& ps = words[i].pieces;
        const std::size_t eq = equals_at(ps);
        if (eq == std::string_view::npos || ps.empty() || ps[0].quoted) break;
        std::size_t end = eq > 0 && is_literal(ps[eq - 1], '+') ? eq - 1 : eq;
        for (std::size_t k = 0; k < end; ++k)
            if (is_literal(ps[k], '[')) end = k;
        const auto name = text_of(ps, 0, end);
        if (!name || !is_name(*name) ||
            std::any_of(ps.begin(), ps.begin() + static_cast<std::ptrdiff_t>(end),
                        [](const Piece& p) { return p.quoted; }))
            break;
        assignment(words[i], eq, "", false);
    }
    std::optional<std::string> cmd;
    for (; i < words.size(); ++i) {
        cmd = plain_text(words[i]);
        if (cmd != "builtin" && cmd != "command") break;
    }
    if (!cmd || i >= words.size()) return;
    const std::vector<Word> args(words.begin() + static_cast<std::ptrdiff_t>(i) + 1, words.end());
    if (cmd == "let") {
        for (const Word& w : args) require_all(w, Need::integer, "an argument of 'let'");
    } else if (cmd == "[[") {
        conditional(args, true);
    } else if (cmd == "test" || cmd == "[") {
        conditional(args, false);
    } else if (cmd == "declare" || cmd == "typeset" || cmd == "local" || cmd == "export" ||
               cmd == "readonly") {
        declare(args);
    } else if (cmd == "read") {
        read(args);
    } else if ((cmd == "printf" || cmd == "wait") && !args.empty()) {
        const std::string opt = cmd == "printf" ? "-v" : "-p";
        for (std::size_t k = 0; k + 1 < args.size(); ++k) {
            const auto text = plain_text(args[k]);
            if (!text || text->empty() || (*text)[0] != '-') break;
            if (text == opt) {
                name_word(args[k + 1].pieces, 0, args[k + 1].pieces.size(),
                          "'" + *cmd + " " + opt + "'");
                break;
            }
        }
    } else if (cmd == "unset") {
        std::size_t k = 0;
        for (; k < args.size(); ++k) {
            const auto text = plain_text(args[k]);
            if (!text || text->empty() || (*text)[0] != '-') break;
            if (text->find('f') != std::string::npos) return;  // functions, not variables
        }
        for (; k < args.size(); ++k) name_word(args[k].pieces, 0, args[k].pieces.size(), "'unset'");
    }
}

std::string explain(Need need, const std::string& where) {
    switch (need) {
        case Need::integer:
            return "only an integer can be inserted as " + where +
                   ": bash evaluates it as arithmetic, where text such as 'a[$(cmd)]' runs cmd";
        case Need::name:
            return "only a variable name (letters, digits and '_') can be inserted as " + where +
                   ": bash would evaluate a subscript in it, where text such as 'a[$(cmd)]' "
                   "runs cmd";
        case Need::key:
            return "only an integer (or, for an associative array, a key of letters, digits and "
                   "._:/@%+,-) can be inserted as " +
                   where + ": bash evaluates it, where text such as '$(cmd)' runs cmd";
        case Need::no_paren:
            return "a value starting with '(' cannot be inserted as " + where +
                   ": bash would read it as an array assignment and evaluate its subscripts";
        case Need::any:
            break;
    }
    return {};
}

bool satisfies(Need need, const std::string& v) {
    switch (need) {
        case Need::integer:
            return is_integer(v);
        case Need::name:
            return is_name(v);
        case Need::key:
            return is_integer(v) || is_plain_key(v);
        case Need::no_paren:
            return v.empty() || v[0] != '(';
        case Need::any:
            break;
    }
    return true;
}

}  // namespace

std::optional<std::string> plain_text(const Word& w) {
    return text_of(w.pieces, 0, w.pieces.size());
}

bool opens_compound(const Word& w) {
    const Pieces& ps = w.pieces;
    if (ps.empty() || !is_literal(ps.back(), '=') || ps.back().quoted) return false;
    std::size_t end = ps.size() - 1;
    if (end > 0 && is_literal(ps[end - 1], '+')) --end;
    const auto name = text_of(ps, 0, end);
    return name && is_name(*name) && !ps[0].quoted;
}

bool opens_subscript(const Word& w) {
    const Pieces& ps = w.pieces;
    if (ps.size() < 2 || !is_literal(ps.back(), '[') || ps.back().quoted) return false;
    const auto name = text_of(ps, 0, ps.size() - 1);
    return name && is_name(*name) &&
           std::none_of(ps.begin(), ps.end(), [](const Piece& p) { return p.quoted; });
}

// --- the lexer's side: collecting the words of each simple command ----------

void Lexer::end_command(bool hard) {
    Frame& f = top();
    if (!hard) {
        if (f.compound_paren > 0) return;
        // `[[ ]]` goes on across && || ( ) and newlines.
        if (!f.cmd.empty() && plain_text(f.cmd.front()) == "[[" &&
            (f.cmd.size() == 1 || plain_text(f.cmd.back()) != "]]"))
            return;
    }
    f.redirect_next = false;
    f.compound_paren = 0;
    if (!f.cmd.empty()) m_sh.analyze_command(f.cmd);
    f.cmd.clear();
}

Frame* Lexer::word_frame() {
    const std::size_t n = m_stack.size();
    const FrameKind k = m_stack[n - 1].kind;
    if (k == FrameKind::top) return &m_stack[n - 1];
    const bool quote = k == FrameKind::squote || k == FrameKind::dquote || k == FrameKind::ansi;
    if (quote && n >= 2 && m_stack[n - 2].kind == FrameKind::top) return &m_stack[n - 2];
    return nullptr;
}

void Lexer::record(Piece piece) {
    if (m_src.origin() != 0) return;  // a value's own characters: the hole stands for them
    if (Frame* f = word_frame()) f->cur.pieces.push_back(piece);
}

void Lexer::record_literal(int c, bool quoted) {
    if (c < 0) return;
    record({Piece::Kind::literal, static_cast<char>(c), quoted});
}

void Shared::analyze_command(const std::vector<Word>& words) {
    Analyzer(*this).command(words);
}

void Shared::finish() {
    for (const Check& c : checks) {
        Need need = c.need;
        if (c.of == Check::Of::value_of) {
            if (integers.count(c.name)) need = Need::integer;
            if (namerefs.count(c.name)) need = Need::name;
        } else if (c.of == Check::Of::subscript_of) {
            need = assocs.count(c.name) ? Need::key : Need::integer;
        } else if (c.of == Check::Of::array_of && !arrays.count(c.name) && !assocs.count(c.name)) {
            need = Need::any;
        }
        const auto& v = c.hole < values.size() ? values[c.hole] : std::nullopt;
        if (need == Need::any || !v || satisfies(need, *v)) continue;
        std::string where = c.where;
        if (c.of == Check::Of::value_of && need == Need::integer)
            where = "the value of integer variable '" + c.name + "'";
        if (c.of == Check::Of::value_of && need == Need::name)
            where = "the value of nameref '" + c.name + "'";
        return fail(c.hole, explain(need, where));
    }
}

}  // namespace weft::expr::shell
