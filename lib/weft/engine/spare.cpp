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
// Files a spare directory keeps in place, emptied, for the next run of the
// same steps: no rename for them at either end.
constexpr int k_kept = 8;

std::string slot(const std::string& tmp_dir, char kind, int i) {
    return tmp_dir + "/.spare-" + kind + std::to_string(i);
}

// Where a take starts looking, per kind: past the slots this process found
// empty, back to a slot it gave to. Without it, every take with no spare left
// would try each slot in vain (eight renames for each file a run on a new
// state directory makes). Another process's
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

// `fd` is on a regular file of ours, 0600, with one link (and empty, if
// asked): then its size is in `size`.
bool fit(int fd, bool empty, off_t* size = nullptr) {
    struct stat st {};
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !ours(st, 0600) || st.st_nlink != 1 ||
        (empty && st.st_size != 0))
        return false;
    if (size) *size = st.st_size;
    return true;
}

// Nothing a run wrote outlives it in a spare.
bool emptied(int fd) {
    off_t size = 0;
    return fit(fd, false, &size) && (size == 0 || ::ftruncate(fd, 0) == 0);
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
        if (fd >= 0 && fit(fd, true)) return fd;
        if (fd >= 0) ::close(fd);
        remove_all(path);  // a directory or a link planted in the slot too
        return -1;
    }
    return -1;
}

int take_run_fd(const std::string& path) {
    // Kept in its directory by the run that had it last.
    if (const int fd = ::open(path.c_str(), O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        fd >= 0) {
        if (fit(fd, true)) return fd;
        ::close(fd);
        if (!remove_all(path)) return -1;
    } else if (errno != ENOENT && !remove_all(path)) {
        return -1;
    }
    const auto file = path.rfind('/');
    const auto dir =
        file == std::string::npos || file == 0 ? std::string::npos : path.rfind('/', file - 1);
    return dir == std::string::npos ? -1 : take_file(path.substr(0, dir), path);
}

bool take_run_file(const std::string& path) {
    const int fd = take_run_fd(path);
    if (fd < 0) return false;
    ::close(fd);
    return true;
}

bool take_dir(const std::string& tmp_dir, const std::string& path) {
    for (int& i = hint(tmp_dir, 'd'); i < k_dirs; ++i) {
        // Its times made now, before it takes the run's name, as a new
        // directory's: `weft prune` leaves a run directory younger than a
        // minute alone (its run may not be committed yet), and a spare may
        // be older.
        const std::string from = slot(tmp_dir, 'd', i);
        (void)::utimensat(AT_FDCWD, from.c_str(), nullptr, AT_SYMLINK_NOFOLLOW);
        if (!move(from, path)) {
            if (errno == ENOENT) continue;
            return false;
        }
        ++i;
        struct stat st {};
        if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode) && ours(st, 0700)) return true;
        remove_all(path);
        return false;
    }
    return false;
}

bool give_file(const std::string& tmp_dir, const std::string& path, int fd) {
    if (emptied(fd))
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
    bool rid = true;  // of all but the kept files
    int kept = 0;
    for (const auto& name : names) {
        const std::string path = dir + "/" + name;
        // Only a regular file opens here (a link fails with ELOOP, a
        // directory with EISDIR, a FIFO without a reader with ENXIO).
        const int fd = ::openat(dfd, name.c_str(), O_WRONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) {
            rid = remove_all(path) && rid;
            continue;
        }
        // Emptied and left where it is, for a run of the same steps; the
        // rest to the file slots.
        if (kept < k_kept && emptied(fd))
            ++kept;
        else
            rid = give_file(tmp_dir, path, fd) && rid;
        ::close(fd);
    }
    ::closedir(d);
    // Only a directory rid of all else becomes a spare.
    if (rid)
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
