#pragma once
// The engine's time: the wall clock it stamps records with, and one-shot
// timers (retry delays, timeouts, kill-grace). The engine reads time only
// through Clock, so a test can run it on a fake one.
#include <cstdint>
#include <functional>
#include <map>
#include <memory>

#include "weft/util/duration.hpp"
#include "weft/util/time.hpp"

struct uv_loop_s;

namespace weft::engine {

using TimerId = std::uint64_t;  // 0: no timer

class Clock {
  public:
    virtual ~Clock() = default;
    // Wall time, in milliseconds.
    virtual TimePoint now() const = 0;
    // Call `f` once, `after` from now (at once when it is zero or less: at
    // the next turn of the loop, never inside this call).
    virtual TimerId after(Duration after, std::function<void()> f) = 0;
    // Stop a timer that has not fired; 0 or a fired timer is a no-op.
    virtual void cancel(TimerId id) = 0;
    // Called by Engine::run when its loop has nothing left to wait on: a
    // fake clock moves to its next timer, fires it and returns true; the
    // real one returns false (its timers keep the loop alive by themselves).
    virtual bool advance() { return false; }
};

// Wall time from the system, timers on a libuv loop (each one referenced:
// it keeps the loop running until it fires or is cancelled).
class UvClock final : public Clock {
  public:
    explicit UvClock(uv_loop_s* loop);
    ~UvClock() override;
    TimePoint now() const override;
    TimerId after(Duration after, std::function<void()> f) override;
    void cancel(TimerId id) override;
    // Cancel every timer (before the loop closes).
    void close();

    struct Timer;

  private:
    uv_loop_s* m_loop;
    TimerId m_next = 1;
    std::map<TimerId, std::unique_ptr<Timer>> m_timers;
};

}  // namespace weft::engine
