#include "weft/events/control.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <exception>

#include "weft/util/strings.hpp"

namespace weft::events {

namespace {

using Json = nlohmann::json;

std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// A sockaddr_un for `path`. sun_path holds 107 bytes; a longer path is
// reached through its directory's descriptor (/proc/self/fd/N/NAME), which
// the kernel resolves like the real path. `dir_fd` is set when one was opened.
Result<sockaddr_un> address_of(const std::string& path, int& dir_fd) {
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::string target = path;
    dir_fd = -1;
    if (target.size() >= sizeof addr.sun_path) {
        const auto slash = path.rfind('/');
        const std::string dir = slash == std::string::npos ? "." : path.substr(0, slash);
        dir_fd = ::open(dir.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (dir_fd < 0)
            return make_error(Errc::io, "cannot open " + dir + ": " + std::strerror(errno));
        target = "/proc/self/fd/" + std::to_string(dir_fd) + "/" + path.substr(slash + 1);
        if (target.size() >= sizeof addr.sun_path) {
            ::close(dir_fd);
            dir_fd = -1;
            return make_error(Errc::io, "socket name too long: " + path);
        }
    }
    std::memcpy(addr.sun_path, target.c_str(), target.size() + 1);
    return addr;
}

void close_fd(int& fd) {
    if (fd >= 0) ::close(fd);
    fd = -1;
}

}  // namespace

std::string control_path(const std::string& state_dir, const std::string& token) {
    return state_dir + "/locks/" + token + ".sock";
}

struct ControlServer::Client {
    ControlServer* server = nullptr;
    int fd = -1;
    UvHandle<uv_poll_t> poll;
    UvHandle<uv_timer_t> idle;  // closes a client that says nothing in time
    std::string buf;
};

std::optional<Json> check_field(const Json& request, const std::string& key,
                                const std::string& type, bool required) {
    auto it = request.find(key);
    if (it == request.end()) {
        if (!required) return std::nullopt;
        return Json{{"ok", false}, {"error", "the request has no '" + key + "'"}};
    }
    const bool fits = type == "integer" ? it->is_number_integer() : it->type_name() == type;
    if (fits) return std::nullopt;
    return Json{{"ok", false},
                {"error", "'" + key + "' must be " + (type == "integer" ? "an " : "a ") + type +
                              ", not " + it->type_name()}};
}

Result<std::unique_ptr<ControlServer>> ControlServer::listen(uv_loop_t* loop,
                                                             const std::string& path,
                                                             Handler handler) {
    std::unique_ptr<ControlServer> s(new ControlServer);
    s->m_loop = loop;
    s->m_path = path;
    s->m_handler = std::move(handler);
    int dir_fd = -1;
    auto addr = address_of(path, dir_fd);
    if (!addr) return addr.error();
    s->m_fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->m_fd < 0) {
        close_fd(dir_fd);
        return make_error(Errc::io, std::string("cannot create a socket: ") + std::strerror(errno));
    }
    ::unlink(addr->sun_path);  // a stale socket of a dead process with our token
    // Owner-only: the directory is 0700 already; the socket is made 0600 too.
    const mode_t old = ::umask(0177);
    const int rc = ::bind(s->m_fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
    const int err = errno;
    ::umask(old);
    close_fd(dir_fd);
    if (rc != 0 || ::listen(s->m_fd, 16) != 0)
        return make_error(Errc::io,
                          "cannot listen on " + path + ": " + std::strerror(rc != 0 ? err : errno));
    s->m_poll = UvHandle<uv_poll_t>::make(uv_poll_init, loop, s.get(), s->m_fd);
    if (!s->m_poll) return make_error(Errc::io, "cannot listen on " + path + ": cannot poll it");
    uv_poll_start(s->m_poll.get(), UV_READABLE, [](uv_poll_t* h, int, int) {
        static_cast<ControlServer*>(h->data)->accept_clients();
    });
    uv_unref(s->m_poll.base());
    return s;
}

ControlServer::~ControlServer() {
    // A client that connected and never wrote must not keep the loop alive.
    while (!m_clients.empty()) close_client(*m_clients.begin());
    if (m_poll) uv_poll_stop(m_poll.get());
    m_poll.reset();
    m_pause.reset();
    close_fd(m_fd);
    ::unlink(m_path.c_str());
}

void ControlServer::accept_clients() {
    for (;;) {
        int fd = ::accept4(m_fd, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0 && (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM)) {
            // The connection stays in the backlog, so the socket stays
            // readable: stop polling it for a moment rather than spin.
            uv_poll_stop(m_poll.get());
            if (!m_pause) {
                m_pause = UvHandle<uv_timer_t>::make(uv_timer_init, m_loop, this);
                if (!m_pause) return;
                uv_unref(m_pause.base());
            }
            uv_timer_start(
                m_pause.get(),
                [](uv_timer_t* h) {
                    auto* self = static_cast<ControlServer*>(h->data);
                    uv_poll_start(self->m_poll.get(), UV_READABLE, [](uv_poll_t* p, int, int) {
                        static_cast<ControlServer*>(p->data)->accept_clients();
                    });
                },
                k_accept_pause_ms, 0);
            return;
        }
        if (fd < 0) return;  // EAGAIN, or a client that went away
        if (m_clients.size() >= k_max_clients) {
            close_fd(fd);  // enough are waiting already
            continue;
        }
        auto poll = UvHandle<uv_poll_t>::make(uv_poll_init, m_loop, nullptr, fd);
        auto idle = UvHandle<uv_timer_t>::make(uv_timer_init, m_loop, nullptr);
        if (!poll || !idle) {
            close_fd(fd);
            continue;
        }
        auto* client = new Client{this, fd, std::move(poll), std::move(idle), {}};
        m_clients.insert(client);
        client->poll->data = client;
        client->idle->data = client;
        // A client never keeps the engine's loop alive.
        uv_unref(client->poll.base());
        uv_unref(client->idle.base());
        uv_poll_start(client->poll.get(), UV_READABLE, [](uv_poll_t* h, int status, int) {
            auto* c = static_cast<Client*>(h->data);
            c->server->on_readable(c, status);
        });
        uv_timer_start(
            client->idle.get(),
            [](uv_timer_t* h) {
                auto* c = static_cast<Client*>(h->data);
                c->server->close_client(c);
            },
            k_idle_ms, 0);
    }
}

void ControlServer::on_readable(Client* c, int status) {
    char chunk[4096];
    ssize_t n = 0;
    while (status == 0 && c->buf.size() < k_max_request &&
           (n = ::read(c->fd, chunk, sizeof chunk)) > 0)
        c->buf.append(chunk, static_cast<std::size_t>(n));
    const auto nl = c->buf.find('\n');
    const bool ended = status != 0 || n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR);
    if (nl == std::string::npos && !ended && c->buf.size() < k_max_request) return;  // more to come
    const Json reply = nl == std::string::npos
                           ? Json{{"ok", false}, {"error", "expected one JSON object on one line"}}
                           : reply_to(c->buf.substr(0, nl));
    // One short answer into an empty socket buffer: it fits, or the
    // client is gone and the answer does not matter.
    const std::string out = dump(reply) + "\n";
    [[maybe_unused]] auto w = ::send(c->fd, out.data(), out.size(), MSG_NOSIGNAL);
    close_client(c);
}

Json ControlServer::reply_to(const std::string& line) const {
    if (json_nesting(line) > k_max_json_nesting)
        return {{"ok", false},
                {"error", "the request is nested deeper than " +
                              std::to_string(k_max_json_nesting) + " levels"}};
    auto request = Json::parse(line, nullptr, false);
    if (request.is_discarded() || !request.is_object())
        return {{"ok", false}, {"error", "expected one JSON object on one line"}};
    // Nothing thrown may cross libuv's C frames: the loop would be left
    // half-way through a callback.
    try {
        return m_handler(request);
    } catch (const std::exception& e) {
        return {{"ok", false}, {"error", std::string("the request failed: ") + e.what()}};
    } catch (...) {
        return {{"ok", false}, {"error", "the request failed"}};
    }
}

void ControlServer::close_client(Client* c) {
    m_clients.erase(c);
    uv_poll_stop(c->poll.get());
    c->poll->data = nullptr;
    c->poll.reset();
    uv_timer_stop(c->idle.get());
    c->idle->data = nullptr;
    c->idle.reset();
    close_fd(c->fd);
    delete c;
}

Result<Json> control_call(const std::string& path, const Json& request, Duration timeout) {
    int dir_fd = -1;
    auto addr = address_of(path, dir_fd);
    if (!addr) return addr.error();
    int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        close_fd(dir_fd);
        return make_error(Errc::io, std::string("cannot create a socket: ") + std::strerror(errno));
    }
    const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&*addr), sizeof *addr);
    const int err = errno;
    close_fd(dir_fd);
    if (rc != 0) {
        close_fd(fd);
        return make_error(Errc::io, "cannot connect to " + path + ": " + std::strerror(err));
    }
    const std::string out = dump(request) + "\n";
    for (std::size_t sent = 0; sent < out.size();) {
        const ssize_t n = ::send(fd, out.data() + sent, out.size() - sent, MSG_NOSIGNAL);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            const int e = n < 0 ? errno : EPIPE;
            close_fd(fd);
            return make_error(Errc::io, "cannot send to " + path + ": " + std::strerror(e));
        }
        sent += static_cast<std::size_t>(n);
    }
    std::string in;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (;;) {
        const auto left =
            std::chrono::duration_cast<Duration>(deadline - std::chrono::steady_clock::now())
                .count();
        pollfd p{fd, POLLIN, 0};
        if (left <= 0 || ::poll(&p, 1, static_cast<int>(left)) == 0) {
            close_fd(fd);
            return make_error(Errc::io, "no answer from " + path);
        }
        char chunk[4096];
        const ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) break;
        in.append(chunk, static_cast<std::size_t>(n));
        if (in.find('\n') != std::string::npos) break;
    }
    close_fd(fd);
    auto reply = Json::parse(in.substr(0, in.find('\n')), nullptr, false);
    if (reply.is_discarded() || !reply.is_object())
        return make_error(Errc::io, "no valid answer from " + path);
    return reply;
}

}  // namespace weft::events
