#include "weft/events/wall_timer.hpp"

#include <sys/timerfd.h>
#include <unistd.h>

#include <cerrno>

#include <cstdint>
#include <cstring>
#include <memory>
#include "weft/events/uv_handle.hpp"

namespace weft::events {

Result<std::unique_ptr<WallTimer>> WallTimer::create(uv_loop_t* loop,
                                                     std::function<void(bool)> fire) {
    std::unique_ptr<WallTimer> t(new WallTimer());
    t->m_fd = ::timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK | TFD_CLOEXEC);
    if (t->m_fd < 0)
        return make_error(Errc::io, std::string("cannot create a timer: ") + std::strerror(errno));
    t->m_fire = std::move(fire);
    t->m_poll = UvHandle<uv_poll_t>::make(uv_poll_init, loop, t.get(), t->m_fd);
    if (!t->m_poll) return make_error(Errc::io, "cannot poll a timer");
    uv_poll_start(t->m_poll.get(), UV_READABLE,
                  [](uv_poll_t* h, int, int) { static_cast<WallTimer*>(h->data)->on_readable(); });
    return t;
}

WallTimer::~WallTimer() {
    m_poll.reset();
    if (m_fd >= 0) ::close(m_fd);
}

void WallTimer::arm(std::chrono::system_clock::time_point at) {
    const auto ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(at.time_since_epoch()).count();
    itimerspec spec{};
    spec.it_value.tv_sec = std::max<std::int64_t>(ns / 1'000'000'000, 0);
    spec.it_value.tv_nsec = ns > 0 ? ns % 1'000'000'000 : 1;
    if (spec.it_value.tv_sec == 0 && spec.it_value.tv_nsec == 0) spec.it_value.tv_nsec = 1;
    ::timerfd_settime(m_fd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &spec, nullptr);
}

void WallTimer::on_readable() {
    std::uint64_t n = 0;
    const ssize_t r = ::read(m_fd, &n, sizeof n);
    if (r < 0 && errno == EAGAIN) return;
    m_fire(r < 0 && errno == ECANCELED);
}

}  // namespace weft::events
