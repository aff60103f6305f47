#pragma once
// An event of `weft up` (SPEC §3, §5) as a plain value: what a trigger saw,
// built by the trigger and recorded as it is. `to_json` gives the payload
// the database keeps and `event.*` reads; each kind has its own fields.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "weft/util/duration.hpp"
#include "weft/util/time.hpp"

namespace weft::model {

struct Event {
    enum class Kind { file, schedule, stdin_record, workflow, manual };
    Kind kind = Kind::manual;
    TimePoint time{};  // when it happened; a cron fire's own instant

    // file: the changed paths, or a rescan after the kernel dropped events
    std::vector<std::string> paths;
    bool rescan = false;
    // schedule: the cron entry (its text and time zone) or the interval;
    // `late` for a fire missed while the engine was down or the clock jumped
    std::string cron;
    std::optional<Duration> every;
    bool late = false;
    // stdin: the record's text, and its value for the json format (null
    // for a record cut at max-record, which is `truncated`)
    std::string line;
    std::optional<nlohmann::json> json;
    bool truncated = false;
    // workflow: the run that ended, its workflow and status
    std::string workflow;
    std::int64_t run = 0;
    std::string status;
    // manual: the params as given, secret ones masked
    nlohmann::json params = nlohmann::json::object();

    static Event file_change(std::vector<std::string> paths, TimePoint t);
    static Event file_rescan(TimePoint t);
    static Event cron_fire(std::string entry, TimePoint at, bool late);
    static Event every_fire(Duration every, TimePoint t);
    // `json`: parse `text` as one JSON value (a discarded value if it is
    // not; null, unparsed, when `truncated`).
    static Event stdin_line(std::string text, bool json, TimePoint t, bool truncated = false);
    static Event workflow_end(std::string workflow, std::int64_t run, std::string status,
                              TimePoint t);
    static Event manual(nlohmann::json params, TimePoint t);
};

// "file", "schedule", "stdin", "workflow", "manual": the stored kind.
std::string_view to_string(Event::Kind k);

// The stored payload: {"kind", "time", and the kind's own fields}; a
// workflow event's are {"workflow": {"name", "run", "status"}}.
nlohmann::json to_json(const Event& e);

}  // namespace weft::model
