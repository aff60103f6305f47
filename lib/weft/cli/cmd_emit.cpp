// weft emit: records from standard input into the running engine (SPEC §9.2).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <optional>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/state.hpp"
#include "weft/engine/owner.hpp"
#include "weft/events/control.hpp"
#include "weft/events/stdin_reader.hpp"
#include "weft/model/json.hpp"
#include "weft/util/out.hpp"

namespace weft::cli {
namespace {

// Records of `fd`, one at a time, reading no byte past the one returned, so
// that whoever reads `fd` next (another `weft emit` on the same descriptor)
// starts at the next record. A pipe is read a byte at a time; a regular file
// a chunk at a time with pread, which leaves the offset alone, and the
// offset set to the record's end before the record is returned: killed at
// any point, emit leaves it at a record's start.
class RecordSource {
  public:
    RecordSource(int fd, bool json, std::size_t max) : m_fd(fd), m_json(json), m_max(max) {
        struct stat st {};
        m_seekable = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode);
        // Where an earlier reader of this descriptor stopped.
        if (m_seekable) m_base = ::lseek(fd, 0, SEEK_CUR);
    }

    // The next record (at most max + 4 bytes of it: the caller cuts it at a
    // character boundary), `truncated` set when it was longer; nullopt at the
    // end of input. Errc::io when reading fails.
    Result<std::optional<std::string>> next(bool& truncated) {
        for (;;) {
            truncated = false;
            m_start = m_base;
            std::string rec;
            auto ended = m_json ? read_json(rec, truncated) : read_line(rec, truncated);
            if (!ended) return ended.error();
            if (m_seekable && ::lseek(m_fd, m_base + static_cast<off_t>(m_pos), SEEK_SET) < 0)
                return make_error(Errc::io, std::string("cannot seek: ") + std::strerror(errno));
            m_base += static_cast<off_t>(m_pos);
            m_buf.clear();
            m_pos = 0;
            if (!rec.empty()) return std::optional<std::string>(std::move(rec));
            if (*ended) return std::optional<std::string>();
            // An empty line is no record (as `weft up` reads stdin).
        }
    }

    // Leave the descriptor at the start of the record next() returned last,
    // for the next reader: the engine refused it or never got it. A pipe
    // cannot be given back (that record is the one in flight).
    void give_back() {
        if (m_seekable) (void)::lseek(m_fd, m_start, SEEK_SET);
    }

  private:
    // The next byte, or -1 at the end of input; Errc::io on a read error.
    Result<int> get() {
        if (m_pos == m_buf.size()) {
            char chunk[16 * 1024];
            ssize_t n;
            do
                n = m_seekable ? ::pread(m_fd, chunk, sizeof chunk,
                                         m_base + static_cast<off_t>(m_buf.size()))
                               : ::read(m_fd, chunk, 1);
            while (n < 0 && errno == EINTR);
            if (n < 0)
                return make_error(
                    Errc::io, std::string("cannot read standard input: ") + std::strerror(errno));
            if (n == 0) return -1;
            m_buf.append(chunk, static_cast<std::size_t>(n));
        }
        return static_cast<unsigned char>(m_buf[m_pos++]);
    }

    void keep(std::string& rec, char c, bool& truncated) const {
        if (rec.size() < m_max + 4)
            rec.push_back(c);
        else
            truncated = true;
    }

    // True when input ended with this record.
    Result<bool> read_line(std::string& rec, bool& truncated) {
        for (;;) {
            auto c = get();
            if (!c) return c.error();
            if (*c == -1 || *c == '\n') {
                if (!rec.empty() && rec.back() == '\r') rec.pop_back();
                return *c == -1;
            }
            keep(rec, static_cast<char>(*c), truncated);
        }
    }

    Result<bool> read_json(std::string& rec, bool& truncated) {
        events::JsonScan scan;
        for (;;) {
            auto c = get();
            if (!c) return c.error();
            if (*c == -1) return true;
            const std::string one(1, static_cast<char>(*c));
            const std::size_t end = scan.advance(one, 0);
            if (scan.kind == events::JsonScan::Kind::none) continue;  // leading whitespace
            // A scalar ends at the whitespace after it; a nested value at its
            // closing character, which belongs to it.
            if (end == std::string::npos || scan.kind == events::JsonScan::Kind::nested)
                keep(rec, static_cast<char>(*c), truncated);
            if (end != std::string::npos) return false;
        }
    }

