#include "weft/util/fs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstring>

namespace weft {
namespace {

Error os_error(std::string what, const std::string& path) {
    return make_error(Errc::io, std::move(what) + " " + path + ": " + std::strerror(errno));
}

std::string octal(mode_t mode) {
    return fmt::format("{:04o}", static_cast<unsigned>(mode & 07777));
}

}  // namespace

Result<void> write_private_file(const std::string& path, std::string_view content) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) return os_error("cannot replace", path);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) return os_error("cannot create", path);
    std::size_t done = 0;
    while (done < content.size()) {
        const ssize_t n = ::write(fd, content.data() + done, content.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            auto err = os_error("cannot write", path);
            ::close(fd);
            return err;
        }
        done += static_cast<std::size_t>(n);
    }
    if (::close(fd) != 0) return os_error("cannot write", path);
    return {};
}

Result<void> check_private_dir(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) return os_error("cannot examine", path);
    if (S_ISLNK(st.st_mode))
        return make_error(Errc::state, path +
                                           " is a symbolic link; weft follows none in its state "
                                           "directory: remove the link");
    if (!S_ISDIR(st.st_mode)) return make_error(Errc::state, path + " is not a directory");
    if (st.st_uid != ::geteuid())
        return make_error(Errc::state, path + " is owned by uid " + std::to_string(st.st_uid) +
                                           ", not by this user (uid " +
                                           std::to_string(::geteuid()) +
                                           "); another user could plant files in it: remove it "
                                           "or choose another --state");
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return make_error(Errc::state, path + " is writable by " +
                                           ((st.st_mode & S_IWOTH) ? "others" : "its group") +
                                           " (mode " + octal(st.st_mode) +
                                           "); another user could plant files in it: run "
                                           "chmod go-w " +
                                           path);
    return {};
}

Result<void> make_private_dir(const std::string& path) {
    if (::mkdir(path.c_str(), 0700) != 0 && errno != EEXIST) return os_error("cannot create", path);
    return check_private_dir(path);
}

}  // namespace weft
