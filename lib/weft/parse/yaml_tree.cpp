#include "weft/parse/yaml_tree.hpp"
#include "weft/parse/loader.hpp"
#include "weft/parse/source_scan.hpp"

#include <yaml-cpp/depthguard.h>
#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <algorithm>
#include <istream>
#include <optional>
#include <streambuf>

namespace weft::parse {

namespace {

// Reads a string in place (std::istringstream would copy it).
class StringBuf : public std::streambuf {
  public:
    explicit StringBuf(const std::string& s) {
        char* p = const_cast<char*>(s.data());  // read-only: no put area, no putback writes
        setg(p, p, p + s.size());
    }
};

// The mark of byte `offset` of `source`.
YAML::Mark mark_at(const std::string& source, std::size_t offset) {
    const Location l = location_at(source, offset);
    YAML::Mark mark;
    mark.pos = static_cast<int>(offset);
    mark.line = l.line - 1;
    mark.column = l.column - 1;
    return mark;
}

const char* unterminated(char quote) {
    return quote == '"' ? "unterminated double-quoted string" : "unterminated single-quoted string";
}

// Whether 0-based line `line` of `source` is `key: value` (or `- key:
// value`) with an unquoted value that holds `: `, which YAML reads as a
// second key on the line: `run: echo "a: b"`.
bool colon_in_plain_value(const std::string& source, int line) {
    std::size_t at = 0;
    for (int l = 0; l < line; ++l) {
        at = source.find('\n', at);
        if (at == std::string::npos) return false;
        ++at;
    }
    const std::size_t end = std::min(source.find('\n', at), source.size());
    std::string_view text(source.data() + at, end - at);
    const auto sep = text.find(": ");
    if (sep == std::string_view::npos) return false;
    std::string_view value = text.substr(sep + 2);
    value.remove_prefix(std::min(value.find_first_not_of(' '), value.size()));
    if (value.empty() || std::string_view("'\"|>[{&*!#").find(value[0]) != std::string_view::npos)
        return false;
    return value.find(": ") != std::string_view::npos;
}

}  // namespace

// Builds a YamlTree from parser events, as yaml-cpp's NodeBuilder builds its
// graph: a node is created (and its anchor registered) when it starts, so an
// alias names the anchored node itself. It also keeps what explains a syntax
// error afterwards: where the last event was, and the last quoted scalar.
class YamlBuilder : public YAML::EventHandler {
  public:
    YamlBuilder(YamlTree& tree, const std::string& source) : m_tree(tree), m_source(source) {}

