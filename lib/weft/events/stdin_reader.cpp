#include "weft/events/stdin_reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "weft/events/uv_handle.hpp"
#include "weft/util/strings.hpp"

namespace weft::events {
namespace {

// The end of the first complete JSON value in `s` from `from` (past leading
// whitespace), or npos when it is not complete yet. Scalars end at
// whitespace; objects, arrays and strings at their closing character.
std::size_t json_value_end(const std::string& s, std::size_t from, bool at_end) {
    std::size_t i = s.find_first_not_of(" \t\r\n", from);
    if (i == std::string::npos) return std::string::npos;
    const char first = s[i];
    if (first != '{' && first != '[' && first != '"') {
        const std::size_t e = s.find_first_of(" \t\r\n", i);
        return e == std::string::npos ? (at_end ? s.size() : std::string::npos) : e;
    }
    int depth = 0;
    bool in_string = false, escaped = false;
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
    return at_end ? s.size() : std::string::npos;
}

}  // namespace

StdinReader::StdinReader(uv_loop_t* loop, int fd, model::StdinFormat format, Record record,
                         std::function<void()> eof)
    : m_fd(fd), m_format(format), m_record(std::move(record)), m_eof(std::move(eof)) {
    struct stat st {};
    const bool pollable = ::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode) && !S_ISDIR(st.st_mode) &&
                          uv_guess_handle(fd) != UV_FILE;
    if (pollable) {
        // Empty when epoll refuses the fd (e.g. /dev/null): read as a file.
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
    std::size_t pos = 0;
    if (m_format == model::StdinFormat::lines) {
        for (std::size_t nl; (nl = m_buf.find('\n', pos)) != std::string::npos; pos = nl + 1) {
            std::string line = m_buf.substr(pos, nl - pos);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (!line.empty()) m_record(std::move(line), {});
        }
        if (at_end && pos < m_buf.size()) {
            std::string line = m_buf.substr(pos);
            if (!line.empty() && line.back() == '\r') line.pop_back();
            if (!line.empty()) m_record(std::move(line), {});
            pos = m_buf.size();
        }
    } else {
        for (std::size_t end; (end = json_value_end(m_buf, pos, at_end)) != std::string::npos;
             pos = end) {
            const std::size_t start = m_buf.find_first_not_of(" \t\r\n", pos);
            std::string text = m_buf.substr(start, end - start);
            if (json_nesting(text) > k_max_json_nesting) {
                m_record(std::move(text), "JSON nested deeper than " +
                                              std::to_string(k_max_json_nesting) + " levels");
                continue;
            }
            auto v = nlohmann::json::parse(text, nullptr, false);
            m_record(std::move(text), v.is_discarded() ? "not valid JSON" : "");
        }
        if (m_buf.find_first_not_of(" \t\r\n", pos) == std::string::npos) pos = m_buf.size();
    }
    m_buf.erase(0, pos);
}

void StdinReader::finish() {
    m_done = true;
    m_poll.reset();
    m_idle.reset();
    if (m_eof) m_eof();
}

}  // namespace weft::events
