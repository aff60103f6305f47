#pragma once
// Secret masking (SPEC §4): every value registered here is replaced by `***`
// in whatever weft prints or stores. A value with several lines is masked
// whole and line by line, since a step's output reaches weft one line at a
// time.
#include <string>
#include <string_view>
#include <vector>

namespace weft {

class Masker {
  public:
    static constexpr std::string_view k_mask = "***";
    // Register a secret value. Values of white space only (and such lines
    // of a multi-line value) mask nothing.
    void add(std::string_view value);
    bool empty() const { return m_values.empty(); }
    // `text` with every occurrence of every registered value replaced; longer
    // values first, so a value containing another is masked whole.
    std::string apply(std::string_view text) const;

  private:
    std::vector<std::string> m_values;  // longest first
};

}  // namespace weft
