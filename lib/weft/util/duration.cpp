#include "weft/util/duration.hpp"

#include <cstdint>
#include <limits>

namespace weft {

namespace {

struct Unit {
    std::string_view name;
    std::int64_t ms;
};
// Order matters twice: `ms` must be tried before `m`, and parts must come in
// decreasing size (`30m1h` is almost certainly a typo).
constexpr Unit k_units[] = {
    {"ms", 1}, {"d", 86'400'000}, {"h", 3'600'000}, {"m", 60'000}, {"s", 1'000}};

int rank(std::string_view unit) {
    if (unit == "d") return 0;
    if (unit == "h") return 1;
    if (unit == "m") return 2;
    if (unit == "s") return 3;
    return 4;
}

}  // namespace

Result<Duration> parse_duration(std::string_view text) {
    const std::string shown(text);
    auto bad = [&](const std::string& why) {
        return make_error(Errc::invalid, "invalid duration '" + shown + "': " + why +
                                             " (use e.g. 150ms, 10s, 5m, 2h, 1d, 1h30m)");
    };
    if (text.empty()) return bad("empty");
    if (text == "0") return Duration{0};
    std::int64_t total = 0;
    int last_rank = -1;
    std::size_t i = 0;
    while (i < text.size()) {
        if (text[i] < '0' || text[i] > '9') return bad("expected a number");
        std::int64_t n = 0;
        while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
            if (n > std::numeric_limits<std::int64_t>::max() / 10 / 86'400'000)
                return bad("too large");
            n = n * 10 + (text[i] - '0');
            ++i;
        }
        const Unit* unit = nullptr;
        for (const auto& u : k_units) {
            if (text.substr(i, u.name.size()) == u.name) {
                unit = &u;
                break;
            }
        }
        if (!unit) {
            if (i == text.size()) return bad("missing unit");
            return bad("unknown unit '" + std::string(text.substr(i, 1)) + "'");
        }
        const int r = rank(unit->name);
        if (r <= last_rank) return bad("units must go from largest to smallest, each once");
        last_rank = r;
        i += unit->name.size();
        total += n * unit->ms;
        if (total < 0) return bad("too large");
    }
    return Duration{total};
}

std::string format_duration(Duration d) {
    std::int64_t ms = d.count();
    if (ms == 0) return "0s";
    std::string out;
    if (ms < 0) {
        out = "-";
        ms = -ms;
    }
    for (const auto& u : {Unit{"d", 86'400'000}, Unit{"h", 3'600'000}, Unit{"m", 60'000},
                          Unit{"s", 1'000}, Unit{"ms", 1}}) {
        if (ms >= u.ms) {
            out += std::to_string(ms / u.ms);
            out += u.name;
            ms %= u.ms;
        }
    }
    return out;
}

}  // namespace weft
