#include "weft/parse/tags.hpp"

#include <regex>
#include <string_view>

#include "weft/util/strings.hpp"

namespace weft::parse {
namespace {

constexpr std::string_view k_core = "tag:yaml.org,2002:";

// Why the core tag `name` does not fit `node`; empty when it does.
std::string misfit(std::string_view name, const YamlNode& node) {
    const auto type = node.Type();
    const char* shape = type == YAML::NodeType::Map        ? "a map"
                        : type == YAML::NodeType::Sequence ? "a list"
                                                           : nullptr;
    if (name == "map") return type == YAML::NodeType::Map ? "" : shape ? shape : "a scalar";
    if (name == "seq") return type == YAML::NodeType::Sequence ? "" : shape ? shape : "a scalar";
    if (shape) return shape;
    // A valid `!!null` scalar is a Null node (yaml_tree.cpp); `!!str` fits any text.
    if (type == YAML::NodeType::Null || name == "str") return "";
    const std::string& text = node.Scalar();
    static const std::regex k_int("[-+]?[0-9]+");
    static const std::regex k_float("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");
    static const std::regex k_bool("true|True|TRUE|false|False|FALSE");
    const bool fits = name == "int"     ? std::regex_match(text, k_int)
                      : name == "float" ? std::regex_match(text, k_float)
                      : name == "bool"  ? std::regex_match(text, k_bool)
                                        : false;  // null: the text is not null's
    return fits ? "" : "'" + text + "'";
}

}  // namespace

std::string tag_text(const std::string& tag) {
    if (starts_with(tag, k_core)) return "!!" + tag.substr(k_core.size());
    if (starts_with(tag, "!")) return tag;
    return "!<" + tag + ">";
}

Diagnostics check_tags(const YamlTree& tree) {
    Diagnostics out;
    for (std::size_t i = 0; i < tree.nodes(); ++i) {
        const YamlNode node = tree.node(i);
        const std::string& tag = node.Tag();
        // "?" a plain scalar or an untagged collection, "!" a quoted scalar
        // (or the non-specific tag `!`, which means the same), "" a null.
        if (tag.empty() || tag == "?" || tag == "!") continue;
        const YAML::Mark m = node.Mark();
        const Location at{m.line + 1, m.column + 1};
        static const char* const k_names[] = {"str", "int", "float", "bool", "null", "map", "seq"};
        const std::string_view name =
            starts_with(tag, k_core) ? std::string_view(tag).substr(k_core.size()) : "";
        bool core = false;
        for (const char* n : k_names) core = core || name == n;
        if (!core) {
            out.push_back({Severity::error, at,
                           "unsupported YAML tag '" + tag_text(tag) +
                               "': weft reads only the core schema's tags (!!str, !!int, "
                               "!!float, !!bool, !!null, !!map, !!seq)"});
            continue;
        }
        if (const std::string why = misfit(name, node); !why.empty())
            out.push_back({Severity::error, at,
                           "YAML tag '" + tag_text(tag) + "' on " + why + ", which is not " +
                               (name == "int"     ? "an integer"
                                : name == "float" ? "a number"
                                : name == "bool"  ? "true or false"
                                : name == "null"  ? "null"
                                : name == "map"   ? "a map"
                                                  : "a list")});
    }
    return out;
}

}  // namespace weft::parse
