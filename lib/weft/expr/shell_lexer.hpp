#pragma once
// The sh quoting lexer behind render_shell(). Internal to weft::expr.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "weft/expr/expr.hpp"

namespace weft::expr::shell {

// What Source::peek returns besides characters (0..255).
constexpr int k_end = -1;   // end of the script, or the closing backquote for a child
constexpr int k_hole = -2;  // a ${{ }} not expanded yet
constexpr int k_bad = -3;   // a backslash right before a hole, inside backquotes

// Where a value lands, which decides its escaping.
enum class Context {
    word,
    double_quoted,
    single_quoted,
    ansi_c,
    heredoc,
    quoted_heredoc,
    comment,
    arithmetic
};

// `value` escaped for `ctx` so that the shell reads exactly `value` and the
// quoting context is the same after it as before.
std::string escape_for(Context ctx, std::string_view value);

// `text` (already escaped for the inside of the backquotes) escaped for the
// backquote layer around it.
std::string escape_for_backquotes(std::string_view text, bool in_double_quotes);

// A character stream with holes: the script itself, or the inside of a
// backquote substitution seen through its escape layer.
class Source {
  public:
    virtual ~Source() = default;
    virtual int peek(std::size_t k) = 0;
    virtual void advance() = 0;
    // 0 for template text, hole index + 1 for characters of that hole's value.
    virtual int origin() = 0;
    // The hole at peek(0).
    virtual std::size_t hole() = 0;
    // Replace the hole at peek(0) by `text`, escaped for this stream.
    virtual void fill(const std::string& text) = 0;
    // peek(0) is a `"` written without a backslash inside backquotes inside
    // double quotes: bash brace-expands the string it opens.
    virtual bool bare_dquote() { return false; }
};

// One piece of a shell word as the lexer read it: a literal byte (quoted or
// not), a ${{ }} value, or an expansion ($x, $(...), `...`) whose text is
// known only when the script runs.
struct Piece {
    enum class Kind { literal, hole, dynamic };
    Kind kind = Kind::literal;
    char c = 0;
    bool quoted = false;
    std::size_t hole = 0;
};

// A word of a simple command.
struct Word {
    std::vector<Piece> pieces;
    bool redirect = false;       // the target of a redirection, not an argument
    std::vector<Word> elements;  // NAME=( ... ): the words inside the parentheses
};

// An optional '-' and decimal digits: all an arithmetic context may take.
bool is_integer(std::string_view s);

// The text of `w` when it is all literal (no value, no expansion).
std::optional<std::string> plain_text(const Word& w);
// `w` is NAME= or NAME+= (unquoted), so a `(` right after it opens an array.
bool opens_compound(const Word& w);
// `w` is NAME[ (unquoted): before the command name, a value next is an
// assignment's subscript, where bash takes no single quotes (a['3']=x is an
// error), so an integer goes in bare.
bool opens_subscript(const Word& w);

// What a value must be where bash reads it as code (arithmetic) or as a
// variable name whose subscript is arithmetic (shell_command.cpp).
enum class Need { any, integer, name, key, no_paren };

// A check of one value, decided once the whole script is read: whether a
// variable is an integer (-i), associative (-A) or a nameref (-n) may be
// declared anywhere in it.
struct Check {
    enum class Of { none, value_of, subscript_of, array_of };
    std::size_t hole = 0;
    Need need = Need::any;
    // value_of: the attributes of `name` decide; subscript_of: -A or not;
    // array_of: `need` holds only if `name` is an array
    Of of = Of::none;
    std::string name;
    std::string where;  // the construct, for the message
};

// State shared by a lexer and its children.
struct Shared {
    const std::vector<const Part*>& holes;
    const std::function<Result<std::string>(const Expr&)>& value_of;
    ShellDialect dialect;
    std::optional<Error> error;
    std::string uncertain;  // why the lexer may disagree with the shell from here on
    std::size_t filled = 0;
    std::vector<std::optional<std::string>> values{};  // each hole's value once inserted
    std::vector<Check> checks{};
    std::set<std::string> integers{}, assocs{}, namerefs{}, arrays{};

