#pragma once
// Closing a heap-allocated libuv handle: uv_close, then delete once libuv
// is done with it; the pointer is cleared. Null is a no-op. UvHandle owns
// one such handle and closes it when it goes.
#include <uv.h>

#include <utility>

namespace weft::events {

template <class H>
void close_handle(H*& h) {
    if (!h) return;
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* x) { delete reinterpret_cast<H*>(x); });
    h = nullptr;
}

// One libuv handle of type H (uv_timer_t, uv_poll_t, ...), closed by
// reset() or the destructor; the loop must still be open then. `make()`
// allocates a new handle, to be initialised at once with its uv_*_init.
template <class H>
class UvHandle {
  public:
    UvHandle() = default;
    UvHandle(const UvHandle&) = delete;
    UvHandle& operator=(const UvHandle&) = delete;
    UvHandle(UvHandle&& o) noexcept : m_h(std::exchange(o.m_h, nullptr)) {}
    UvHandle& operator=(UvHandle&& o) noexcept {
        if (this != &o) {
            close_handle(m_h);
            m_h = std::exchange(o.m_h, nullptr);
        }
        return *this;
    }
    ~UvHandle() { close_handle(m_h); }

    H* make() {
        close_handle(m_h);
        m_h = new H;
        return m_h;
    }
    void reset() { close_handle(m_h); }
    H* get() const { return m_h; }
    uv_handle_t* base() const { return reinterpret_cast<uv_handle_t*>(m_h); }
    explicit operator bool() const { return m_h != nullptr; }

  private:
    H* m_h = nullptr;
};

}  // namespace weft::events
