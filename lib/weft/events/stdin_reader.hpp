#pragma once
// The stdin trigger's reader (SPEC §3 "stdin"): records from fd 0, in order,
// as `lines` (one per non-empty line, without its newline) or `json` (one per
// JSON value; values may span lines). A pipe or terminal is polled by the
// loop; a regular file, which cannot be polled, is read a chunk per loop
// iteration. Records are handed over as they are read: the caller persists
// them, so nothing waits in memory. A record longer than `max_record` bytes
// is cut there (at a UTF-8 character boundary) and handed over marked
// truncated; the rest of it is read and dropped: in `lines`, up to the next
// newline; in `json`, up to the end of the cut value (its closing bracket,
// or the end of a scalar), tracked by the scanner's state alone. The reader
// holds at most `max_record` plus one read's bytes. /dev/null is not read:
// no record and no end of input ever come from it.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "weft/events/uv_handle.hpp"
#include "weft/model/workflow.hpp"

namespace weft::events {

// Where a scan of one JSON value stands, so that it can go on in the next
// read: which kind of value, and inside it the bracket depth and whether in
// a string (and after a backslash there). `weft emit` scans with it too.
struct JsonScan {
    enum class Kind { none, scalar, nested } kind = Kind::none;
    int depth = 0;
    bool in_string = false, escaped = false;
    // The end of the value in `s`, scanning on from `from` (leading
    // whitespace skipped while no value has started), or npos when `s`
    // ends first. Scalars end at whitespace; objects, arrays and strings
    // just past their closing character.
    std::size_t advance(const std::string& s, std::size_t from);
};

// Cut `text` to at most `max` bytes at a UTF-8 character boundary; true when
// it was longer.
bool cut_record(std::string& text, std::size_t max);

// Why the JSON record `text` is refused (nested too deep, not valid JSON),
// or empty when it parses.
std::string json_record_error(const std::string& text);

// True when `fd` is /dev/null: an engine started so (as under systemd) has
// no input to read, and its end must not stop it (SPEC §9.2).
bool is_null_input(int fd);

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
    bool m_skipping = false;  // dropping the rest of a cut record
    JsonScan m_cut;           // json: the scan of the cut value, while skipping
    UvHandle<uv_poll_t> m_poll;
    UvHandle<uv_idle_t> m_idle;  // regular files
    bool m_done = false;
};

}  // namespace weft::events
