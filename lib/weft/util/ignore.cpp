#include "weft/util/ignore.hpp"

#include <fstream>

#include "weft/util/glob.hpp"

namespace weft {

const std::vector<IgnoreFiles::Rule>& IgnoreFiles::rules_of(const std::string& dir) {
    if (auto it = m_rules.find(dir); it != m_rules.end()) return it->second;
    std::vector<Rule> rules;
    for (const char* name : {".gitignore", ".ignore"}) {
        std::ifstream f(dir == "." ? std::string(name) : dir + "/" + name);
        for (std::string line; std::getline(f, line);) {
            if (!line.empty() && line.back() == '\r') line.pop_back();
            while (!line.empty() && line.back() == ' ' &&
                   (line.size() < 2 || line[line.size() - 2] != '\\'))
                line.pop_back();
            if (line.empty() || line[0] == '#') continue;
            Rule r;
            if (line[0] == '!') {
                r.negate = true;
                line.erase(0, 1);
            } else if (line.rfind("\\!", 0) == 0 || line.rfind("\\#", 0) == 0) {
                line.erase(0, 1);
            }
            if (!line.empty() && line.back() == '/') {
                r.dir_only = true;
                line.pop_back();
            }
            if (line.empty()) continue;
            if (line.find('/') != std::string::npos) r.anchored = true;
            if (line[0] == '/') line.erase(0, 1);
            r.pattern = line;
            rules.push_back(std::move(r));
        }
    }
    return m_rules.emplace(dir, std::move(rules)).first->second;
}

int IgnoreFiles::match_in(const std::string& dir, const std::string& path, bool is_dir) {
    const std::string rel = dir == "." ? path : path.substr(dir.size() + 1);
    const auto slash = rel.rfind('/');
    const std::string_view base = slash == std::string::npos
                                      ? std::string_view(rel)
                                      : std::string_view(rel).substr(slash + 1);
    int result = -1;
    for (const auto& r : rules_of(dir)) {
        if (r.dir_only && !is_dir) continue;
        if (r.anchored ? glob_match(r.pattern, rel) : glob_match(r.pattern, base))
            result = r.negate ? 0 : 1;
    }
    return result;
}

bool IgnoreFiles::ignored(const std::string& path, bool is_dir) {
    // Every ancestor directory first: nothing under an ignored one comes back.
    std::vector<std::string> dirs{"."};
    for (std::size_t i = path.find('/'); i != std::string::npos; i = path.find('/', i + 1))
        dirs.push_back(path.substr(0, i));
    for (std::size_t k = 1; k < dirs.size(); ++k) {
        int verdict = -1;
        for (std::size_t j = 0; j < k; ++j)
            if (int m = match_in(dirs[j], dirs[k], true); m >= 0) verdict = m;
        if (verdict == 1) return true;
    }
    int verdict = -1;
    for (const auto& d : dirs)
        if (int m = match_in(d, path, is_dir); m >= 0) verdict = m;
    return verdict == 1;
}

}  // namespace weft
