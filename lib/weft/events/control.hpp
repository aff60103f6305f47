#pragma once
// The control socket (SPEC §5): every weft process that runs workflows
// listens on a Unix socket in its state directory's locks/ folder (0700), named
// after its owner token, so any weft command that knows a run's owner can
// reach it. One request a connection: a JSON object on one line, answered
// with one JSON object on one line. A client is never trusted to behave:
// a request that is not a JSON object of at most 4 MiB (a record of `weft
// emit` is up to 1 MiB) and 256 levels is
// answered with an error; a client that sends no full line in 5 s is
// closed; at most 64 connections wait at once (more are closed on
// accept); when descriptors run out, accepting pauses briefly instead of
// spinning; and nothing a handler throws leaves the loop's callback (it
// becomes an error reply).
#include <uv.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "weft/events/uv_handle.hpp"
#include "weft/util/duration.hpp"
#include "weft/util/result.hpp"

namespace weft::events {

// STATE_DIR/locks/TOKEN.sock
std::string control_path(const std::string& state_dir, const std::string& token);

class ControlServer {
  public:
    // The reply to a request (a JSON object); it may throw, which becomes
    // {"ok": false, "error": ...}.
    using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;
    static constexpr std::size_t k_max_clients = 64;
    static constexpr std::size_t k_max_request = 4 * 1024 * 1024;  // bytes, the newline included
    static constexpr std::uint64_t k_idle_ms = 5000;
    static constexpr std::uint64_t k_accept_pause_ms = 100;
    // Bind and listen on `path` (a stale socket there is replaced), served by
    // `loop` without keeping it alive. Errc::io when the socket cannot be made.
    static Result<std::unique_ptr<ControlServer>> listen(uv_loop_t* loop, const std::string& path,
                                                         Handler handler);
    ~ControlServer();  // stops listening and removes the socket file
    ControlServer(const ControlServer&) = delete;
    ControlServer& operator=(const ControlServer&) = delete;

    struct Client;

  private:
    ControlServer() = default;
    void accept_clients();
    void on_readable(Client* c, int status);
    nlohmann::json reply_to(const std::string& line) const;
    void close_client(Client* c);
    uv_loop_t* m_loop = nullptr;
    std::string m_path;
    Handler m_handler;
    int m_fd = -1;
    UvHandle<uv_poll_t> m_poll;
    UvHandle<uv_timer_t> m_pause;  // accepting again after EMFILE
    std::set<Client*> m_clients;   // connections not yet answered
};

// A request's field `key` checked: nullopt when it is there with the type
// `type` (nlohmann's "string", "number", "object", ...; an integer for
// "integer"), or absent and not `required`; otherwise the error reply,
// {"ok": false, "error": "..."}.
std::optional<nlohmann::json> check_field(const nlohmann::json& request, const std::string& key,
                                          const std::string& type, bool required);

// Send `request` to the socket at `path` and wait up to `timeout` for the
// answer. Errc::io when nothing listens there or no answer came.
Result<nlohmann::json> control_call(const std::string& path, const nlohmann::json& request,
                                    Duration timeout);

}  // namespace weft::events
