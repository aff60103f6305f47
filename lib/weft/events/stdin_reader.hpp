#pragma once
// The stdin trigger's reader (SPEC §3 "stdin"): records from fd 0, in order,
// as `lines` (one per non-empty line, without its newline) or `json` (one per
// JSON value; values may span lines). A pipe or terminal is polled by the
// loop; a regular file, which cannot be polled, is read a chunk per loop
// iteration. Records are handed over as they are read: the caller persists
// them, so nothing waits in memory. A record longer than `max_record` bytes
// is cut there (at a UTF-8 character boundary) and handed over marked
// truncated; the rest of it, up to the next newline, is read and dropped,
// so the reader holds at most `max_record` plus one read's bytes.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "weft/events/uv_handle.hpp"
#include "weft/model/workflow.hpp"

namespace weft::events {

class StdinReader {
  public:
    // `record(text, error, truncated)`: error is non-empty (and text the
    // rejected input) for a JSON value that does not parse; a truncated
    // record is not parsed. `eof()` once input has ended.
    using Record = std::function<void(std::string text, std::string error, bool truncated)>;
    StdinReader(uv_loop_t* loop, int fd, model::StdinFormat format, Record record,
                std::function<void()> eof, std::size_t max_record = model::k_stdin_max_record);
    ~StdinReader();
    StdinReader(const StdinReader&) = delete;
    StdinReader& operator=(const StdinReader&) = delete;

  private:
    void read_some();
    void split(bool at_end);
    void split_lines(std::size_t& pos, bool at_end);
    void split_json(std::size_t& pos, bool at_end);
    // Hand over `text` (at most max_record bytes of it) as one record.
    void emit(std::string text, bool json);
    void finish();

    int m_fd;
    model::StdinFormat m_format;
    Record m_record;
    std::function<void()> m_eof;
    std::size_t m_max;
    std::string m_buf;
    bool m_skipping = false;  // dropping the rest of a cut record, to its newline
    UvHandle<uv_poll_t> m_poll;
    UvHandle<uv_idle_t> m_idle;  // regular files
    bool m_done = false;
};

}  // namespace weft::events
