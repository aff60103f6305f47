#include "weft/report/live.hpp"
#include "weft/report/reporters.hpp"

#include <poll.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>

#include "weft/util/out.hpp"

namespace weft::report {

namespace {

struct Marker {
    const char* unicode;
    const char* ascii;
    Tone tone;
};

constexpr Marker k_running{"•", "*", Tone::active};
constexpr Marker k_retrying{"↻", "~", Tone::warn};

Marker marker_of(const engine::StepEnd& end) {
    if (end.will_retry) return k_retrying;
    switch (end.status) {
        case model::StepState::success:
            return {"✓", "ok", Tone::good};
        case model::StepState::failure:
            return {"✗", "FAIL", Tone::bad};
        case model::StepState::up_to_date:
            return {"=", "=", Tone::good};
        case model::StepState::skipped:
            return {"-", "-", Tone::dim};
        case model::StepState::cancelled:
        case model::StepState::interrupted:
            return {"⊘", "!", Tone::warn};
        case model::StepState::pending:
        case model::StepState::running:
            break;
    }
    return k_running;
}

// `marker rest`, the marker coloured, the whole at most `width` columns.
std::string row(const Marker& m, const std::string& rest, std::size_t width, const Style& style) {
    const char* glyph = style.unicode ? m.unicode : m.ascii;
    const std::size_t used = display_width(glyph) + 1;
    return paint(glyph, m.tone, style) + " " +
           truncate_to_width(rest, width > used ? width - used : 0, style);
}

// Elapsed time with a steady tenth of a second under a minute (`0.0s`,
// `12.3s`), so the line does not jump between `950ms` and `1.0s`.
std::string live_duration(Duration d) {
    const long long ms = std::max<long long>(0, d.count());
    if (ms >= 60'000) return human_duration(Duration{ms});
    return std::to_string(ms / 1000) + "." + std::to_string(ms / 100 % 10) + "s";
}

std::string step_status(const LiveStep& s, TimePoint now) {
    if (s.retry_at)
        return "retry in " + live_duration(*s.retry_at - now) + " (attempt " +
               std::to_string(s.attempt + 1) + ")";
    return live_duration(now - s.started) +
           (s.attempt > 1 ? " (attempt " + std::to_string(s.attempt) + ")" : "");
}

// `id`, single-quoted when a shell would need it (`'test[suite=unit]'`).
std::string shell_word(const std::string& id) {
    const bool plain = std::all_of(id.begin(), id.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
    });
    if (plain) return id;
    std::string out = "'";
    for (char c : id) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

}  // namespace

std::string step_of(const std::string& id) {
    return id.substr(0, id.find('['));
}

std::vector<std::string> render_frame(const LiveState& state, TimePoint now, TermSize size,
                                      const Style& style) {
    const std::size_t width = size.cols > 1 ? static_cast<std::size_t>(size.cols - 1) : 1;
    struct Row {
        std::string text;
        int steps = 0;  // running instances the row stands for (a group's header: none)
    };
    std::vector<Row> rows;
    // Instances grouped under their step, groups in the order they first started.
    std::vector<std::pair<std::string, std::vector<const LiveStep*>>> groups;
    for (const auto& s : state.running) {
        const std::string step = step_of(s.id);
        auto it = std::find_if(groups.begin(), groups.end(),
                               [&](const auto& g) { return g.first == step; });
        if (it == groups.end())
            groups.push_back({step, {&s}});
        else
            it->second.push_back(&s);
    }
    for (const auto& [step, members] : groups) {
        const bool matrix = state.instances.count(step) > 0 || members.front()->id != step;
        if (!matrix) {
            for (const auto* s : members)
                rows.push_back(
                    {row(s->retry_at ? k_retrying : k_running,
                         terminal_safe(s->id) + "  " + step_status(*s, now), width, style),
                     1});
            continue;
        }
        const auto waiting = std::count_if(members.begin(), members.end(),
                                           [](const auto* s) { return s->retry_at.has_value(); });
        const auto running = static_cast<long>(members.size()) - waiting;
        std::string head = step + "  " + std::to_string(running);
        if (auto it = state.instances.find(step); it != state.instances.end())
            head += "/" + std::to_string(it->second);
        head += " running";
        if (waiting > 0) head += ", " + std::to_string(waiting) + " waiting to retry";
        if (auto it = state.ended.find(step); it != state.ended.end() && it->second > 0)
            head += ", " + std::to_string(it->second) + " done";
        rows.push_back({row(k_running, head, width, style), 0});
        for (const auto* s : members)
            rows.push_back({"  " + row(s->retry_at ? k_retrying : k_running,
                                       terminal_safe(s->id) + "  " + step_status(*s, now),
                                       width > 2 ? width - 2 : 0, style),
                            1});
    }

    // Never more lines than the terminal has (less one for the cursor): the
    // cursor cannot move up past the top of the screen to redraw them.
    const std::size_t max_rows = static_cast<std::size_t>(std::max(1, size.rows - 1));
    if (rows.size() > max_rows) {
        int hidden = 0;
        for (std::size_t i = max_rows - 1; i < rows.size(); ++i) hidden += rows[i].steps;
        rows.resize(max_rows - 1);
        rows.push_back({truncate_to_width((style.unicode ? "… " : "... ") + std::to_string(hidden) +
                                              " more running",
                                          width, style),
                        0});
    }
    std::vector<std::string> out;
    out.reserve(rows.size());
    for (auto& r : rows) out.push_back(std::move(r.text));
    return out;
}

std::string finished_line(const std::string& step, const engine::StepEnd& end, const Style& style) {
    const Marker m = marker_of(end);
    const std::string why = end_reason(end);
    const std::string took = human_duration(end.duration);
    const char* glyph = style.unicode ? m.unicode : m.ascii;
    std::string rest = terminal_safe(step) + "  ";  // a matrix value may hold anything
    if (end.will_retry) {
        rest += "attempt " + std::to_string(end.attempt) + " failed in " + took +
                (why.empty() ? "" : " (" + why + ")") + "; retrying in " +
                human_duration(end.retry_in);
    } else if (end.status == model::StepState::success) {
        rest += took;
    } else if (end.attempt == 0 || end.status == model::StepState::skipped ||
               end.status == model::StepState::up_to_date) {
        // Never ran: the state word says what happened.
        rest += paint(model::to_string(end.status), m.tone, style);
        if (!why.empty() && why != model::to_string(end.status)) rest += " (" + why + ")";
    } else if (end.status == model::StepState::failure) {
        rest += took + (why.empty() ? "" : " (" + why + ")");
    } else {  // cancelled or interrupted while it ran
        rest += paint(model::to_string(end.status), m.tone, style) + " after " + took;
        if (end.signal) rest += " (" + *end.signal + ")";
    }
    return paint(glyph, m.tone, style) + " " + rest;
}

LiveReporter::LiveReporter(std::FILE* out, Verbosity v, Style style,
                           std::map<std::string, int> matrix_sizes, TermSize fallback)
    : m_out(out), m_verbosity(v), m_style(style), m_size(fallback) {
    m_state.instances = std::move(matrix_sizes);
}

// Elapsed times show tenths of a second; 100 ms keeps them current, and an
// unchanged frame is not written again.
Duration LiveReporter::tick_interval() const {
    return m_verbosity == Verbosity::quiet ? Duration{0} : Duration{100};
}

void LiveReporter::tick(TimePoint t) {
    if (!m_finished) draw(t);
}

void LiveReporter::run_started(model::RowId run, const std::string& workflow, int attempt,
                               TimePoint t) {
    m_run = run;
    if (m_verbosity == Verbosity::quiet) return;
    m_pending.push_back("run " + std::to_string(run) + " (" + workflow + ") started" +
                        (attempt > 1 ? ", attempt " + std::to_string(attempt) : ""));
    draw(t);
}

void LiveReporter::step_started(model::RowId, const std::string& step, int attempt, TimePoint t) {
    m_tails[step] = Tail{};
    auto it = std::find_if(m_state.running.begin(), m_state.running.end(),
                           [&](const LiveStep& s) { return s.id == step; });
    if (it == m_state.running.end()) {
        m_state.running.push_back({step, t, attempt, std::nullopt});
    } else {  // the next attempt of a step that was waiting to retry
        it->started = t;
        it->attempt = attempt;
        it->retry_at.reset();
    }
}

void LiveReporter::log(model::RowId, const std::string& step, int, const std::string& text,
                       TimePoint) {
    auto& tail = m_tails[step];
    ++tail.count;
    tail.lines.push_back(text);
    if (tail.lines.size() > k_tail_lines) tail.lines.pop_front();
    if (m_verbosity == Verbosity::verbose)
        m_pending.push_back(terminal_safe(step) + " | " + terminal_safe(text, colors()));
}

void LiveReporter::step_finished(model::RowId, const std::string& step, const engine::StepEnd& end,
                                 TimePoint t) {
    auto it = std::find_if(m_state.running.begin(), m_state.running.end(),
                           [&](const LiveStep& s) { return s.id == step; });
    if (end.will_retry) {
        if (it != m_state.running.end()) {
            it->attempt = end.attempt;
            it->retry_at = t + end.retry_in;
        }
    } else {
        if (it != m_state.running.end()) m_state.running.erase(it);
        if (step_of(step) != step) ++m_state.ended[step_of(step)];
    }
    const bool failed = end.status == model::StepState::failure;
    if (m_verbosity == Verbosity::quiet && !failed) return;
    m_pending.push_back(finished_line(step, end, m_style));
    if (failed && !end.will_retry) {
        const auto& tail = m_tails[step];
        const std::string bar = paint(m_style.unicode ? "│" : "|", Tone::dim, m_style);
        if (tail.count > tail.lines.size())
            m_pending.push_back("  " + bar + " " + (m_style.unicode ? "… " : "... ") +
                                std::to_string(tail.count - tail.lines.size()) +
                                " earlier lines: weft logs " + std::to_string(m_run) + " " +
                                shell_word(step));
        for (const auto& l : tail.lines)
            m_pending.push_back("  " + bar + " " + terminal_safe(l, colors()));
    }
    m_tails.erase(step);
    // Quiet draws no region and has no ticks: print now.
    if (m_verbosity == Verbosity::quiet) draw(t);
}

void LiveReporter::run_finished(model::RowId run, const std::string& workflow,
                                model::RunState status, Duration d, const std::string& message,
                                TimePoint t) {
    m_pending.push_back(summary_line(run, workflow, status, d, message, m_style.color));
    m_finished = true;
    draw(t);
}

void LiveReporter::draw(TimePoint now) {
    std::vector<std::string> region;
    if (!m_finished && m_verbosity != Verbosity::quiet) {
        // Asked every frame rather than on SIGWINCH: one ioctl per 100 ms.
        if (auto size = terminal_size(fileno(m_out))) m_size = *size;
        region = render_frame(m_state, now, m_size, m_style);
    }
    if (m_pending.empty() && region == m_region) return;
    // Back to the region's first line, then overwrite line by line (each
    // cleared only to its end, so nothing blanks between frames).
    std::string frame;
    if (!m_region.empty()) frame += "\r\033[" + std::to_string(m_region.size()) + "A";
    for (const auto& l : m_pending) frame += l + "\033[K\n";
    for (const auto& l : region) frame += l + "\033[K\n";
    if (!m_region.empty()) frame += "\033[J";  // what is left of a longer region before
    m_pending.clear();
    m_region = std::move(region);
    write_out(frame);
}

void LiveReporter::write_out(const std::string& bytes) {
    std::fflush(m_out);
    const int fd = fileno(m_out);
    if (fd < 0) {  // not a file descriptor (tests write to memory)
        out::write(m_out, bytes);
        std::fflush(m_out);
        return;
    }
    // One write(2) per frame, so the terminal never shows half a frame.
    std::size_t off = 0;
    while (off < bytes.size()) {
        const ssize_t n = ::write(fd, bytes.data() + off, bytes.size() - off);
        if (n > 0) {
            off += static_cast<std::size_t>(n);
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && errno == EAGAIN) {  // someone made the terminal non-blocking
            pollfd p{fd, POLLOUT, 0};
            ::poll(&p, 1, 100);
        } else {
            return;  // the terminal is gone: nothing more to show
        }
    }
}

}  // namespace weft::report

namespace weft::report {

void LiveReporter::problem(engine::Severity severity, const std::string& text) {
    print_problem(severity, text);
}

}  // namespace weft::report
