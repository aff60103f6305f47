// weft events: the event history with what became of each event for each
// workflow it was offered to (SPEC §9.2).
#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/cli/state.hpp"
#include "weft/model/json.hpp"
#include "weft/util/out.hpp"
#include "weft/util/time.hpp"

namespace weft::cli {

using Json = nlohmann::json;

namespace {

// The summary column is cut here: one event, one line.
constexpr std::size_t k_summary_width = 60;

std::string cut(std::string s) {
    for (auto& c : s)
        if (c == '\n' || c == '\r' || c == '\t') c = ' ';
    if (s.size() > k_summary_width) s = s.substr(0, k_summary_width - 3) + "...";
    return s;
}

std::string text_of(const Json& v) {
    return v.is_string() ? v.get<std::string>()
                         : v.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// What the event was, in a few words: its paths, line, schedule, the run that
// ended, or its params.
std::string summary(const store::EventRow& e) {
    const Json& p = e.payload;
    if (e.kind == "file") {
        if (p.value("rescan", false)) return "rescan";
        std::string s;
        for (const auto& path : p.value("paths", Json::array()))
            s += (s.empty() ? "" : " ") + text_of(path);
        return cut(s);
    }
    if (e.kind == "stdin")
        return cut(Json(p.value("line", "")).dump(-1, ' ', false, Json::error_handler_t::replace));
    if (e.kind == "schedule")
        return cut(p.contains("every") ? "every " + text_of(p["every"])
                                       : "cron " + p.value("cron", ""));
    if (e.kind == "workflow" && p.contains("workflow") && p["workflow"].is_object()) {
        const Json& w = p["workflow"];
        return cut(w.value("name", "") + "#" + std::to_string(w.value("run", 0LL)) + " " +
                   w.value("status", ""));
    }
    if (e.kind == "manual" && p.contains("params") && !p["params"].empty())
        return cut(text_of(p["params"]));
    return "";
}

std::string outcome_text(const store::EventOutcome& o) {
    if (o.outcome == "run") return "run " + std::to_string(o.run);
    if (o.outcome == "merged") return "merged into event " + std::to_string(o.merged_into);
    return o.outcome;
}

Json outcome_json(const store::EventOutcome& o) {
    Json j{{"workflow", o.workflow}, {"outcome", o.outcome}};
    if (o.run) j["run"] = o.run;
    if (o.merged_into) j["merged_into"] = o.merged_into;
    return j;
}

}  // namespace

int cmd_events(const Options& o, const Globals& g) {
    if (o.limit < 1) return fail(Errc::usage, "--limit must be at least 1");
    auto state = open_state(g);
    if (!state) return fail(state.error());
    auto events = state->store.list_events(o.workflow, static_cast<std::size_t>(o.limit));
    if (!events) return fail(events.error());
    if (o.json) {
        for (const auto& h : *events) {
            Json outcomes = Json::array();
            for (const auto& oc : h.outcomes) outcomes.push_back(outcome_json(oc));
            out::print("{}\n", model::dump_json(Json{{"id", h.event.id},
                                                     {"time", format_rfc3339(h.event.time)},
                                                     {"kind", h.event.kind},
                                                     {"summary", summary(h.event)},
                                                     {"outcomes", outcomes}}));
        }
        return k_exit_ok;
    }
    if (events->empty()) {
        if (!g.quiet) out::message("no events\n");
        return k_exit_ok;
    }
    out::print("{:<6} {:<25} {:<9} {:<40} {}\n", "ID", "TIME", "KIND", "SUMMARY", "OUTCOME");
    for (const auto& h : *events) {
        std::string outcomes;
        for (const auto& oc : h.outcomes)
            outcomes += (outcomes.empty() ? "" : ", ") + oc.workflow + ": " + outcome_text(oc);
        out::print("{:<6} {:<25} {:<9} {:<40} {}\n", h.event.id, format_local(h.event.time),
                   h.event.kind, summary(h.event), outcomes.empty() ? "-" : outcomes);
    }
    return k_exit_ok;
}

}  // namespace weft::cli
