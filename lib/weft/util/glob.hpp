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

}  // namespace weft
