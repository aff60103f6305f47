#pragma once
// Heap-allocated libuv handles. libuv owns a handle's memory until its close
// callback runs, so a handle is closed with uv_close and deleted from there,
// never by a destructor directly. `close_handle` does that for a raw pointer
// (null is a no-op; the pointer is cleared); UvHandle owns one such handle.
#include <uv.h>

#include <utility>

namespace weft::events {

// Close `h` (uv_close, then delete once libuv is done with it) and clear the
// pointer. Null is a no-op.
template <class H>
void close_handle(H*& h) {
    if (!h) return;
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* x) { delete reinterpret_cast<H*>(x); });
    h = nullptr;
}

// One owned handle of type H (uv_timer_t, uv_poll_t, ...), closed (as
// close_handle does) when reset or destroyed. Its loop must still be open
// then; its close completes at the loop's next iteration.
template <class H>
class UvHandle {
  public:
    UvHandle() = default;
    // A handle of `loop` set up by `init(loop, handle, args...)` (uv_timer_init,
    // uv_poll_init, ...), its `data` set to `data`. Empty when `init` fails
    // (e.g. uv_poll_init on a file epoll refuses).
    template <class Init, class... Args>
    static UvHandle make(Init init, uv_loop_t* loop, void* data, Args... args) {
        auto* h = new H;
        if (init(loop, h, args...) != 0) {
            delete h;  // never initialised: nothing for uv_close to do
            return {};
        }
        h->data = data;
        return UvHandle(h);
    }
    ~UvHandle() { reset(); }
    UvHandle(UvHandle&& o) noexcept : m_h(std::exchange(o.m_h, nullptr)) {}
    UvHandle& operator=(UvHandle&& o) noexcept {
        if (this != &o) {
            reset();
            m_h = std::exchange(o.m_h, nullptr);
        }
        return *this;
    }
    UvHandle(const UvHandle&) = delete;
    UvHandle& operator=(const UvHandle&) = delete;

    // Closes the handle held, if any, and allocates a new one, to be
    // initialised at once with its uv_*_init.
    H* make() {
        reset();
        m_h = new H;
        return m_h;
    }
    void reset() { close_handle(m_h); }
    H* get() const { return m_h; }
    H* operator->() const { return m_h; }
    explicit operator bool() const { return m_h != nullptr; }
    uv_handle_t* base() const { return reinterpret_cast<uv_handle_t*>(m_h); }

  private:
    explicit UvHandle(H* h) : m_h(h) {}
    H* m_h = nullptr;
};

}  // namespace weft::events