    void OnDocumentStart(const YAML::Mark& mark) override {
        seen(mark);
        m_root = YamlTree::k_none;
        m_anchors.assign(1, YamlTree::k_none);  // anchors count from 1 in each document
    }
    void OnDocumentEnd() override { m_tree.m_roots.push_back(m_root); }

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        seen(mark);
        attach(add(mark, anchor, YAML::NodeType::Null, 0));
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        seen(mark);
        const std::uint32_t i = m_anchors.at(anchor);
        // yaml-cpp accepts `&a [*a]`, a node that contains itself: walking it
        // never ends (the loader crashed on it, out of stack). Refuse it.
        for (const Open& o : m_open)
            if (o.item == i)
                throw YAML::ParserException(
                    mark, "an alias inside the node it refers to (a recursive alias)");
        attach(i);
    }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        seen(mark);
        // `!!null` means null only on null's text; on other text it stays a
        // scalar, for check_tags to refuse.
        const bool null =
            tag == "tag:yaml.org,2002:null" && (value.empty() || value == "~" || value == "null" ||
                                                value == "Null" || value == "NULL");
        const std::uint32_t i =
            add(mark, anchor, null ? YAML::NodeType::Null : YAML::NodeType::Scalar, intern(tag));
        if (!null) m_tree.m_items[i].scalar = value;
        attach(i);
        const auto pos = static_cast<std::size_t>(mark.pos);
        if (pos < m_source.size() && (m_source[pos] == '"' || m_source[pos] == '\''))
            m_last_quoted = i;
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value style) override {
        seen(mark);
        open(mark, add(mark, anchor, YAML::NodeType::Sequence, intern(tag)), style);
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value style) override {
        seen(mark);
        open(mark, add(mark, anchor, YAML::NodeType::Map, intern(tag)), style);
    }
    void OnMapEnd() override { close(); }

    // Throw YamlDiagnosis if the last quoted scalar never closes: yaml-cpp
    // 0.7 takes `run: "make` to the end of the file as a string when the file
    // ends in a newline, which silently changes a command (or swallows the
    // rest of the file).
    void check_last_quote() const;
    // Throw YamlDiagnosis when the text explains yaml-cpp's `error` better
    // than its message; return otherwise.
    void explain(const YAML::Exception& error) const;

  private:
    struct Open {
        std::uint32_t item;
        std::size_t start;  // where its children start in m_pending
        bool flow;
    };
    YamlTree& m_tree;
    const std::string& m_source;
    std::uint32_t m_root = YamlTree::k_none;
    std::vector<std::uint32_t> m_anchors;
    std::vector<Open> m_open;  // the open collections
    std::vector<std::uint32_t> m_pending;
    int m_flow_depth = 0;        // open flow collections
    std::size_t m_last_pos = 0;  // where the last event's node starts
    int m_last_flow_depth = 0;   // m_flow_depth before that event
    std::uint32_t m_last_quoted = YamlTree::k_none;

    void seen(const YAML::Mark& mark) {
        m_last_pos = mark.pos < 0 ? 0 : static_cast<std::size_t>(mark.pos);
        m_last_flow_depth = m_flow_depth;
    }

    std::uint32_t intern(const std::string& tag) {
        auto& tags = m_tree.m_tags;
        for (std::size_t i = 0; i < tags.size(); ++i)
            if (tags[i] == tag) return static_cast<std::uint32_t>(i);
        tags.push_back(tag);
        return static_cast<std::uint32_t>(tags.size() - 1);
    }

    std::uint32_t add(const YAML::Mark& mark, YAML::anchor_t anchor, YAML::NodeType::value type,
                      std::uint32_t tag) {
        const auto i = static_cast<std::uint32_t>(m_tree.m_items.size());
        if (i >= k_max_yaml_nodes)
            throw YamlTooLarge(mark,
                               "the file holds more than " + std::to_string(k_max_yaml_nodes) +
                                   " YAML nodes; weft refuses to load it (split the workflow)");
        auto& item = m_tree.m_items.emplace_back();
        item.mark = mark;
        item.type = type;
        item.tag = tag;
        if (anchor != YAML::NullAnchor) {
            if (m_anchors.size() <= anchor) m_anchors.resize(anchor + 1, YamlTree::k_none);
            m_anchors[anchor] = i;
        }
        return i;
    }

    void attach(std::uint32_t i) {
        if (m_open.empty())
            m_root = i;
        else
            m_pending.push_back(i);
    }

    void open(const YAML::Mark& mark, std::uint32_t i, YAML::EmitterStyle::value style) {
        // yaml-cpp's own guard (500 levels of its recursive parser) reports
        // only "bad file" at the end of the line; refuse sooner, at the
        // collection that goes too deep.
        if (m_open.size() >= k_max_yaml_nesting)
            throw YamlTooLarge(mark, "collections nested deeper than " +
                                         std::to_string(k_max_yaml_nesting) +
                                         " levels; weft refuses to load the file");
        const bool flow = style == YAML::EmitterStyle::Flow;
        m_open.push_back({i, m_pending.size(), flow});
        if (flow) ++m_flow_depth;
    }

    // A collection's children are complete: move them into the tree's child
    // array in one run, then add the collection to its parent.
    void close() {
        const auto [i, start, flow] = m_open.back();
        m_open.pop_back();
        if (flow) --m_flow_depth;
        auto& item = m_tree.m_items[i];
        item.first = static_cast<std::uint32_t>(m_tree.m_kids.size());
        item.count = static_cast<std::uint32_t>(m_pending.size() - start);
        m_tree.m_kids.insert(m_tree.m_kids.end(),
                             m_pending.begin() + static_cast<std::ptrdiff_t>(start),
                             m_pending.end());
        m_pending.resize(start);
        attach(i);
    }
};

