#pragma once
// The control socket (SPEC §5): every weft process that runs workflows
// listens on a Unix socket in its state directory's locks/ folder (0700), named
// after its owner token, so any weft command that knows a run's owner can
// reach it. One request a connection: a JSON object on one line, answered
// with one JSON object on one line.
#include <uv.h>

#include <functional>
#include <memory>
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
    using Handler = std::function<nlohmann::json(const nlohmann::json& request)>;
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
    void close_client(Client* c);
    uv_loop_t* m_loop = nullptr;
    std::string m_path;
    Handler m_handler;
    int m_fd = -1;
    UvHandle<uv_poll_t> m_poll;
    std::set<Client*> m_clients;  // connections not yet answered
};

// Send `request` to the socket at `path` and wait up to `timeout` for the
// answer. Errc::io when nothing listens there or no answer came.
Result<nlohmann::json> control_call(const std::string& path, const nlohmann::json& request,
                                    Duration timeout);

}  // namespace weft::events
