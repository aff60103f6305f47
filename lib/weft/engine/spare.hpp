#pragma once
// Spare inodes: the emptied private files and directories of ended runs,
// kept under fixed names in STATE_DIR/tmp (`.spare-f0`..`.spare-f7`,
// `.spare-d0`..`.spare-d3`) and renamed into place for the next run's
// directory, event file, `$WEFT_OUTPUT` file and a process's lock file,
// instead of created anew. Creating a file was most of what a one-step run
// cost the kernel: ext4 without a journal searches past every inode freed in
// the last half minute for a free one (0.2-0.4 ms per file after a few
// hundred runs). A rename moves a spare in one step, so two wefts never take
// the same one; a spare is checked after it is taken (ours, private, empty)
// and holds nothing: a file is emptied before it is given back.
#include <string>

namespace weft::engine::spare {

// Take a spare file of `tmp_dir` as `path` (which must not exist): an fd
// open for writing on it (empty, 0600, ours), or -1 when none was left or the
// one taken was not fit (then removed). The caller creates the file then.
int take_file(const std::string& tmp_dir, const std::string& path);
// The same for a file of a run's directory, `STATE_DIR/tmp/run-N/NAME`: the
// file the directory kept from its last run (give_run_dir), if it is there
// and fit (else it is removed), or a spare of STATE_DIR/tmp.
int take_run_fd(const std::string& path);
// take_run_fd() with the fd closed: true when a file is at `path` now.
bool take_run_file(const std::string& path);
// Take a spare directory of `tmp_dir` as `path`: true when one is there now
// (0700, ours, holding at most the emptied files of its last run); false
// when none was left or the one taken was not fit (then removed). The caller
// creates the directory then.
bool take_dir(const std::string& tmp_dir, const std::string& path);

// Give the open file `fd`, at `path`, back as a spare of `tmp_dir`, emptied,
// if it is one weft made (a regular file of ours, 0600, one link) and a slot
// is free; else it is removed. The fd stays open (the caller closes it).
// False when it could be neither kept nor removed.
bool give_file(const std::string& tmp_dir, const std::string& path, int fd);
// Empty run directory `dir` of `tmp_dir`: up to eight of its files that
// weft made are emptied and stay in it (take_run_fd finds them), others
// become spares as far as slots are free (give_file), the rest is removed (a
// link is removed, never followed); then the directory itself becomes a
// spare, or is removed with them.
void give_run_dir(const std::string& tmp_dir, const std::string& dir);

}  // namespace weft::engine::spare
