#include "weft/engine/triggers/stdin.hpp"

#include <algorithm>
#include <optional>

#include "weft/util/size.hpp"
#include "weft/util/time.hpp"

namespace weft::engine {

StdinTrigger::StdinTrigger(Dispatch& dispatch, uv_loop_t* loop, std::function<void()> ended)
    : m_dispatch(dispatch), m_loop(loop), m_on_end(std::move(ended)) {}

Result<void> StdinTrigger::arm() {
    if (m_tried) return {};
    m_tried = true;
    std::optional<model::StdinFormat> format;
    std::size_t max_record = model::k_stdin_max_record;
    bool first = true;
    for (const auto& [n, a] : m_dispatch.workflows()) {
        if (!a.w().on.stdin_format) continue;
        // One record is one event for every stdin workflow: the smallest
        // bound holds for all.
        max_record =
            first ? a.w().on.stdin_max_record : std::min(max_record, a.w().on.stdin_max_record);
        first = false;
        if (format && *format != *a.w().on.stdin_format)
            return make_error(Errc::invalid,
                              "workflows disagree on the stdin format ('lines' and 'json'); one "
                              "engine reads one stdin");
        format = a.w().on.stdin_format;
    }
    if (!format) return {};
    m_armed = true;
    const bool json = *format == model::StdinFormat::json;
    m_max_record = max_record;
    m_reader = std::make_unique<events::StdinReader>(
        m_loop, 0, *format,
        [this, json](std::string text, std::string err, bool truncated) {
            on_record(std::move(text), err, json, truncated);
        },
        [this] {
            m_ended = true;
            m_dispatch.announce({{"type", "stdin"}, {"message", "end of input"}});
            if (m_on_end) m_on_end();
        },
        max_record);
    return {};
}

const char* StdinTrigger::state() const {
    return m_armed ? (m_ended ? "ended" : "reading") : "none";
}

void StdinTrigger::on_record(std::string text, const std::string& err, bool json, bool truncated) {
    if (m_dispatch.stopping()) return;
    if (!err.empty()) {
        m_dispatch.error("stdin: " + err + "; record skipped: " + text.substr(0, 80));
        return;
    }
    std::vector<std::string> targets;
    for (const auto& [n, a] : m_dispatch.workflows())
        if (!a.removed && a.w().on.stdin_format) targets.push_back(n);
    const model::RowId ev =
        m_dispatch.fire(model::Event::stdin_line(std::move(text), json, now(), truncated), targets);
    if (truncated && ev)
        m_dispatch.announce(
            {{"type", "stdin"},
             {"event", ev},
             {"warning", true},
             {"message", "weft: warning: event " + std::to_string(ev) +
                             ": a stdin record longer than " + format_size(m_max_record) +
                             " (on.stdin.max-record) was cut there"}});
}

}  // namespace weft::engine