void YamlBuilder::check_last_quote() const {
    if (m_last_quoted == YamlTree::k_none) return;
    const YAML::Mark mark = m_tree.m_items[m_last_quoted].mark;
    const auto pos = static_cast<std::size_t>(mark.pos);
    if (quote_end(m_source, pos)) return;
    throw YamlDiagnosis(mark, unterminated(m_source[pos]));
}

void YamlBuilder::explain(const YAML::Exception& error) const {
    if (dynamic_cast<const YAML::DeepRecursion*>(&error))
        throw YamlTooLarge(error.mark, "collections nested too deeply for the YAML parser");
    // A quoted scalar that ran to the end of the file makes yaml-cpp fail
    // later, on the collection it left open.
    check_last_quote();
    const auto at = static_cast<std::size_t>(std::max(error.mark.pos, 0));
    if (error.msg == YAML::ErrorMsg::EOF_IN_SCALAR || error.msg == YAML::ErrorMsg::DOC_IN_SCALAR) {
        // yaml-cpp failed inside a quoted scalar (at the end of the file or a
        // `---` line) and says neither which one nor where it opened: find the
        // opening quote, lexing from the last node yaml-cpp did report.
        if (const auto open =
                open_quote_before(m_source, std::min(m_last_pos, at), at, m_last_flow_depth))
            throw YamlDiagnosis(mark_at(m_source, *open), unterminated(m_source[*open]));
        return;
    }
    // YAML indents with spaces only; yaml-cpp says so only sometimes ("illegal
    // tab when looking for indentation"), and otherwise reports what the tab
    // made of the line ("illegal map value"). Flow collections may hold tabs
    // at the start of a line.
    std::optional<std::size_t> tab;
    if (error.msg == YAML::ErrorMsg::TAB_IN_INDENTATION)
        tab = at;
    else if (m_flow_depth == 0 && error.mark.line >= 0)
        tab = indenting_tab(m_source, error.mark.line + 1);
    if (tab)
        throw YamlDiagnosis(mark_at(m_source, *tab),
                            "tab characters cannot indent YAML; use spaces");
    if (error.msg == YAML::ErrorMsg::MAP_VALUE && m_flow_depth == 0 && error.mark.line >= 0 &&
        colon_in_plain_value(m_source, error.mark.line))
        throw YamlDiagnosis(error.mark,
                            "YAML syntax error: illegal map value: the value holds ': ', which "
                            "YAML reads as another key; quote the whole value, or write it as a "
                            "block scalar (`run: |` and the text on the lines below, indented)");
}

YamlTree::YamlTree(const std::string& source) {
    StringBuf buf(source);
    std::istream in(&buf);
    YAML::Parser parser(in);
    YamlBuilder builder(*this, source);
    try {
        read_documents(parser, builder, source);
    } catch (const YamlDiagnosis&) {
        throw;
    } catch (const YAML::Exception& e) {
        builder.explain(e);
        throw;
    }
    builder.check_last_quote();
}

void YamlTree::read_documents(YAML::Parser& parser, YamlBuilder& builder,
                              const std::string& source) {
    while (parser.HandleNextDocument(builder)) {
        // yaml-cpp 0.7 never consumes a stray flow token (`,` `]` `}`) outside
        // a flow collection: it reports an empty document there again and
        // again, forever (yaml-cpp #1040). Two empty documents at one place
        // mean that: report the token instead.
        const std::size_t n = documents();
        if (n >= 2 && root(n - 1).IsNull() && root(n - 2).IsNull()) {
            const YAML::Mark a = root(n - 1).Mark(), b = root(n - 2).Mark();
            if (a.pos == b.pos) {
                const auto pos = static_cast<std::size_t>(a.pos);
                const std::string what =
                    pos < source.size() ? std::string("'") + source[pos] + "'" : "token";
                throw YAML::ParserException(
                    a, "unexpected " + what + " outside a flow collection ([...] or {...})");
            }
        }
        // The loader needs the first document, and to know whether a second
        // exists; a third is read only to catch the loop above.
        if (n >= 3) break;
    }
}

}  // namespace weft::parse
