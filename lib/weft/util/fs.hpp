#pragma once
// Files and directories weft keeps in its state directory (SPEC §9.4): never
// reached through a symbolic link, private to the user (files 0600,
// directories 0700).
#include <string>
#include <string_view>

#include "weft/util/result.hpp"

namespace weft {

// Create `path` afresh holding `content`, mode 0600: whatever is at `path`
// (a file, or a symbolic link, which is removed, not followed) is replaced,
// and the file is opened with O_CREAT | O_EXCL | O_NOFOLLOW, so a link
// planted between the two steps makes it fail rather than write elsewhere.
// Fails with Errc::io naming the path and the OS error.
Result<void> write_private_file(const std::string& path, std::string_view content);

// `path` may hold weft's files: a directory (not a symbolic link to one),
// owned by the effective user, not writable by group or others. Fails with
// Errc::state saying which of these does not hold and how to fix it, or
// Errc::io when it cannot be examined.
Result<void> check_private_dir(const std::string& path);

// Create the directory `path` with mode 0700 unless it exists, then
// check_private_dir() it.
Result<void> make_private_dir(const std::string& path);

}  // namespace weft
