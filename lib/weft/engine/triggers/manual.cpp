#include "weft/engine/triggers/manual.hpp"

#include "weft/engine/resolve.hpp"
#include "weft/events/control.hpp"
#include "weft/util/strings.hpp"
#include "weft/util/time.hpp"

namespace weft::engine {

using Json = nlohmann::json;

Json ManualTrigger::request(const Json& req) {
    for (auto [key, type] : {std::pair{"workflow", "string"}, std::pair{"params", "object"}})
        if (auto bad = events::check_field(req, key, type, false)) return *bad;
    const std::string name = req.value("workflow", "");
    auto& wfs = m_dispatch.workflows();
    auto it = wfs.find(name);
    if (it == wfs.end() || it->second.removed) {
        std::vector<std::string> names;
        for (const auto& [n, a] : wfs) names.push_back(n);
        return Json{{"ok", false},
                    {"usage", true},
                    {"error", with_suggestion("no workflow '" + name + "' is armed", name, names)}};
    }
    if (m_dispatch.stopping()) return Json{{"ok", false}, {"error", "the engine is stopping"}};
    auto& a = it->second;
    const Json params = req.value("params", Json::object());
    if (auto resolved = resolve_params(a.w(), param_pairs(params)); !resolved)
        return Json{{"ok", false}, {"usage", true}, {"error", resolved.error().message}};
    const model::Event e = model::Event::manual(masked_params(a.w(), params), now());
    const model::RowId ev = m_dispatch.record(e);
    if (!ev) return Json{{"ok", false}, {"error", "cannot record the event"}};
    m_dispatch.announce(announcement(e, ev, {name}));
    const Outcome o = m_dispatch.offer(a, ev, params);
    Json reply{{"ok", true}, {"event", ev}, {"workflow", name}, {"outcome", o.outcome}};
    if (o.run) reply["run"] = o.run;
    return reply;
}

}  // namespace weft::engine
