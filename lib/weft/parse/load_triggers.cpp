// The loader's walk of `on`: one member per trigger kind.
#include "weft/cron/cron.hpp"
#include "weft/expr/expr.hpp"
#include "weft/parse/walker.hpp"
#include "weft/util/regex.hpp"
#include "weft/util/size.hpp"

namespace weft::parse {

// A trigger's `if:` (SPEC §9.2) decides before any run exists, so it may
// read only `event` and `env`: another context is an error where it is read.
void Walker::trigger_filter(const YamlNode& n, std::optional<std::string>& cond, Location& where) {
    auto text = scalar(n, "'if'");
    if (!text) return;
    where = loc(n);
    auto e = expr::parse_condition(*text);
    if (!e) {
        error(locate_in_scalar(n, *text, e.error().offset == Error::npos ? 0 : e.error().offset),
              e.error().message);
        return;
    }
    for (const auto& r : expr::references(*e)) {
        if (r.path.empty() || r.path[0] == "event" || r.path[0] == "env") continue;
        error(locate_in_scalar(n, *text, e->offset + r.offset),
              with_suggestion(
                  "a trigger's 'if' may read only 'event' and 'env', not '" + r.path[0] + "'",
                  r.path[0], {"event", "env"}));
    }
    cond = *text;
}

void Walker::triggers(const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Map, "'on'")) return;
    keys(n, known_keys("on"), "'on'",
         [&](const std::string& key, const YamlNode& key_node, const YamlNode& v) {
             if (key == "file")
                 file_trigger(key_node, v);
             else if (key == "schedule")
                 schedule(v);
             else if (key == "stdin")
                 stdin_trigger(v);
             else if (key == "workflow")
                 workflow_trigger(key_node, v);
         });
}

void Walker::file_trigger(const YamlNode& key, const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Map, "the file trigger")) return;
    model::FileTrigger ft;
    keys(n, known_keys("file"), "the file trigger",
         [&](const std::string& k, const YamlNode&, const YamlNode& fv) {
             if (k == "paths")
                 ft.paths = string_list(fv, "'paths'", true);
             else if (k == "ignore")
                 ft.ignore = string_list(fv, "'ignore'", true);
             else if (k == "gitignore")
                 ft.gitignore = boolean(fv, "'gitignore'").value_or(true);
             else if (k == "debounce")
                 ft.debounce = duration(fv, "'debounce'").value_or(ft.debounce);
             else if (k == "if")
                 trigger_filter(fv, ft.if_cond, ft.if_loc);
             else if (k == "events") {
                 ft.events.clear();
                 if (!expect(fv, YAML::NodeType::Sequence, "'events'")) return;
                 for (const auto& e : fv)
                     if (auto ev =
                             enumeration<model::FileEvent>(e, "file event",
                                                           {{"create", model::FileEvent::create},
                                                            {"modify", model::FileEvent::modify},
                                                            {"delete", model::FileEvent::remove},
                                                            {"move", model::FileEvent::move}}))
                         ft.events.push_back(*ev);
             }
         });
    if (ft.paths.empty()) error(key, "the file trigger needs 'paths' (a list of globs)");
    m_wf.on.file = ft;
}

void Walker::schedule(const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Sequence, "'schedule'")) return;
    for (const auto& item : n) {
        if (!expect(item, YAML::NodeType::Map, "a schedule entry")) continue;
        schedule_entry(item);
    }
}

void Walker::schedule_entry(const YamlNode& n) {
    model::ScheduleEntry se;
    se.loc = loc(n);
    YamlNode cron_node;
    bool has_cron = false, has_every = false;  // the keys, even with bad values
    keys(n, known_keys("schedule"), "a schedule entry",
         [&](const std::string& k, const YamlNode&, const YamlNode& sv) {
             if (k == "if") {
                 trigger_filter(sv, se.if_cond, se.if_loc);
             } else if (k == "cron") {
                 has_cron = true;
                 se.cron = scalar(sv, "'cron'");
                 cron_node = sv;
             } else if (k == "timezone") {
                 if (auto tz = scalar(sv, "'timezone'")) {
                     if (auto z = cron::find_zone(*tz); !z) error(sv, z.error().message);
                     se.timezone = *tz;
                 }
             } else if (k == "every") {
                 has_every = true;
                 se.every = duration(sv, "'every'");
                 if (se.every && *se.every < model::k_min_every)
                     error(sv, "'every' must be at least " + format_duration(model::k_min_every) +
                                   ", got " + sv.Scalar());
             }
         });
    if (has_cron == has_every) {
        error(n, "a schedule entry needs exactly one of 'cron' and 'every'");
    } else if (se.cron) {
        if (auto c = cron::parse(*se.cron); !c)
            error(cron_node, "invalid cron expression '" + *se.cron + "': " + c.error().message);
    } else if (!se.timezone.empty()) {
        error(n, "'timezone' applies to 'cron' entries only");
    }
    m_wf.on.schedule.push_back(se);
}

