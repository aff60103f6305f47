#include "weft/engine/triggers/filter.hpp"

#include "weft/engine/resolve.hpp"

namespace weft::engine {

using Json = nlohmann::json;

std::string schedule_entry_key(const model::ScheduleEntry& e) {
    return e.cron ? *e.cron + (e.timezone.empty() ? "" : " " + e.timezone) : std::string();
}

namespace {

// The `if:` of the schedule entry that fired `e`, if it has one.
const std::optional<std::string>* schedule_if(const model::Workflow& w, const model::Event& e) {
    for (const auto& s : w.on.schedule) {
        const bool same = e.every ? (s.every && *s.every == *e.every)
                                  : (s.cron && schedule_entry_key(s) == e.cron);
        if (same) return &s.if_cond;
    }
    return nullptr;
}

}  // namespace

bool TriggerFilters::passes(const model::Workflow& w, const model::Event& e, const Json& payload,
                            std::string& error) {
    const std::optional<std::string>* cond = nullptr;
    switch (e.kind) {
        case model::Event::Kind::file:
            if (w.on.file) cond = &w.on.file->if_cond;
            break;
        case model::Event::Kind::schedule:
            cond = schedule_if(w, e);
            break;
        case model::Event::Kind::workflow:
            if (w.on.workflow) cond = &w.on.workflow->if_cond;
            break;
        case model::Event::Kind::stdin_record:
            if (w.on.stdin_match) {
                auto& re = m_patterns[*w.on.stdin_match];
                if (!re)
                    if (auto c = Regex::compile(*w.on.stdin_match)) re = std::move(*c);
                if (!re) return false;
                auto found = re->search(e.line);
                if (!found) {
                    error = "match: " + found.error().message;
                    return false;
                }
                if (!*found) return false;
            }
            cond = &w.on.stdin_if;
            break;
        case model::Event::Kind::manual:
            return true;
    }
    return !cond || !*cond || condition(w, **cond, payload, error);
}

bool TriggerFilters::condition(const model::Workflow& w, const std::string& text,
                               const Json& payload, std::string& error) {
    auto& parsed = m_exprs[text];
    if (!parsed) {
        auto p = expr::parse_condition(text);
        if (!p) {
            error = "if: " + p.error().message;
            return false;
        }
        parsed = std::move(*p);
    }
    // `env` is the workflow's env, rendered against the event alone: no
    // run, params or secrets exist yet.
    auto ctx = run_contexts(w, Json::object(), payload, {}, 0, 0);
    if (!ctx) {
        error = "if: " + ctx.error().message;
        return false;
    }
    auto v = expr::evaluate(*parsed, *ctx);
    if (!v) {
        error = "if: " + v.error().message;
        return false;
    }
    return expr::truthy(*v);
}

}  // namespace weft::engine
