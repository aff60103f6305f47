#pragma once
// The stdin trigger (SPEC §3 "stdin"): one engine reads one stdin, so it
// is armed once, at start, for every workflow that declares it (a reload
// does not re-arm it); each record is one event, offered to every armed
// stdin workflow. A JSON value that does not parse is reported and skipped.
// A record longer than the smallest `max-record` of those workflows is cut
// there, recorded marked `truncated` (a cut JSON value is not parsed) and
// a warning announced.
#include <uv.h>

#include <functional>
#include <memory>
#include <string>

#include "weft/engine/dispatch.hpp"
#include "weft/engine/triggers/trigger.hpp"
#include "weft/events/stdin_reader.hpp"

namespace weft::engine {

class StdinTrigger final : public Trigger {
  public:
    // `ended()` once input has ended.
    StdinTrigger(Dispatch& dispatch, uv_loop_t* loop, std::function<void()> ended);
    // Errc::invalid when the workflows disagree on the format.
    Result<void> arm() override;
    void disarm() override {}  // the stream outlives reloads
    // Stop reading (the engine stops).
    void close() { m_reader.reset(); }
    // "none", "reading" or "ended" (`weft status`).
    const char* state() const;
    bool ended() const { return m_ended; }

  private:
    void on_record(std::string text, const std::string& err, bool json, bool truncated);

    Dispatch& m_dispatch;
    uv_loop_t* m_loop;
    std::function<void()> m_on_end;
    std::unique_ptr<events::StdinReader> m_reader;
    std::size_t m_max_record = model::k_stdin_max_record;
    bool m_tried = false, m_armed = false, m_ended = false;
};

}  // namespace weft::engine
