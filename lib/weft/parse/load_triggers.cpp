// The loader's walk of `on`: one member per trigger kind.
#include "weft/cron/cron.hpp"
#include "weft/parse/walker.hpp"
#include "weft/util/size.hpp"

namespace weft::parse {

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
             if (k == "cron") {
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

void Walker::workflow_trigger(const YamlNode& key, const YamlNode& n) {
    if (!expect(n, YAML::NodeType::Map, "the workflow trigger")) return;
    model::WorkflowTrigger wt;
    keys(n, known_keys("workflow-trigger"), "the workflow trigger",
         [&](const std::string& k, const YamlNode&, const YamlNode& wv) {
             if (k == "names") {
                 wt.names = string_list(wv, "'names'", true);
                 return;
             }
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
