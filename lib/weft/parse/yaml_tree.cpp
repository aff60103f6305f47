#include "weft/parse/yaml_tree.hpp"
#include "weft/parse/loader.hpp"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/parser.h>

#include <istream>
#include <streambuf>

namespace weft::parse {

namespace {

// Reads a string in place (std::istringstream would copy it).
class StringBuf : public std::streambuf {
public:
    explicit StringBuf(const std::string& s) {
        char* p = const_cast<char*>(s.data()); // read-only: no put area, no putback writes
        setg(p, p, p + s.size());
    }
};

} // namespace

// Builds a YamlTree from parser events, as yaml-cpp's NodeBuilder builds its
// graph: a node is created (and its anchor registered) when it starts, so an
// alias names the anchored node itself.
class YamlBuilder : public YAML::EventHandler {
public:
    explicit YamlBuilder(YamlTree& tree) : m_tree(tree) {}

    void OnDocumentStart(const YAML::Mark&) override {
        m_root = YamlTree::k_none;
        m_anchors.assign(1, YamlTree::k_none); // anchors count from 1 in each document
    }
    void OnDocumentEnd() override { m_tree.m_roots.push_back(m_root); }

    void OnNull(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        attach(add(mark, anchor, YAML::NodeType::Null, 0));
    }
    void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
        const std::uint32_t i = m_anchors.at(anchor);
        // yaml-cpp accepts `&a [*a]`, a node that contains itself: walking it
        // never ends (the loader crashed on it, out of stack). Refuse it.
        for (const auto& [open, start] : m_open)
            if (open == i) throw YAML::ParserException(mark, "an alias inside the node it refers to (a recursive alias)");
        attach(i);
    }
    void OnScalar(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                  const std::string& value) override {
        const std::uint32_t i = add(mark, anchor, YAML::NodeType::Scalar, intern(tag));
        m_tree.m_items[i].scalar = value;
        attach(i);
    }
    void OnSequenceStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                         YAML::EmitterStyle::value) override {
        open(add(mark, anchor, YAML::NodeType::Sequence, intern(tag)));
    }
    void OnSequenceEnd() override { close(); }
    void OnMapStart(const YAML::Mark& mark, const std::string& tag, YAML::anchor_t anchor,
                    YAML::EmitterStyle::value) override {
        open(add(mark, anchor, YAML::NodeType::Map, intern(tag)));
    }
    void OnMapEnd() override { close(); }

private:
    YamlTree& m_tree;
    std::uint32_t m_root = YamlTree::k_none;
    std::vector<std::uint32_t> m_anchors;
    // The open collections, each with where its children start in m_pending.
    std::vector<std::pair<std::uint32_t, std::size_t>> m_open;
    std::vector<std::uint32_t> m_pending;

    std::uint32_t intern(const std::string& tag) {
        auto& tags = m_tree.m_tags;
        for (std::size_t i = 0; i < tags.size(); ++i)
            if (tags[i] == tag) return static_cast<std::uint32_t>(i);
        tags.push_back(tag);
        return static_cast<std::uint32_t>(tags.size() - 1);
    }

    std::uint32_t add(const YAML::Mark& mark, YAML::anchor_t anchor, YAML::NodeType::value type, std::uint32_t tag) {
        const auto i = static_cast<std::uint32_t>(m_tree.m_items.size());
        if (i >= k_max_yaml_nodes)
            throw YamlTooLarge(mark, "the file holds more than " + std::to_string(k_max_yaml_nodes) +
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
        if (m_open.empty()) m_root = i;
        else m_pending.push_back(i);
    }

    void open(std::uint32_t i) { m_open.emplace_back(i, m_pending.size()); }

    // A collection's children are complete: move them into the tree's child
    // array in one run, then add the collection to its parent.
    void close() {
        const auto [i, start] = m_open.back();
        m_open.pop_back();
        auto& item = m_tree.m_items[i];
        item.first = static_cast<std::uint32_t>(m_tree.m_kids.size());
        item.count = static_cast<std::uint32_t>(m_pending.size() - start);
        m_tree.m_kids.insert(m_tree.m_kids.end(), m_pending.begin() + static_cast<std::ptrdiff_t>(start),
                             m_pending.end());
        m_pending.resize(start);
        attach(i);
    }
};

YamlTree::YamlTree(const std::string& source) {
    StringBuf buf(source);
    std::istream in(&buf);
    YAML::Parser parser(in);
    YamlBuilder builder(*this);
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
                const std::string what = pos < source.size() ? std::string("'") + source[pos] + "'" : "token";
                throw YAML::ParserException(a, "unexpected " + what + " outside a flow collection ([...] or {...})");
            }
        }
        // The loader needs the first document, and to know whether a second
        // exists; a third is read only to catch the loop above.
        if (n >= 3) break;
    }
}

} // namespace weft::parse