    Result<std::string> value(std::size_t hole);
    void fail(std::size_t hole, std::string message);
    // Record what the values in the simple command `words` must be, and the
    // attributes it declares (shell_command.cpp).
    void analyze_command(const std::vector<Word>& words);
    // Run the recorded checks, once the whole script is read; the first
    // value that fails its check is the error.
    void finish();
};

enum class BackquoteMode { none, plain, double_quoted, heredoc };

enum class FrameKind { top, dquote, squote, ansi, comment, heredoc, arith, param, delim };

struct HereDoc {
    std::string delim;
    bool quoted = false;
    bool strip_tabs = false;
};

struct Frame {
    FrameKind kind = FrameKind::top;
    // top: commands; `cmdsubst` ones end at their `)`
    bool cmdsubst = false;
    int paren = 0;
    int case_depth = 0;
    bool word_start = true;
    bool cmd_start = true;
    bool in_word = false;
    bool word_plain = true;
    std::string word;
    std::vector<HereDoc> pending;
    // dquote: opened by a bare_dquote()
    bool brace_expanded = false;
    // heredoc body: lines from `start_line` on; `carry` joins \-newline lines
    HereDoc doc;
    std::size_t start_line = 0;
    std::string carry;
    bool carry_value = false;
    // arith: `depth` open parentheses ($(( and (( start at 2)
    int depth = 0;
    bool dollar = false;
    bool bracket = false;
    // param: nested braces
    int braces = 0;
    // delim: the word after << being read
    int quote = 0;
    bool started = false;
    // top: the simple command being read, for Shared::analyze_command
    Word cur;
    std::vector<Word> cmd;
    bool redirect_next = false;
    int compound_paren = 0;  // > 0: inside NAME=( ), which closes at this paren level
};

class Lexer {
  public:
    Lexer(Shared& shared, Source& src, int level, bool arith_outside, BackquoteMode mode);

    // Lex until the source ends, filling every hole met on the way.
    void run();
    // Nothing left open: no quotes, substitutions or pending here-documents.
    bool at_base() const;
    void mark_uncertain(const std::string& reason);

    // The stream as this lexer sees it, for the BackquoteSource of a child.
    int raw_peek(std::size_t k) { return m_src.peek(k); }
    void raw_take() { take(); }
    int raw_origin() { return m_src.origin(); }
    std::size_t raw_hole() { return m_src.hole(); }
    void raw_fill(const std::string& text) { m_src.fill(text); }

  private:
    int peek(std::size_t k = 0) { return m_src.peek(k); }
    // Consume one character, tracking lines for here-documents. False when a
    // here-document ended on it and the frames above it are gone.
    bool take();
    void take(int n) {
        for (int i = 0; i < n; ++i) take();
    }
    void end_line();
    void step();
    void step_top();
    void open_paren();
    void close_paren();
    void step_dquote();
    void step_heredoc();
    void step_arith();
    void step_param();
    void step_delim();
    // A `$` in a context where it is special; `ctx` is the frame it is in.
    void dollar(FrameKind ctx);
    void backquote();
    void push(FrameKind kind);
    void open_dquote();
    void word_char(bool plain, int c);
    void end_word();
    // The simple command ends (or a `[[ ]]` or NAME=( ) goes on).
    void end_command(bool hard = false);
    // The top frame whose current word the character at peek(0) belongs to:
    // the top frame itself, or the one below a quote directly in it.
    Frame* word_frame();
    void record(Piece piece);
    void record_literal(int c, bool quoted);
    void record_dynamic() { record({Piece::Kind::dynamic}); }
    void insert_value();
    std::optional<Context> context(std::size_t hole);
    bool in_arithmetic() const;
    std::string signature() const;
    Frame& top() { return m_stack.back(); }

    Shared& m_sh;
    Source& m_src;
    int m_level;
    bool m_arith_outside;
    BackquoteMode m_mode;
    bool m_child_active = false;
    std::vector<Frame> m_stack;
    std::size_t m_truncations = 0;
    // the current raw line
    std::size_t m_line_no = 0;
    std::string m_line;
    bool m_line_value = false;
    bool m_line_all_tabs = true;
    bool m_lead_value_tab = false;
};

}  // namespace weft::expr::shell
