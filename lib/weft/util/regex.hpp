#pragma once
// A compiled PCRE2 regular expression (SPEC §9.2, stdin `match:`): compiled
// once, searched in many lines. PCRE2 (libpcre2-8) is seen only by
// regex.cpp.
#include <memory>
#include <string>
#include <string_view>

#include "weft/util/result.hpp"

namespace weft {

class Regex {
  public:
    // Errc::invalid with PCRE2's message and the byte offset in `pattern`
    // where compiling stopped.
    static Result<Regex> compile(std::string_view pattern);
    // True when the pattern matches somewhere in `text` (a search, not an
    // anchored match). Errc::invalid when PCRE2 gives up (a catastrophic
    // pattern reaching k_match_limit, or another matching error): the caller
    // reports it rather than take it for "no match".
    Result<bool> search(std::string_view text) const;
    // Backtracking steps of one search: a pattern like `(a+)+$` stops after
    // milliseconds on a long line, not seconds.
    static constexpr unsigned k_match_limit = 1'000'000;
    const std::string& pattern() const { return m_pattern; }

  private:
    struct Code;
    std::shared_ptr<const Code> m_code;
    std::string m_pattern;
};

}  // namespace weft
