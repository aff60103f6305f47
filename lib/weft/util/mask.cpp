#include "weft/util/mask.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace weft {

void Masker::add(std::string_view value) {
    auto add_one = [this](std::string_view v) {
        if (!v.empty() && v.back() == '\r') v.remove_suffix(1);
        if (v.find_first_not_of(" \t\r\n") == std::string_view::npos ||
            std::find(m_values.begin(), m_values.end(), v) != m_values.end())
            return;
        m_values.emplace_back(v);
    };
    add_one(value);
    for (std::size_t start = 0; start < value.size();) {
        const auto nl = value.find('\n', start);
        const auto end = nl == std::string_view::npos ? value.size() : nl;
        if (end - start < value.size()) add_one(value.substr(start, end - start));
        start = end + 1;
    }
    std::stable_sort(
        m_values.begin(), m_values.end(),
        [](const std::string& a, const std::string& b) { return a.size() > b.size(); });
}

std::string Masker::apply(std::string_view text) const {
    std::string out(text);
    for (const auto& v : m_values) {
        for (std::size_t at = 0; (at = out.find(v, at)) != std::string::npos;) {
            out.replace(at, v.size(), k_mask);
            at += k_mask.size();
        }
    }
    return out;
}

void mask_secret_param(nlohmann::json& value) {
    if (value.is_string() && value.get_ref<const std::string&>().empty()) return;
    value = std::string(Masker::k_mask);
}

}  // namespace weft
