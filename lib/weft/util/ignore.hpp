#pragma once
// `.gitignore` and `.ignore` files with git's rules, for the file trigger
// (SPEC §1 `gitignore`): `#` comments, `!` re-includes, a trailing `/`
// matches directories only, a pattern with a `/` before its end is anchored
// to its file's directory, any other matches a name at any depth; a deeper
// file's rules override a shallower one's, the last matching rule wins, and
// nothing under an ignored directory is re-included.
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace weft {

class IgnoreFiles {
  public:
    // True when `path` (relative to the working directory) is ignored.
    bool ignored(const std::string& path, bool is_dir);
    // Forget what was read (a .gitignore changed).
    void clear() { m_rules.clear(); }

  private:
    struct Rule {
        std::string pattern;
        bool negate = false;
        bool dir_only = false;
        bool anchored = false;
    };
    const std::vector<Rule>& rules_of(const std::string& dir);
    // nullopt-like tri-state: -1 no rule matched, 0 included, 1 ignored.
    int match_in(const std::string& dir, const std::string& path, bool is_dir);
    std::map<std::string, std::vector<Rule>> m_rules;  // directory -> its rules, in file order
};

}  // namespace weft
