#include "weft/engine/outputs.hpp"

#include <string>

namespace weft::engine {

namespace {

bool valid_key(std::string_view k) {
    if (k.empty()) return false;
    for (char c : k)
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    return true;
}

}  // namespace

Result<nlohmann::json> parse_outputs(std::string_view text) {
    nlohmann::json out = nlohmann::json::object();
    std::size_t pos = 0;
    int line_no = 0;
    auto next_line = [&](std::string_view& line) {
        if (pos >= text.size()) return false;
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        line = text.substr(pos, end - pos);
        if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
        pos = end + 1;
        ++line_no;
        return true;
    };
    std::string_view line;
    while (next_line(line)) {
        if (line.empty()) continue;
        const std::size_t eq = line.find('=');
        const std::size_t heredoc = line.find("<<");
        if (heredoc != std::string_view::npos && (eq == std::string_view::npos || heredoc < eq)) {
            const std::string key(line.substr(0, heredoc));
            const std::string_view delim = line.substr(heredoc + 2);
            if (!valid_key(key) || delim.empty())
                return make_error(Errc::invalid, "$WEFT_OUTPUT line " + std::to_string(line_no) +
                                                     ": expected key<<DELIMITER");
            const int start_line = line_no;
            std::string value;
            bool closed = false, first = true;
            while (next_line(line)) {
                if (line == delim) {
                    closed = true;
                    break;
                }
                if (!first) value += '\n';
                value += line;
                first = false;
            }
            if (!closed)
                return make_error(Errc::invalid, "$WEFT_OUTPUT line " + std::to_string(start_line) +
                                                     ": delimiter '" + std::string(delim) +
                                                     "' of '" + key + "' never comes");
            out[key] = value;
        } else if (eq != std::string_view::npos) {
            const std::string key(line.substr(0, eq));
            if (!valid_key(key))
                return make_error(Errc::invalid, "$WEFT_OUTPUT line " + std::to_string(line_no) +
                                                     ": invalid key '" + key + "'");
            out[key] = std::string(line.substr(eq + 1));
        } else {
            return make_error(Errc::invalid, "$WEFT_OUTPUT line " + std::to_string(line_no) +
                                                 ": expected key=value or key<<DELIMITER");
        }
    }
    return out;
}

}  // namespace weft::engine
