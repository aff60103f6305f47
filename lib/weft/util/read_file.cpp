#include "weft/util/read_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace weft {
namespace {

Error os_error(int err) {
    return make_error(Errc::io, std::strerror(err));
}

Error too_large(std::uint64_t max_bytes) {
    return make_error(Errc::invalid, "larger than " + std::to_string(max_bytes >> 20) + " MiB");
}

// Closes the descriptor it was given when it goes.
struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) ::close(fd);
    }
};

}  // namespace

Result<std::string> read_fd(int fd, std::uint64_t max_bytes) {
    std::string out;
    char buf[65536];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return os_error(errno);
        if (n == 0) return out;
        if (out.size() + static_cast<std::uint64_t>(n) > max_bytes) return too_large(max_bytes);
        out.append(buf, static_cast<std::size_t>(n));
    }
}

Result<std::string> read_file(const std::string& path, std::uint64_t max_bytes, FileKinds kinds) {
    // For a regular file only, O_NONBLOCK: opening a FIFO would otherwise
    // wait for a writer before the check below could refuse it.
    const int flags = O_RDONLY | O_CLOEXEC | (kinds == FileKinds::regular ? O_NONBLOCK : 0);
    Fd f{::open(path.c_str(), flags)};
    if (f.fd < 0) return os_error(errno);
    struct stat st {};
    if (::fstat(f.fd, &st) != 0) return os_error(errno);
    if (S_ISDIR(st.st_mode)) return os_error(EISDIR);
    if (kinds == FileKinds::regular) {
        if (!S_ISREG(st.st_mode)) return make_error(Errc::io, "not a regular file");
        if (static_cast<std::uint64_t>(st.st_size) > max_bytes) return too_large(max_bytes);
    }
    return read_fd(f.fd, max_bytes);
}

}  // namespace weft
