#pragma once
// Globs (SPEC §1): `*` and `?` match within one path segment, `**` any number
// of whole segments, `[abc]` / `[a-z]` / `[!abc]` a character class, `{a,b}`
// alternatives (which may nest). Paths use `/`; a leading `./` is ignored.
#include <string>
#include <string_view>
#include <vector>

namespace weft {

// True when `path` (relative, `/`-separated) matches `pattern` whole.
bool glob_match(std::string_view pattern, std::string_view path);

// The files (not directories) under the current directory that match
// `pattern`, sorted. A pattern without wildcards names one path, returned if
// it exists. Hidden directories are walked like any other; symbolic links to
// directories are not followed.
std::vector<std::string> glob_files(std::string_view pattern);

// True when `pattern` (or one of its segments) holds a character that makes
// it a glob: `*`, `?`, `[`, or `{`, whose alternatives may not have been
// expanded yet. A literal `{` counts too: a path treated as a glob for
// nothing is only walked, never missed.
bool has_wildcard(std::string_view pattern);

}  // namespace weft
