#pragma once
// A YAML stream as a compact tree of our own, built from yaml-cpp's parser
// events. yaml-cpp's own node graph (a shared_ptr-linked node per value) was
// most of `weft validate`'s time and memory; this tree is a few vectors.
//
// It keeps what the loader reads from yaml-cpp's nodes, with the same
// meaning: the node types (a plain `null` or `~` is a Null node, as yaml-cpp's
// parser reports it), the tags ("?" for plain scalars, "!" for quoted ones),
// the marks, every map pair in file order (duplicate keys included), and
// a scalar tagged `!!null` whose text is null's as a Null node (yaml-cpp's
// parser reports it as a scalar), and
// aliases as the anchored node itself, so that walking the tree expands them
// (the loader bounds that walk). Part of `parse`: yaml-cpp stays in here.
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/node/type.h>

#include <cstdint>
#include <string>
#include <vector>

namespace YAML {
class Parser;
}

namespace weft::parse {

class YamlTree;
class YamlBuilder;

// A problem in the YAML text that weft states in its own words (an
// unterminated quoted string, a tab in an indentation): printed as it is,
// without the "YAML syntax error" prefix of yaml-cpp's messages.
class YamlDiagnosis : public YAML::Exception {
  public:
    using YAML::Exception::Exception;
};

// Thrown while building a tree that passes a size or nesting limit (not a
// syntax error).
class YamlTooLarge : public YamlDiagnosis {
  public:
    using YamlDiagnosis::YamlDiagnosis;
};

// A handle to one node of a YamlTree (which must outlive it). A
// default-constructed YamlNode is Null with no mark, like YAML::Node().
class YamlNode {
  public:
    YamlNode() = default;
    YamlNode(const YamlTree* tree, std::uint32_t index) : m_tree(tree), m_index(index) {}

    YAML::NodeType::value Type() const;
    bool IsNull() const { return Type() == YAML::NodeType::Null; }
    bool IsScalar() const { return Type() == YAML::NodeType::Scalar; }
    bool IsSequence() const { return Type() == YAML::NodeType::Sequence; }
    bool IsMap() const { return Type() == YAML::NodeType::Map; }
    const std::string& Scalar() const;  // empty unless a scalar
    const std::string& Tag() const;
    YAML::Mark Mark() const;
    std::size_t size() const;  // items of a list, pairs of a map, else 0

    class iterator;
    iterator begin() const;
    iterator end() const;

  private:
    const YamlTree* m_tree = nullptr;
    std::uint32_t m_index = 0;
};

// What iterating a node yields, as with yaml-cpp: the item itself for a
// list, `first` (key) and `second` (value) for a map.
struct YamlEntry : YamlNode {
    YamlNode first, second;
};

class YamlNode::iterator {
  public:
    iterator(const YamlTree* tree, const std::uint32_t* at, bool map)
        : m_tree(tree), m_at(at), m_map(map) {}
    YamlEntry operator*() const;
    struct Arrow {
        YamlEntry entry;
        const YamlEntry* operator->() const { return &entry; }
    };
    Arrow operator->() const { return {**this}; }
    iterator& operator++() {
        m_at += m_map ? 2 : 1;
        return *this;
    }
    bool operator==(const iterator& o) const { return m_at == o.m_at; }
    bool operator!=(const iterator& o) const { return m_at != o.m_at; }

  private:
    const YamlTree* m_tree;
    const std::uint32_t* m_at;
    bool m_map;
};

class YamlTree {
  public:
    // Parse every document of `source`. Throws YAML::Exception (with its
    // mark) on a syntax error, as YAML::LoadAll does, or YamlDiagnosis where
    // the text says more than yaml-cpp's message: a tab in an indentation, a
    // quoted string that never closes (which yaml-cpp 0.7 accepts at the end
    // of a file that ends in a newline), collections nested too deeply.
    explicit YamlTree(const std::string& source);

    std::size_t documents() const { return m_roots.size(); }
    // Every node of every document, each once (an alias is not a node), in
    // file order: node(0) to node(nodes() - 1).
    std::size_t nodes() const { return m_items.size(); }
    YamlNode node(std::size_t i) const { return YamlNode(this, static_cast<std::uint32_t>(i)); }
    // The root of document `i`; Null without a mark if it has none.
    YamlNode root(std::size_t i) const {
        return m_roots[i] == k_none ? YamlNode() : YamlNode(this, m_roots[i]);
    }

  private:
    friend class YamlNode;
    friend class YamlBuilder;
    static constexpr std::uint32_t k_none = UINT32_MAX;

    void read_documents(YAML::Parser& parser, YamlBuilder& builder, const std::string& source);

    struct Item {
        YAML::Mark mark;
        std::uint32_t tag = 0;  // index into m_tags
        std::uint32_t first =
            0;  // children: m_kids[first, first + count); a map's are key, value, key, ...
        std::uint32_t count = 0;
        YAML::NodeType::value type = YAML::NodeType::Null;
        std::string scalar;
    };
    std::vector<Item> m_items;
    std::vector<std::uint32_t> m_kids;
    std::vector<std::string> m_tags{""};
    std::vector<std::uint32_t> m_roots;
};

inline YAML::NodeType::value YamlNode::Type() const {
    return m_tree ? m_tree->m_items[m_index].type : YAML::NodeType::Null;
}

inline const std::string& YamlNode::Scalar() const {
    static const std::string k_empty;
    return m_tree ? m_tree->m_items[m_index].scalar : k_empty;
}

inline const std::string& YamlNode::Tag() const {
    static const std::string k_empty;
    return m_tree ? m_tree->m_tags[m_tree->m_items[m_index].tag] : k_empty;
}

inline YAML::Mark YamlNode::Mark() const {
    return m_tree ? m_tree->m_items[m_index].mark : YAML::Mark::null_mark();
}

inline std::size_t YamlNode::size() const {
    if (!m_tree) return 0;
    const auto& item = m_tree->m_items[m_index];
    return item.type == YAML::NodeType::Map ? item.count / 2 : item.count;
}

inline YamlNode::iterator YamlNode::begin() const {
    if (!m_tree) return {nullptr, nullptr, false};
    const auto& item = m_tree->m_items[m_index];
    return {m_tree, m_tree->m_kids.data() + item.first, item.type == YAML::NodeType::Map};
}

inline YamlNode::iterator YamlNode::end() const {
    if (!m_tree) return {nullptr, nullptr, false};
    const auto& item = m_tree->m_items[m_index];
    return {m_tree, m_tree->m_kids.data() + item.first + item.count,
            item.type == YAML::NodeType::Map};
}

inline YamlEntry YamlNode::iterator::operator*() const {
    YamlEntry e;
    if (m_map) {
        e.first = YamlNode(m_tree, m_at[0]);
        e.second = YamlNode(m_tree, m_at[1]);
    } else {
        static_cast<YamlNode&>(e) = YamlNode(m_tree, m_at[0]);
    }
    return e;
}

}  // namespace weft::parse
