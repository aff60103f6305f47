#pragma once
// A deadline on the wall clock (DESIGN.md §2): a CLOCK_REALTIME timerfd with
// TFD_TIMER_CANCEL_ON_SET, polled by the loop, so a clock change (a manual
// jump, NTP stepping, resume from suspend) wakes the owner to recompute
// instead of sleeping past or short of a cron fire.
#include <uv.h>

#include <chrono>
#include <functional>
#include <memory>

#include "weft/events/uv_handle.hpp"
#include "weft/util/result.hpp"

namespace weft::events {

class WallTimer {
  public:
    // `fire(clock_changed)`: the deadline passed, or the clock was set.
    static Result<std::unique_ptr<WallTimer>> create(uv_loop_t* loop,
                                                     std::function<void(bool)> fire);
    ~WallTimer();
    WallTimer(const WallTimer&) = delete;
    WallTimer& operator=(const WallTimer&) = delete;
    void arm(std::chrono::system_clock::time_point at);

  private:
    WallTimer() = default;
    void on_readable();
    int m_fd = -1;
    UvHandle<uv_poll_t> m_poll;
    std::function<void(bool)> m_fire;
};

}  // namespace weft::events
