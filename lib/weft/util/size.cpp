#include "weft/util/size.hpp"

#include <limits>

#include "weft/util/strings.hpp"

namespace weft {

namespace {

struct Unit {
    std::string_view name;
    std::uint64_t bytes;
};
constexpr Unit k_units[] = {{"GiB", 1ull << 30}, {"MiB", 1ull << 20}, {"KiB", 1ull << 10}};

}  // namespace

Result<std::uint64_t> parse_size(std::string_view text) {
    auto bad = [&](const std::string& why) {
        return make_error(Errc::invalid, "invalid size '" + std::string(text) + "': " + why +
                                             " (use e.g. 10M, 512K, 4096)");
    };
    std::size_t i = 0;
    std::uint64_t n = 0;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
        const auto digit = static_cast<std::uint64_t>(text[i] - '0');
        if (n > (std::numeric_limits<std::uint64_t>::max() - digit) / 10) return bad("too large");
        n = n * 10 + digit;
        ++i;
    }
    if (i == 0) return bad("expected a number");
    const std::string unit = to_lower(text.substr(i));
    if (unit.empty() || unit == "b") return n;
    for (const auto& u : k_units) {
        const std::string name = to_lower(u.name);
        if (unit != name && unit != name.substr(0, 1)) continue;
        if (n > std::numeric_limits<std::uint64_t>::max() / u.bytes) return bad("too large");
        return n * u.bytes;
    }
    return bad("unknown unit '" + std::string(text.substr(i)) + "'");
}

std::string format_size(std::uint64_t bytes) {
    for (const auto& u : k_units)
        if (bytes >= u.bytes && bytes % u.bytes == 0)
            return std::to_string(bytes / u.bytes) + " " + std::string(u.name);
    return std::to_string(bytes) + (bytes == 1 ? " byte" : " bytes");
}

}  // namespace weft
