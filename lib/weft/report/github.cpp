#include "weft/report/github.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>

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

const char* command_of(engine::Severity severity) {
    return severity == engine::Severity::error ? "::error" : "::warning";
}

// A table cell: a `|` would end it, a newline the row.
std::string cell(std::string_view text) {
    std::string out;
    for (char c : valid_utf8(text)) {
        if (c == '|')
            out += "\\|";
        else
            out += c == '\n' || c == '\r' ? ' ' : c;
    }
    return out;
}

// A fence longer than the longest run of backticks in `lines`, at least 3.
std::string fence_for(const std::vector<std::string>& lines) {
    std::size_t longest = 0;
    for (const auto& l : lines) {
        std::size_t run = 0;
        for (char c : l) {
            run = c == '`' ? run + 1 : 0;
            longest = std::max(longest, run);
        }
    }
    return std::string(std::max<std::size_t>(3, longest + 1), '`');
}

std::string status_text(const engine::StepEnd& end) {
    const std::string why = end_reason(end);
    std::string s = model::to_string(end.status);
    if (!why.empty() && why != s) s += " (" + why + ")";
    return s;
}

}  // namespace

bool under_github_actions() {
    const char* gha = std::getenv("GITHUB_ACTIONS");
    return gha && std::string_view(gha) == "true";
}

std::string gha_escape_data(std::string_view text) {
    return escape(text, false);
}

std::string gha_escape_property(std::string_view text) {
    return escape(text, true);
}

std::string gha_error(const std::string& step, const engine::StepEnd& end,
                      engine::Severity severity) {
    const std::string why = end_reason(end);
    return std::string(command_of(severity)) + " title=" + gha_escape_property(step) + "::" +
           gha_escape_data("step " + step + " failed" + (why.empty() ? "" : " (" + why + ")") +
                           (severity == engine::Severity::warning ? "; continue-on-error" : ""));
}

std::string gha_file_annotation(engine::Severity severity, const std::string& file, int line,
                                int col, std::string_view message) {
    std::string s = std::string(command_of(severity)) + " file=" + gha_escape_property(file);
    if (line > 0) {
        s += ",line=" + std::to_string(line);
        if (col > 0) s += ",col=" + std::to_string(col);
    }
    return s + "::" + gha_escape_data(message);
}

std::string gha_summary(model::RowId run, const std::string& workflow, model::RunState status,
                        Duration d, const std::string& message,
                        const std::vector<SummaryStep>& steps) {
    std::string md = "### weft: run " + std::to_string(run) + " (" + cell(workflow) +
                     "): " + model::to_string(status) + " in " + human_duration(d) + "\n\n";
    if (!message.empty()) md += "> " + cell(message) + "\n\n";
    md += "| Step | Status | Duration |\n| --- | --- | --- |\n";
    for (const auto& s : steps)
        md += "| " + cell(s.step) + " | " + cell(status_text(s.end)) + " | " +
              (s.end.attempt == 0 ? std::string("-") : human_duration(s.end.duration)) + " |\n";
    for (const auto& s : steps) {
        if (s.end.status != model::StepState::failure) continue;
        md += "\n#### " + cell(s.step) + ": " + cell(status_text(s.end)) + "\n\n";
        if (s.tail.empty()) {
            md += "(no output)\n";
            continue;
        }
        const std::string fence = fence_for(s.tail);
        md += fence + "text\n";
        for (const auto& l : s.tail) md += valid_utf8(l) + "\n";
        md += fence + "\n";
    }
    return md + "\n";
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
    if (!m_summary_path.empty() && !end.will_retry) {
        SummaryStep ended{step, end, {}};
        if (failed) {
            const auto n = std::min(held.lines.size(), k_summary_lines);
            ended.tail.assign(held.lines.end() - static_cast<std::ptrdiff_t>(n), held.lines.end());
        }
        m_ended.push_back(std::move(ended));
    }
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
    if (failed && !end.will_retry)
        out::print_to(m_out, "{}\n",
                      gha_error(step, end,
                                m_continue_on_error.contains(step) ? engine::Severity::warning
                                                                   : engine::Severity::error));
    std::fflush(m_out);
}

void GithubReporter::run_finished(model::RowId run, const std::string& workflow,
                                  model::RunState status, Duration d, const std::string& message,
                                  TimePoint t) {
    // A run ends failed with a message only when its `timeout` stopped it;
    // its steps end cancelled then, which raises nothing of itself.
    if (status == model::RunState::failure && !message.empty())
        out::print_to(m_out, "::error title={}::{}\n",
                      gha_escape_property("run " + std::to_string(run) + " (" + workflow + ")"),
                      gha_escape_data(message));
    PlainReporter::run_finished(run, workflow, status, d, message, t);
    if (m_summary_path.empty()) return;
    const std::string md = gha_summary(run, workflow, status, d, message, m_ended);
    m_ended.clear();
    std::FILE* f = std::fopen(m_summary_path.c_str(), "a");
    bool written = f && std::fwrite(md.data(), 1, md.size(), f) == md.size();
    int err = errno;
    if (f && std::fclose(f) != 0 && written) {
        written = false;
        err = errno;
    }
    if (!written)
        print_problem(engine::Severity::warning,
                      "GITHUB_STEP_SUMMARY " + m_summary_path + ": " + std::strerror(err));
}

}  // namespace weft::report