void Walker::stdin_trigger(const YamlNode& n) {
    if (n.IsNull()) {
        m_wf.on.stdin_format = model::StdinFormat::lines;
        return;
    }
    if (!expect(n, YAML::NodeType::Map, "the stdin trigger")) return;
    m_wf.on.stdin_format = model::StdinFormat::lines;
    keys(n, known_keys("stdin"), "the stdin trigger",
         [&](const std::string& k, const YamlNode&, const YamlNode& fv) {
             if (k == "max-record") return stdin_max_record(fv);
             if (k == "if") return trigger_filter(fv, m_wf.on.stdin_if, m_wf.on.stdin_if_loc);
             if (k == "match") return stdin_match(fv);
             if (auto f = enumeration<model::StdinFormat>(
                     fv, "stdin format",
                     {{"lines", model::StdinFormat::lines}, {"json", model::StdinFormat::json}}))
                 m_wf.on.stdin_format = *f;
         });
}

// `max-record`: a size (`64KiB`, `1M`, `4096`) from 1 byte to 1 GiB.
void Walker::stdin_max_record(const YamlNode& n) {
    auto text = scalar(n, "max-record");
    if (!text) return;
    auto size = parse_size(*text);
    if (!size) return error(n, "max-record: " + size.error().message);
    if (*size < 1 || *size > (std::uint64_t{1} << 30))
        return error(n, "max-record must be from 1 byte to 1 GiB, not " + *text);
    m_wf.on.stdin_max_record = static_cast<std::size_t>(*size);
}

// `match:` is compiled here, so a bad pattern is an error of the file, with
// PCRE2's message pointing into it; the engine compiles it again when armed.
void Walker::stdin_match(const YamlNode& n) {
    auto text = scalar(n, "'match'");
    if (!text) return;
    if (auto re = Regex::compile(*text); !re) {
        const std::size_t off = re.error().offset == Error::npos ? 0 : re.error().offset;
        error(locate_in_scalar(n, *text, std::min(off, text->size())),
              "invalid 'match' pattern: " + re.error().message);
        return;
    }
    m_wf.on.stdin_match = *text;
    m_wf.on.stdin_match_loc = loc(n);
}

void Walker::workflow_trigger(const YamlNode& key, const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Map, "the workflow trigger")) return;
    model::WorkflowTrigger wt;
    keys(n, known_keys("workflow-trigger"), "the workflow trigger",
         [&](const std::string& k, const YamlNode&, const YamlNode& wv) {
             if (k == "names") {
                 wt.names = string_list(wv, "'names'", true);
                 wt.names_loc.clear();
                 if (wv.IsSequence())
                     for (const auto& i : wv) wt.names_loc.push_back(loc(i));
                 else
                     wt.names_loc.push_back(loc(wv));
                 return;
             }
             if (k == "if") return trigger_filter(wv, wt.if_cond, wt.if_loc);
             wt.statuses.clear();
             std::vector<YamlNode> items;
             if (wv.IsScalar())
                 items.push_back(wv);
             else if (expect(wv, YAML::NodeType::Sequence, "'status'"))
                 for (const auto& i : wv) items.push_back(i);
             for (const auto& i : items)
                 if (auto st =
                         enumeration<model::RunState>(i, "run status",
                                                      {{"success", model::RunState::success},
                                                       {"failure", model::RunState::failure},
                                                       {"cancelled", model::RunState::cancelled}}))
                     wt.statuses.push_back(*st);
         });
    if (wt.names.empty())
        error(key, "the workflow trigger needs 'names' (the workflows to follow)");
    m_wf.on.workflow = wt;
}

}  // namespace weft::parse
