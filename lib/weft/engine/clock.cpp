#include "weft/engine/clock.hpp"

#include <uv.h>

#include <algorithm>

#include "weft/events/uv_handle.hpp"

namespace weft::engine {

struct UvClock::Timer {
    UvClock* clock = nullptr;
    TimerId id = 0;
    std::function<void()> f;
    events::UvHandle<uv_timer_t> handle;
};

UvClock::UvClock(uv_loop_s* loop) : m_loop(loop) {}

UvClock::~UvClock() {
    close();
}

TimePoint UvClock::now() const {
    return weft::now();
}

TimerId UvClock::after(Duration after, std::function<void()> f) {
    auto t = std::make_unique<Timer>();
    t->clock = this;
    t->id = m_next++;
    t->f = std::move(f);
    auto* h = t->handle.make();
    uv_timer_init(m_loop, h);
    h->data = t.get();
    uv_timer_start(
        h,
        [](uv_timer_t* x) {
            auto* timer = static_cast<Timer*>(x->data);
            auto fire = std::move(timer->f);
            timer->clock->m_timers.erase(timer->id);  // closes the handle
            fire();
        },
        static_cast<std::uint64_t>(std::max<long long>(0, after.count())), 0);
    const TimerId id = t->id;
    m_timers.emplace(id, std::move(t));
    return id;
}

void UvClock::cancel(TimerId id) {
    m_timers.erase(id);
}

void UvClock::close() {
    m_timers.clear();
}

}  // namespace weft::engine
