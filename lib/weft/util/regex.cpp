#include "weft/util/regex.hpp"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

namespace weft {

struct Regex::Code {
    pcre2_code* code = nullptr;
    ~Code() { pcre2_code_free(code); }
};

Result<Regex> Regex::compile(std::string_view pattern) {
    int err = 0;
    PCRE2_SIZE offset = 0;
    // UTF mode would refuse a log line that is not valid UTF-8; bytes match as bytes.
    pcre2_code* code = pcre2_compile(reinterpret_cast<PCRE2_SPTR>(pattern.data()), pattern.size(),
                                     0, &err, &offset, nullptr);
    if (!code) {
        PCRE2_UCHAR buf[256];
        pcre2_get_error_message(err, buf, sizeof buf);
        return make_error(Errc::invalid,
                          std::string(reinterpret_cast<const char*>(buf)) + " at offset " +
                              std::to_string(offset),
                          offset);
    }
    // JIT is an optimisation only: a machine without it still matches.
    pcre2_jit_compile(code, PCRE2_JIT_COMPLETE);
    auto c = std::make_shared<Code>();
    c->code = code;
    Regex r;
    r.m_code = std::move(c);
    r.m_pattern = std::string(pattern);
    return r;
}

Result<bool> Regex::search(std::string_view text) const {
    if (!m_code) return false;
    pcre2_match_data* md = pcre2_match_data_create_from_pattern(m_code->code, nullptr);
    pcre2_match_context* mc = pcre2_match_context_create(nullptr);
    if (!md || !mc) {
        pcre2_match_data_free(md);
        pcre2_match_context_free(mc);
        return make_error(Errc::invalid, "out of memory for a regular expression match");
    }
    pcre2_set_match_limit(mc, k_match_limit);
    const int rc = pcre2_match(m_code->code, reinterpret_cast<PCRE2_SPTR>(text.data()), text.size(),
                               0, 0, md, mc);
    pcre2_match_data_free(md);
    pcre2_match_context_free(mc);
    if (rc >= 0) return true;
    if (rc == PCRE2_ERROR_NOMATCH) return false;
    PCRE2_UCHAR buf[256];
    pcre2_get_error_message(rc, buf, sizeof buf);
    return make_error(Errc::invalid, "'" + m_pattern + "' could not be matched: " +
                                         reinterpret_cast<const char*>(buf));
}

}  // namespace weft
