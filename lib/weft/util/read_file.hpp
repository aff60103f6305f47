#pragma once
// Reading a whole file the user named (a workflow, a --secrets or --event
// file, a `-p KEY=@FILE` value), bounded: /dev/zero or a FIFO nobody closes
// must not be read forever, nor a huge file into memory.
#include <cstdint>
#include <string>

#include "weft/util/result.hpp"

namespace weft {

// What may be read: a regular file only, or also a pipe, FIFO or device
// (`-p KEY=@<(pass show token)`), read until its end. A directory never.
enum class FileKinds { regular, any };

// The content of `path`, at most `max_bytes`. Fails with Errc::io and the
// reason alone (the OS's text: "No such file or directory", "Is a
// directory", "Permission denied"; or "not a regular file"), or with
// Errc::invalid and "larger than N MiB" (N = max_bytes in MiB, rounded
// down) when it holds more; the caller names the file.
Result<std::string> read_file(const std::string& path, std::uint64_t max_bytes,
                              FileKinds kinds = FileKinds::regular);

// `fd` (an open descriptor, such as standard input) read to its end, at most
// `max_bytes`; fails as read_file does. `fd` stays open.
Result<std::string> read_fd(int fd, std::uint64_t max_bytes);

}  // namespace weft
