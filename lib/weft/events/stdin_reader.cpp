#include "weft/events/stdin_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "weft/events/uv_handle.hpp"
#include "weft/util/strings.hpp"

namespace weft::events {

StdinReader::StdinReader(uv_loop_t* loop, int fd, model::StdinFormat format, Record record,
                         std::function<void()> eof, std::size_t max_record)
    : m_fd(fd),
      m_format(format),
      m_record(std::move(record)),
      m_eof(std::move(eof)),
      m_max(std::max<std::size_t>(max_record, 1)) {
    // No input at all (systemd gives /dev/null): never read, never ended.
    if (is_null_input(fd)) return;
    struct stat st {};
    const bool pollable = ::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
                          uv_guess_handle(fd) != UV_FILE;
    if (pollable) {
        // Empty when epoll refuses the fd (another character device): read
        // as a file.
        m_poll = UvHandle<uv_poll_t>::make(uv_poll_init, loop, this, fd);
        if (m_poll) {
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
            uv_poll_start(m_poll.get(), UV_READABLE, [](uv_poll_t* h, int, int) {
                static_cast<StdinReader*>(h->data)->read_some();
            });
            return;
        }
    }
    m_idle = UvHandle<uv_idle_t>::make(uv_idle_init, loop, this);
    uv_idle_start(m_idle.get(),
                  [](uv_idle_t* h) { static_cast<StdinReader*>(h->data)->read_some(); });
}

StdinReader::~StdinReader() = default;

std::size_t JsonScan::advance(const std::string& s, std::size_t i) {
    if (kind == Kind::none) {
        i = s.find_first_not_of(" \t\r\n", i);
        if (i == std::string::npos) return std::string::npos;
        const char first = s[i];
        kind = first == '{' || first == '[' || first == '"' ? Kind::nested : Kind::scalar;
    }
    if (kind == Kind::scalar) return s.find_first_of(" \t\r\n", i);
    for (; i < s.size(); ++i) {
        const char c = s[i];
        if (in_string) {
            if (escaped)
                escaped = false;
            else if (c == '\\')
                escaped = true;
            else if (c == '"') {
                in_string = false;
                if (depth == 0) return i + 1;
            }
        } else if (c == '"')
            in_string = true;
        else if (c == '{' || c == '[')
            ++depth;
        else if ((c == '}' || c == ']') && --depth == 0)
            return i + 1;
    }
    return std::string::npos;
}

void StdinReader::read_some() {
    if (m_done) return;
    char chunk[64 * 1024];
    // A bounded amount per wake-up, so the loop stays responsive.
    for (int i = 0; i < 4; ++i) {
        const ssize_t n = ::read(m_fd, chunk, sizeof chunk);
        if (n > 0) {
            m_buf.append(chunk, static_cast<std::size_t>(n));
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) break;
        split(true);  // end of input (or an error, which ends it too)
        finish();
        return;
    }
    split(false);
}

void StdinReader::split(bool at_end) {
    if (m_skipping) {  // the rest of a cut record goes, never kept
        std::size_t end;
        if (m_format == model::StdinFormat::lines) {
            end = m_buf.find('\n');
            if (end != std::string::npos) ++end;
        } else {
            // A JSON value may span lines: its newline is not its end.
            end = m_cut.advance(m_buf, 0);
        }
        if (end == std::string::npos) {
            m_buf.clear();
            return;
        }
        m_buf.erase(0, end);
        m_skipping = false;
    }
    std::size_t pos = 0;
    if (m_format == model::StdinFormat::lines)
        split_lines(pos, at_end);
    else
        split_json(pos, at_end);
    m_buf.erase(0, pos);
}

void StdinReader::split_lines(std::size_t& pos, bool at_end) {
    for (std::size_t nl; (nl = m_buf.find('\n', pos)) != std::string::npos; pos = nl + 1) {
        std::string line = m_buf.substr(pos, nl - pos);
        if (!line.empty() && line.back() == '\r') line.pop_back();
        if (!line.empty()) emit(std::move(line), false);
    }
    if (pos == m_buf.size()) return;
    if (at_end || m_buf.size() - pos > m_max) {
        // The last line without its newline, or a line already too long:
        // what is past the bound is not kept while the line goes on.
        std::string line = m_buf.substr(pos);
        if (!line.empty() && line.back() == '\r' && at_end) line.pop_back();
        m_skipping = !at_end;
        if (!line.empty()) emit(std::move(line), false);
        pos = m_buf.size();
    }
}

void StdinReader::split_json(std::size_t& pos, bool at_end) {
    for (;;) {
        const std::size_t start = m_buf.find_first_not_of(" \t\r\n", pos);
        if (start == std::string::npos) {
            pos = m_buf.size();
            return;
        }
        JsonScan scan;
        std::size_t end = scan.advance(m_buf, start);
        if (end == std::string::npos && at_end) end = m_buf.size();
        if (end == std::string::npos) {
            if (m_buf.size() - start <= m_max) return;  // more to come
            // A value already too long: cut, and the rest of it dropped as
            // it comes, the scan going on from where it stands.
            emit(m_buf.substr(start), true);
            m_skipping = true;
            m_cut = scan;
            pos = m_buf.size();
            return;
        }
        emit(m_buf.substr(start, end - start), true);
        pos = end;
    }
}

bool cut_record(std::string& text, std::size_t max) {
    if (text.size() <= max) return false;
    // At a character boundary: a UTF-8 sequence is never split.
    std::size_t n = max;
    while (n > 0 && max - n < 3 && utf8_continuation(text[n])) --n;
    text.resize(n > 0 ? n : max);
    return true;
}

std::string json_record_error(const std::string& text) {
    if (json_nesting(text) > k_max_json_nesting)
        return "JSON nested deeper than " + std::to_string(k_max_json_nesting) + " levels";
    return nlohmann::json::accept(text) ? "" : "not valid JSON";
}

bool is_null_input(int fd) {
    struct stat st {
    }, null{};
    return ::fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && ::stat("/dev/null", &null) == 0 &&
           st.st_rdev == null.st_rdev;
}

void StdinReader::emit(std::string text, bool json) {
    if (cut_record(text, m_max)) return m_record(std::move(text), {}, true);
    if (!json) return m_record(std::move(text), {}, false);
    std::string err = json_record_error(text);
    m_record(std::move(text), std::move(err), false);
}

void StdinReader::finish() {
    m_done = true;
    m_poll.reset();
    m_idle.reset();
    if (m_eof) m_eof();
}

}  // namespace weft::events
