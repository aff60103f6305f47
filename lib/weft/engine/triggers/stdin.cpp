#include "weft/engine/triggers/stdin.hpp"

#include <optional>

#include "weft/util/time.hpp"

namespace weft::engine {

StdinTrigger::StdinTrigger(Dispatch& dispatch, uv_loop_t* loop, std::function<void()> ended)
    : m_dispatch(dispatch), m_loop(loop), m_on_end(std::move(ended)) {}

Result<void> StdinTrigger::arm() {
    if (m_tried) return {};
    m_tried = true;
    std::optional<model::StdinFormat> format;
    for (const auto& [n, a] : m_dispatch.workflows()) {
        if (!a.w().on.stdin_format) continue;
        if (format && *format != *a.w().on.stdin_format)
            return make_error(Errc::invalid,
                              "workflows disagree on the stdin format ('lines' and 'json'); one "
                              "engine reads one stdin");
        format = a.w().on.stdin_format;
    }
    if (!format) return {};
    m_armed = true;
    const bool json = *format == model::StdinFormat::json;
    m_reader = std::make_unique<events::StdinReader>(
        m_loop, 0, *format,
        [this, json](std::string text, std::string err) { on_record(std::move(text), err, json); },
        [this] {
            m_ended = true;
            m_dispatch.announce({{"type", "stdin"}, {"message", "end of input"}});
            if (m_on_end) m_on_end();
        });
    return {};
}

const char* StdinTrigger::state() const {
    return m_armed ? (m_ended ? "ended" : "reading") : "none";
}

void StdinTrigger::on_record(std::string text, const std::string& err, bool json) {
    if (m_dispatch.stopping()) return;
    if (!err.empty()) {
        m_dispatch.error("stdin: " + err + "; record skipped: " + text.substr(0, 80));
        return;
    }
    std::vector<std::string> targets;
    for (const auto& [n, a] : m_dispatch.workflows())
        if (!a.removed && a.w().on.stdin_format) targets.push_back(n);
    // Recorded and offered, not announced (as weft up has always done).
    m_dispatch.fire(model::Event::stdin_line(std::move(text), json, now()), targets, true);
}

}  // namespace weft::engine
