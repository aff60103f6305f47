#pragma once
// Secret masking (SPEC §4): every value registered here is replaced by `***`
// in whatever weft prints or stores. A value with several lines is masked
// whole and line by line, since a step's output reaches weft one line at a
// time.
#include <nlohmann/json_fwd.hpp>
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

// The one rule for a secret param's value wherever params are stored or
// shown (a run's params, a manual or queued event; SPEC §4): `value`
// becomes `***` unless it is the empty string, which hides nothing and
// which `weft resume` takes back as it is.
void mask_secret_param(nlohmann::json& value);

}  // namespace weft
