// Fuzz target: the cron parser and next-fire computation (UTC and a zone
// with daylight saving), as `weft cron` and schedule triggers use them.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "weft/cron/cron.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    using namespace weft;
    auto s = cron::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    if (!s) return 0;
    static const auto* berlin = *cron::find_zone("Europe/Berlin");
    static const auto* utc = *cron::find_zone("UTC");
    const cron::Seconds from{std::chrono::seconds{1'795'704'815}};
    (void)cron::next_fires(*s, utc, from, 3);
    (void)cron::next_fires(*s, berlin, from, 3);
    return 0;
}