    int m_fd;
    bool m_json;
    std::size_t m_max;
    bool m_seekable = false;
    off_t m_base = 0;   // the file offset of m_buf[0] (regular files)
    off_t m_start = 0;  // the file offset of the last record's start
    std::string m_buf;
    std::size_t m_pos = 0;
};

// An engine's refusal: exit 2 for the user's mistake, 3 otherwise.
int refused(const nlohmann::json& reply) {
    return fail(reply.value("usage", false) ? Errc::usage : Errc::state,
                "weft emit: " + reply.value("error", std::string("refused")));
}

}  // namespace

int cmd_emit(const Options& o, const Globals& g) {
    auto state = open_state(g);
    if (!state) return fail(state.error());
    const auto eng = engine::running_engine(state->dir);
    if (!eng)
        return fail(Errc::state,
                    "no engine is running on " + state->path + " (start one with 'weft up')");
    const std::string sock = events::control_path(state->dir, eng->token);
    nlohmann::json req{{"op", "emit"}, {"workflows", o.files}};
    // Options::format defaults to "text", which emit does not take: not given.
    if (o.format != "text") req["format"] = o.format;
    // A commit may wait behind a busy disk: generous, as a step may be.
    constexpr Duration k_timeout{60'000};
    // `sent`: false when the request never reached the engine (no socket to
    // connect to), so the record was certainly not recorded.
    auto ask = [&](const nlohmann::json& r, bool* sent = nullptr) -> Result<nlohmann::json> {
        auto reply = events::control_call(sock, r, k_timeout);
        if (sent) *sent = reply || reply.error().message.rfind("cannot connect", 0) != 0;
        if (!reply)
            return make_error(Errc::state, fmt::format("the engine (pid {}) did not answer: {}",
                                                       eng->pid, reply.error().message));
        return reply;
    };
    auto checked = ask(req);
    if (!checked) return fail(checked.error());
    if (!checked->value("ok", false)) return refused(*checked);
    const bool json = checked->value("format", "") == "json";
    req["format"] = json ? "json" : "lines";
    // One record is one request on the control socket: at most what a
    // request can carry is sent, whatever the workflows' max-record (cut
    // further below when escaping would not fit).
    constexpr std::size_t k_max_sent = events::ControlServer::k_max_request;
    const std::size_t max_record = std::min(checked->value("max_record", k_max_sent), k_max_sent);
    RecordSource source(0, json, max_record);
    // Events after this one are this emit's (or a concurrent producer's).
    auto last = state->store.last_event_id();
    if (!last) return fail(last.error());
    model::RowId acked = *last;
    for (;;) {
        bool truncated = false;
        auto rec = source.next(truncated);
        if (!rec) return fail(Errc::state, "weft emit: " + rec.error().message);
        if (!*rec) return k_exit_ok;
        std::string text = std::move(**rec);
        truncated = events::cut_record(text, max_record) || truncated;
        // Escaping can make a record's JSON up to six times its size: cut
        // what would not fit in a request.
        while (model::dump_json(text).size() + 256 > events::ControlServer::k_max_request)
            truncated = events::cut_record(text, text.size() * 3 / 4);
        req["record"] = std::move(text);
        req["truncated"] = truncated;
        bool sent = true;
        auto reply = ask(req, &sent);
        // Refused or never received: not recorded, so a later emit on the
        // same file starts with it. When the answer is lost after the request
        // went out (the engine stopped), the database tells whether it was
        // recorded: given back only if not (none twice).
        if (!reply || !reply->value("ok", false)) {
            bool recorded = false;
            if (!reply && sent) {
                auto found = state->store.has_stdin_event(acked, req["record"].get<std::string>());
                recorded = !found || *found;  // unknown: as if recorded (none twice)
            }
            if (!recorded) source.give_back();
            return reply ? refused(*reply) : fail(reply.error());
        }
        acked = reply->value("event", acked);
        if (reply->contains("skipped"))
            out::message("weft: warning: weft emit: {}; record skipped\n",
                         reply->value("skipped", ""));
        else if (g.verbose)
            out::message("event {}\n", reply->value("event", 0LL));
    }
}

}  // namespace weft::cli
