// JSON as the store keeps it, and the event as a run sees it. The shapes of
// `runs --json` and `show --json` are report's (report/json.cpp).
#include "weft/store/sqlite_db.hpp"

namespace weft::store {

std::string json_text(const nlohmann::json& value) {
    return dump_json(value);
}

nlohmann::json parse_json_text(std::string_view text, nlohmann::json fallback) {
    auto parsed =
        nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
    return parsed.is_discarded() ? fallback : parsed;
}

nlohmann::json event_json(const EventRow& event) {
    nlohmann::json out = nlohmann::json::object();
    if (event.payload.is_object())
        out = event.payload;
    else if (!event.payload.is_null())
        out["payload"] = event.payload;
    out["id"] = event.id;
    out["kind"] = event.kind;
    out["time"] = format_rfc3339(event.time);
    return out;
}

}  // namespace weft::store
