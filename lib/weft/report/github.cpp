#include "weft/report/github.hpp"

#include "weft/report/terminal.hpp"
#include "weft/util/out.hpp"

namespace weft::report {

namespace {

std::string escape(std::string_view text, bool property) {
    std::string out;
    out.reserve(text.size());
    for (char c : text) {
        switch (c) {
            case '%':
                out += "%25";
                break;
            case '\r':
                out += "%0D";
                break;
            case '\n':
                out += "%0A";
                break;
            case ':':
                out += property ? "%3A" : ":";
                break;
            case ',':
                out += property ? "%2C" : ",";
                break;
            default:
                out += c;
        }
    }
    return out;
}

// `success in 1.2s`, `failure in 0.4s, exit code 2`, `attempt 1 failed in
// 0.3s, exit code 1; retrying in 1.0s`: what a group's title says of the end.
std::string group_status(const engine::StepEnd& end) {
    const std::string why = end_reason(end);
    if (end.will_retry)
        return "attempt " + std::to_string(end.attempt) + " failed in " +
               human_duration(end.duration) + (why.empty() ? "" : ", " + why) + "; retrying in " +
               human_duration(end.retry_in);
    std::string s =
        std::string(model::to_string(end.status)) + " in " + human_duration(end.duration);
    if (!why.empty() && why != model::to_string(end.status)) s += ", " + why;
    return s;
}

}  // namespace

std::string gha_escape_data(std::string_view text) {
    return escape(text, false);
}

std::string gha_escape_property(std::string_view text) {
    return escape(text, true);
}

std::string gha_error(const std::string& step, const engine::StepEnd& end) {
    const std::string why = end_reason(end);
    return "::error title=" + gha_escape_property(step) + "::" +
           gha_escape_data("step " + step + " failed" + (why.empty() ? "" : " (" + why + ")"));
}

void GithubReporter::log(model::RowId, const std::string& step, int, const std::string& text,
                         TimePoint) {
    auto& h = m_held[step];
    if (h.bytes + text.size() > k_held_bytes) {
        ++h.dropped;
        return;
    }
    h.bytes += text.size();
    h.lines.push_back(text);
}

void GithubReporter::step_finished(model::RowId, const std::string& step,
                                   const engine::StepEnd& end, TimePoint) {
    const bool failed = end.status == model::StepState::failure;
    auto it = m_held.find(step);
    Held held = it == m_held.end() ? Held{} : std::move(it->second);
    if (it != m_held.end()) m_held.erase(it);
    if (m_verbosity == Verbosity::quiet && !failed) return;
    if (end.attempt == 0 && held.lines.empty()) {  // never ran: one plain line, nothing to fold
        out::print_to(m_out, "{}\n", finished_text(step, end));
    } else {
        std::string group =
            "::group::" + gha_escape_data(step + " (" + group_status(end) + ")") + "\n";
        for (const auto& l : held.lines) group += valid_utf8(l) + "\n";
        if (held.dropped > 0)
            group += "weft: " + std::to_string(held.dropped) + " more lines not shown (over " +
                     std::to_string(k_held_bytes >> 20) + " MiB)\n";
        group += "::endgroup::\n";
        out::write(m_out, group);
    }
    if (failed && !end.will_retry) out::print_to(m_out, "{}\n", gha_error(step, end));
    std::fflush(m_out);
}

}  // namespace weft::report
