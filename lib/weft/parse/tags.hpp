#pragma once
// YAML tags (`!!binary`, `!!python/object:...`, `!local`) in a workflow
// file. weft reads YAML's core schema only (SPEC §9.4): any other tag would
// be read as if it were not there, so that the file means something else to
// weft than to the tool that wrote it.
#include <string>

#include "weft/parse/yaml_tree.hpp"
#include "weft/util/diagnostic.hpp"

namespace weft::parse {

// The tag `tag` as written in YAML: `!!binary` for yaml-cpp's
// "tag:yaml.org,2002:binary", `!local` as it is, `!<...>` for others.
std::string tag_text(const std::string& tag);

// An error, at the node, for each node of `tree` whose tag is not one of the
// core schema's (`!!str !!int !!float !!bool !!null !!map !!seq`), or is one
// that does not fit it: `!!map` on a list, `!!int` on `abc`. Nodes are
// checked once each, in file order, aliases not expanded.
Diagnostics check_tags(const YamlTree& tree);

}  // namespace weft::parse
