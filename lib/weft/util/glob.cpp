#include "weft/util/glob.hpp"

#include <algorithm>
#include <filesystem>
#include <system_error>

namespace weft {

namespace {

namespace fs = std::filesystem;

// `{a,b}` alternatives expanded into plain patterns (innermost last).
void expand_braces(const std::string& p, std::vector<std::string>& out) {
    int depth = 0;
    std::size_t open = std::string::npos;
    for (std::size_t i = 0; i < p.size(); ++i) {
        if (p[i] == '[') {  // braces inside a class are literal
            const auto close = p.find(']', i + 2);
            if (close != std::string::npos) i = close;
            continue;
        }
        if (p[i] == '{' && depth++ == 0)
            open = i;
        else if (p[i] == '}' && depth > 0 && --depth == 0) {
            std::vector<std::string> alts;
            int d = 0;
            std::size_t start = open + 1;
            for (std::size_t j = open + 1; j < i; ++j) {
                if (p[j] == '{')
                    ++d;
                else if (p[j] == '}')
                    --d;
                else if (p[j] == ',' && d == 0) {
                    alts.push_back(p.substr(start, j - start));
                    start = j + 1;
                }
            }
            alts.push_back(p.substr(start, i - start));
            for (const auto& a : alts) expand_braces(p.substr(0, open) + a + p.substr(i + 1), out);
            return;
        }
    }
    out.push_back(p);
}

// One segment against one name: `*`, `?`, classes.
bool match_segment(std::string_view pat, std::string_view name) {
    std::size_t p = 0, n = 0, star_p = std::string_view::npos, star_n = 0;
    while (n < name.size()) {
        if (p < pat.size() && pat[p] == '*') {
            star_p = p++;
            star_n = n;
            continue;
        }
        if (p < pat.size() && pat[p] == '[') {
            std::size_t q = p + 1;
            const bool negate = q < pat.size() && (pat[q] == '!' || pat[q] == '^');
            if (negate) ++q;
            bool hit = false;
            std::size_t first = q;
            while (q < pat.size() && (pat[q] != ']' || q == first)) {
                if (q + 2 < pat.size() && pat[q + 1] == '-' && pat[q + 2] != ']') {
                    if (name[n] >= pat[q] && name[n] <= pat[q + 2]) hit = true;
                    q += 3;
                } else {
                    if (name[n] == pat[q]) hit = true;
                    ++q;
                }
            }
            if (q < pat.size() && hit != negate) {
                p = q + 1;
                ++n;
                continue;
            }
            if (q >= pat.size() && name[n] == '[') {  // no closing ']': literal
                ++p;
                ++n;
                continue;
            }
        } else if (p < pat.size() && (pat[p] == '?' || pat[p] == name[n])) {
            ++p;
            ++n;
            continue;
        }
        if (star_p == std::string_view::npos) return false;
        p = star_p + 1;
        n = ++star_n;
    }
    while (p < pat.size() && pat[p] == '*') ++p;
    return p == pat.size();
}

std::vector<std::string_view> split(std::string_view s) {
    std::vector<std::string_view> parts;
    while (s.substr(0, 2) == "./") s.remove_prefix(2);
    for (std::size_t start = 0; start <= s.size();) {
        const auto slash = s.find('/', start);
        const auto end = slash == std::string_view::npos ? s.size() : slash;
        if (end > start) parts.push_back(s.substr(start, end - start));
        if (slash == std::string_view::npos) break;
        start = slash + 1;
    }
    return parts;
}

bool match_parts(const std::vector<std::string_view>& pat, std::size_t pi,
                 const std::vector<std::string_view>& path, std::size_t xi) {
    if (pi == pat.size()) return xi == path.size();
    if (pat[pi] == "**") {
        for (std::size_t k = xi; k <= path.size(); ++k)
            if (match_parts(pat, pi + 1, path, k)) return true;
        return false;
    }
    return xi < path.size() && match_segment(pat[pi], path[xi]) &&
           match_parts(pat, pi + 1, path, xi + 1);
}

}  // namespace

bool has_wildcard(std::string_view pattern) {
    return pattern.find_first_of("*?[{") != std::string_view::npos;
}

bool glob_match(std::string_view pattern, std::string_view path) {
    std::vector<std::string> pats;
    expand_braces(std::string(pattern), pats);
    const auto xs = split(path);
    for (const auto& p : pats)
        if (match_parts(split(p), 0, xs, 0)) return true;
    return false;
}

std::vector<std::string> glob_files(std::string_view pattern) {
    std::vector<std::string> pats;
    expand_braces(std::string(pattern), pats);
    std::vector<std::string> out;
    std::error_code ec;
    for (const auto& p : pats) {
        const auto parts = split(p);
        if (parts.empty()) continue;
        // Walk only from the longest wildcard-free prefix.
        std::string base;
        std::size_t fixed = 0;
        while (fixed < parts.size() && !has_wildcard(parts[fixed])) {
            base += (base.empty() ? "" : "/") + std::string(parts[fixed]);
            ++fixed;
        }
        if (fixed == parts.size()) {
            if (fs::is_regular_file(base, ec)) out.push_back(base);
            continue;
        }
        const fs::path root = base.empty() ? fs::path(".") : fs::path(base);
        if (!fs::is_directory(root, ec)) continue;
        for (auto it = fs::recursive_directory_iterator(
                 root, fs::directory_options::skip_permission_denied, ec);
             !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
            if (!it->is_regular_file(ec)) continue;
            std::string rel = it->path().lexically_normal().generic_string();
            if (glob_match(p, rel)) out.push_back(rel);
        }
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
}

}  // namespace weft
