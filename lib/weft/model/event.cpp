#include "weft/model/event.hpp"

namespace weft::model {

using Json = nlohmann::json;

namespace {

Event of_kind(Event::Kind kind, TimePoint t) {
    Event e;
    e.kind = kind;
    e.time = t;
    return e;
}

}  // namespace

Event Event::file_change(std::vector<std::string> paths, TimePoint t) {
    Event e = of_kind(Kind::file, t);
    e.paths = std::move(paths);
    return e;
}

Event Event::file_rescan(TimePoint t) {
    Event e = of_kind(Kind::file, t);
    e.rescan = true;
    return e;
}

Event Event::cron_fire(std::string entry, TimePoint at, bool late) {
    Event e = of_kind(Kind::schedule, at);
    e.cron = std::move(entry);
    e.late = late;
    return e;
}

Event Event::every_fire(Duration every, TimePoint t) {
    Event e = of_kind(Kind::schedule, t);
    e.every = every;
    return e;
}

Event Event::stdin_line(std::string text, bool json, TimePoint t, bool truncated) {
    Event e = of_kind(Kind::stdin_record, t);
    e.truncated = truncated;
    if (json) e.json = truncated ? Json(nullptr) : Json::parse(text, nullptr, false);
    e.line = std::move(text);
    return e;
}

Event Event::workflow_end(std::string workflow, std::int64_t run, std::string status, TimePoint t) {
    Event e = of_kind(Kind::workflow, t);
    e.workflow = std::move(workflow);
    e.run = run;
    e.status = std::move(status);
    return e;
}

Event Event::manual(Json params, TimePoint t) {
    Event e = of_kind(Kind::manual, t);
    e.params = std::move(params);
    return e;
}

std::string_view to_string(Event::Kind k) {
    switch (k) {
        case Event::Kind::file:
            return "file";
        case Event::Kind::schedule:
            return "schedule";
        case Event::Kind::stdin_record:
            return "stdin";
        case Event::Kind::workflow:
            return "workflow";
        case Event::Kind::manual:
            break;
    }
    return "manual";
}

Json to_json(const Event& e) {
    Json j = {{"kind", to_string(e.kind)}, {"time", format_rfc3339(e.time)}};
    switch (e.kind) {
        case Event::Kind::file:
            j["paths"] = e.paths;
            if (e.rescan) j["rescan"] = true;
            break;
        case Event::Kind::schedule:
            if (e.every)
                j["every"] = format_duration(*e.every);
            else
                j["cron"] = e.cron;
            if (e.late) j["late"] = true;
            break;
        case Event::Kind::stdin_record:
            j["line"] = e.line;
            if (e.json) j["json"] = *e.json;
            if (e.truncated) j["truncated"] = true;
            break;
        case Event::Kind::workflow:
            // SPEC §2: `event.workflow` is the run that ended, as one object.
            j["workflow"] = {{"name", e.workflow}, {"run", e.run}, {"status", e.status}};
            break;
        case Event::Kind::manual:
            j["params"] = e.params;
            break;
    }
    return j;
}

}  // namespace weft::model
