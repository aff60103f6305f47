#include "weft/engine/spare.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <vector>

namespace weft::engine::spare {

namespace {

// Enough for the files of two runs at once and a lock; a miss only costs
// a file created or removed as before.
constexpr int k_files = 8;
constexpr int k_dirs = 4;

std::string slot(const std::string& tmp_dir, char kind, int i) {
    return tmp_dir + "/.spare-" + kind + std::to_string(i);
}

// Where a take starts looking, per kind: past the slots this process found
// empty, back to a slot it gave to. Without it, every take with no spare left
// would try each slot in vain (a `weft up` run takes three). Another process's
// gives are not seen until this one gives too: a missed spare only costs a
// file created as before.
struct Hint {
    std::string tmp_dir;
    int file = 0, dir = 0;
};
Hint g_hint;

int& hint(const std::string& tmp_dir, char kind) {
    if (g_hint.tmp_dir != tmp_dir) g_hint = Hint{tmp_dir};
    return kind == 'f' ? g_hint.file : g_hint.dir;
}

// RENAME_NOREPLACE: a slot or a target that exists is never overwritten, so
// two wefts giving and taking at once each move a different inode.
bool move(const std::string& from, const std::string& to) {
    return ::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0;
}

bool ours(const struct stat& st, mode_t mode) {
    static const uid_t euid = ::geteuid();  // weft never changes it
    return st.st_uid == euid && (st.st_mode & 07777) == mode;
}

// True when nothing is left at `path`.
bool remove_all(const std::string& path) {
    std::error_code ec;  // remove_all removes a link, never what it points to
    std::filesystem::remove_all(path, ec);
    return !ec;
}

bool given(const std::string& tmp_dir, char kind, int i) {
    int& h = hint(tmp_dir, kind);
    h = std::min(h, i);
    return true;
}

}  // namespace

int take_file(const std::string& tmp_dir, const std::string& path) {
    for (int& i = hint(tmp_dir, 'f'); i < k_files; ++i) {
        if (!move(slot(tmp_dir, 'f', i), path)) {
            if (errno == ENOENT) continue;  // taken, or never given
            return -1;                      // `path` exists, or no renameat2 here
        }
        ++i;
        const int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        struct stat st {};
        if (fd >= 0 && ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ours(st, 0600) &&
            st.st_nlink == 1 && st.st_size == 0)
            return fd;
        if (fd >= 0) ::close(fd);
        ::unlink(path.c_str());
        return -1;
    }
    return -1;
}

bool take_run_file(const std::string& path) {
    const auto file = path.rfind('/');
    const auto dir =
        file == std::string::npos || file == 0 ? std::string::npos : path.rfind('/', file - 1);
    if (dir == std::string::npos) return false;
    const int fd = take_file(path.substr(0, dir), path);
    if (fd < 0) return false;
    ::close(fd);
    return true;
}

bool take_dir(const std::string& tmp_dir, const std::string& path) {
    for (int& i = hint(tmp_dir, 'd'); i < k_dirs; ++i) {
        if (!move(slot(tmp_dir, 'd', i), path)) {
            if (errno == ENOENT) continue;
            return false;
        }
        ++i;
        // Its times made now, as a new directory's: `weft prune` leaves a
        // run directory younger than a minute alone (its run may not be
        // committed yet), and a spare may be older.
        struct stat st {};
        if (::utimensat(AT_FDCWD, path.c_str(), nullptr, AT_SYMLINK_NOFOLLOW) == 0 &&
            ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && ours(st, 0700))
            return true;
        remove_all(path);
        return false;
    }
    return false;
}

bool give_file(const std::string& tmp_dir, const std::string& path, int fd) {
    struct stat st {};
    // Emptied before it is a spare: nothing a run wrote outlives it.
    if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ours(st, 0600) && st.st_nlink == 1 &&
        (st.st_size == 0 || ::ftruncate(fd, 0) == 0))
        for (int i = 0; i < k_files; ++i) {
            if (move(path, slot(tmp_dir, 'f', i))) return given(tmp_dir, 'f', i);
            if (errno != EEXIST) break;
        }
    return ::unlink(path.c_str()) == 0 || errno == ENOENT;
}

void give_run_dir(const std::string& tmp_dir, const std::string& dir) {
    if (dir.empty()) return;
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    DIR* d = dfd >= 0 ? ::fdopendir(dfd) : nullptr;
    if (!d) {
        if (dfd >= 0) ::close(dfd);
        remove_all(dir);
        return;
    }
    std::vector<std::string> names;
    while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name != "." && name != "..") names.push_back(name);
    }
    bool emptied = true;
    for (const auto& name : names) {
        const std::string path = dir + "/" + name;
        // Only a regular file opens here (a link fails with ELOOP, a
        // directory with EISDIR, a FIFO without a reader with ENXIO).
        const int fd = ::openat(dfd, name.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            emptied = remove_all(path) && emptied;
            continue;
        }
        emptied = give_file(tmp_dir, path, fd) && emptied;
        ::close(fd);
    }
    ::closedir(d);
    // Only an emptied directory becomes a spare.
    if (emptied)
        for (int i = 0; i < k_dirs; ++i) {
            if (move(dir, slot(tmp_dir, 'd', i))) {
                given(tmp_dir, 'd', i);
                return;
            }
            if (errno != EEXIST) break;
        }
    remove_all(dir);
}

}  // namespace weft::engine::spare
