#pragma once
// What tests of the state database share: unwrap a Result or fail the test,
// an in-memory Store, and times as milliseconds since the epoch.
#include <doctest/doctest.h>

#include <chrono>
#include <cstdint>
#include <utility>

#include "weft/store/store.hpp"

namespace weft::test {

template <class T>
T must(Result<T> r) {
    if (!r) FAIL(r.error().message);
    return std::move(r).value();
}

inline void must(Result<void> r) {
    if (!r) FAIL(r.error().message);
}

inline store::Store memory() {
    return must(store::Store::open_memory());
}

inline TimePoint at(std::int64_t ms) {
    return TimePoint{std::chrono::milliseconds{ms}};
}

// 2026-11-26T14:53:35.123Z
inline constexpr std::int64_t k_t0 = 1795704815123;

}  // namespace weft::test
