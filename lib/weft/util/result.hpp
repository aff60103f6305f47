#pragma once
// A value or an Error. GCC 12's std::expected lacks the monadic functions and
// clang 14 (libFuzzer) cannot compile libstdc++ 12's <expected>, so weft has
// its own small type (DESIGN.md §2).
#include <string>
#include <utility>
#include <variant>

namespace weft {

enum class Errc {
    usage,      // bad command line (exit 2)
    invalid,    // invalid workflow, expression or value (exit 2)
    not_found,  // missing file or plugin (exit 2)
    io,         // an OS call failed
    state,      // the state database cannot be used (exit 3)
    exec,       // a process could not be created
    internal,
};

struct Error {
    Errc code = Errc::internal;
    std::string message;
    // Byte offset into the parsed text the error points at, when known.
    std::size_t offset = npos;
    static constexpr std::size_t npos = static_cast<std::size_t>(-1);
};

inline Error make_error(Errc code, std::string message, std::size_t offset = Error::npos) {
    return Error{code, std::move(message), offset};
}

template <class T>
class [[nodiscard]] Result {
  public:
    Result(T value) : m_v(std::in_place_index<0>, std::move(value)) {}
    Result(Error error) : m_v(std::in_place_index<1>, std::move(error)) {}

    bool ok() const { return m_v.index() == 0; }
    explicit operator bool() const { return ok(); }
    T& value() & { return std::get<0>(m_v); }
    const T& value() const& { return std::get<0>(m_v); }
    T&& value() && { return std::get<0>(std::move(m_v)); }
    T& operator*() & { return value(); }
    const T& operator*() const& { return value(); }
    T* operator->() { return &value(); }
    const T* operator->() const { return &value(); }
    const Error& error() const { return std::get<1>(m_v); }

  private:
    std::variant<T, Error> m_v;
};

template <>
class [[nodiscard]] Result<void> {
  public:
    Result() = default;
    Result(Error error) : m_error(std::move(error)), m_ok(false) {}
    bool ok() const { return m_ok; }
    explicit operator bool() const { return m_ok; }
    const Error& error() const { return m_error; }

  private:
    Error m_error;
    bool m_ok = true;
};

}  // namespace weft
