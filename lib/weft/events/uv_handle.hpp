#pragma once
// Closing a heap-allocated libuv handle: uv_close, then delete once libuv
// is done with it; the pointer is cleared. Null is a no-op.
#include <uv.h>

namespace weft::events {

template <class H>
void close_handle(H*& h) {
    if (!h) return;
    uv_close(reinterpret_cast<uv_handle_t*>(h),
             [](uv_handle_t* x) { delete reinterpret_cast<H*>(x); });
    h = nullptr;
}

}  // namespace weft::events
