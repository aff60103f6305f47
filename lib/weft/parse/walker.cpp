#include "weft/parse/walker.hpp"

#include <cerrno>
#include <cstdlib>
#include <functional>
#include <sstream>

#include "weft/expr/expr.hpp"

namespace weft::parse {

bool is_identifier(std::string_view s, bool allow_dash) {
    if (s.empty()) return false;
    auto head = [](char c) { return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_'; };
    if (!head(s[0])) return false;
    for (char c : s.substr(1))
        if (!head(c) && !(c >= '0' && c <= '9') && !(allow_dash && c == '-')) return false;
    return true;
}

namespace {

std::string format_number(double x) {
    std::ostringstream ss;
    ss << x;
    return ss.str();
}

}  // namespace

const char* type_name(const YamlNode& n) {
    switch (n.Type()) {
        case YAML::NodeType::Map:
            return "a map";
        case YAML::NodeType::Sequence:
            return "a list";
        case YAML::NodeType::Scalar:
            return "a scalar";
        case YAML::NodeType::Null:
            return "nothing";
        default:
            return "an undefined value";
    }
}

bool Walker::expect(const YamlNode& n, YAML::NodeType::value type, const std::string& what) {
    if (n.Type() == type) return true;
    const char* want = type == YAML::NodeType::Map        ? "a map"
                       : type == YAML::NodeType::Sequence ? "a list"
                                                          : "a scalar";
    error(n, "expected " + std::string(want) + " for " + what + ", got " + type_name(n));
    return false;
}

std::optional<std::string> Walker::scalar(const YamlNode& n, const std::string& what) {
    if (!n.IsScalar()) {
        error(n, "expected a string for " + what + ", got " + type_name(n));
        return std::nullopt;
    }
    return n.Scalar();
}

std::optional<bool> Walker::boolean(const YamlNode& n, const std::string& what) {
    if (n.IsScalar()) {
        const std::string v = n.Scalar();
        if (v == "true" || v == "True" || v == "TRUE") return true;
        if (v == "false" || v == "False" || v == "FALSE") return false;
    }
    error(n, "expected true or false for " + what + ", got " +
                 (n.IsScalar() ? "'" + n.Scalar() + "'" : std::string(type_name(n))));
    return std::nullopt;
}

std::optional<long long> Walker::integer(const YamlNode& n, const std::string& what, long long min,
                                         long long max) {
    if (n.IsScalar()) {
        const std::string v = n.Scalar();
        char* end = nullptr;
        errno = 0;
        const long long x = std::strtoll(v.c_str(), &end, 10);
        if (!v.empty() && *end == '\0' && errno == 0 &&
            v.find_first_of(" \t") == std::string::npos) {
            if (x < min || x > max) {
                error(n, what + " must be between " + std::to_string(min) + " and " +
                             std::to_string(max) + ", got " + v);
                return std::nullopt;
            }
            return x;
        }
    }
    error(n, "expected a whole number for " + what + ", got " +
                 (n.IsScalar() ? "'" + n.Scalar() + "'" : std::string(type_name(n))));
    return std::nullopt;
}

std::optional<double> Walker::number(const YamlNode& n, const std::string& what, double min) {
    if (n.IsScalar()) {
        const std::string v = n.Scalar();
        char* end = nullptr;
        const double x = std::strtod(v.c_str(), &end);
        if (!v.empty() && *end == '\0') {
            if (!(x >= min)) {
                error(n, what + " must be at least " + format_number(min) + ", got " + v);
                return std::nullopt;
            }
            return x;
        }
    }
    error(n, "expected a number for " + what + ", got " +
                 (n.IsScalar() ? "'" + n.Scalar() + "'" : std::string(type_name(n))));
    return std::nullopt;
}

std::optional<Duration> Walker::duration(const YamlNode& n, const std::string& what) {
    auto text = scalar(n, what);
    if (!text) return std::nullopt;
    auto d = parse_duration(*text);
    if (!d) {
        error(n, d.error().message);
        return std::nullopt;
    }
    return *d;
}

std::vector<std::string> Walker::string_list(const YamlNode& n, const std::string& what,
                                             bool allow_single) {
    std::vector<std::string> out;
    if (allow_single && n.IsScalar()) {
        if (auto s = scalar(n, what)) out.push_back(*s);
        return out;
    }
    if (!n.IsSequence()) {
        error(n, "expected a list for " + what + ", got " + type_name(n));
        return out;
    }
    for (const auto& item : n) {
        if (!visit(item)) break;
        if (auto s = scalar(item, "an item of " + what)) out.push_back(*s);
    }
    return out;
}

Json Walker::to_json(const YamlNode& n) {
    if (!visit(n)) return nullptr;
    switch (n.Type()) {
        case YAML::NodeType::Map: {
            Json obj = Json::object();
            any_keys(n, "", [&](const std::string& k, const YamlNode&, const YamlNode& v) {
                obj[k] = to_json(v);
            });
            return obj;
        }
        case YAML::NodeType::Sequence: {
            Json arr = Json::array();
            for (const auto& item : n) arr.push_back(to_json(item));
            return arr;
        }
        case YAML::NodeType::Scalar: {
            const std::string& s = n.Scalar();
            const std::string& tag = n.Tag();
            // check_tags() refused a core tag on text that is not its type's.
            if (tag == "tag:yaml.org,2002:bool") return s == "true" || s == "True" || s == "TRUE";
            if (tag == "tag:yaml.org,2002:int") {
                errno = 0;
                const long long i = std::strtoll(s.c_str(), nullptr, 10);
                if (errno == 0) return i;  // else beyond long long: a number still
            }
            if (tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:float")
                return std::strtod(s.c_str(), nullptr);
            if (tag == "?") {  // plain scalars carry YAML's core types
                if (s == "true") return true;
                if (s == "false") return false;
                if (s == "null" || s == "~") return nullptr;
                char* end = nullptr;
                errno = 0;
                const long long i = std::strtoll(s.c_str(), &end, 10);
                if (!s.empty() && *end == '\0' && errno == 0) return i;
                const double d = std::strtod(s.c_str(), &end);
                if (!s.empty() && *end == '\0' &&
                    s.find_first_of("0123456789") != std::string::npos)
                    return d;
            }
            return s;
        }
        default:
            return nullptr;
    }
}

Location Walker::locate_in_scalar(const YamlNode& n, const std::string& text,
                                  std::size_t offset) const {
    // Line/column of byte `offset` of a scalar's value. Quoting and folding
    // change the text between source and value, so find the `${{` the offset
    // belongs to in the source and count from there.
    const Location base = loc(n);
    const YAML::Mark m = n.Mark();
    if (m.pos < 0 || offset > text.size()) return base;
    std::size_t nth = 0, start = 0;
    for (std::size_t p = text.find("${{"); p != std::string::npos && p <= offset;
         p = text.find("${{", p + 3)) {
        ++nth;
        start = p;
    }
    if (nth == 0) return base;
    const std::string& src = m_out.source;
    std::size_t at = static_cast<std::size_t>(m.pos);
    for (std::size_t i = 0; i < nth; ++i) {
        at = src.find("${{", i == 0 ? at : at + 3);
        if (at == std::string::npos) return base;
    }
    at += offset - start;
    if (at > src.size()) return base;
    int line = 1, col = 1;
    for (std::size_t i = 0; i < at; ++i) {
        if (src[i] == '\n') {
            ++line;
            col = 1;
        } else {
            ++col;
        }
    }
    return {line, col};
}

void Walker::expressions(const YamlNode& n, const std::string& text, bool is_condition) {
    if (!is_condition && text.find("${{") == std::string::npos) return;
    std::vector<expr::Expr> exprs;
    if (is_condition) {
        auto e = expr::parse_condition(text);
        if (!e) {
            error(locate_in_scalar(n, text, e.error().offset == Error::npos ? 0 : e.error().offset),
                  e.error().message);
            return;
        }
        exprs.push_back(*e);
    } else {
        auto t = expr::parse_template(text);
        if (!t) {
            error(locate_in_scalar(n, text, t.error().offset == Error::npos ? 0 : t.error().offset),
                  t.error().message);
            return;
        }
        for (const auto& part : t->parts) {
            if (!part.expr) continue;
            // As in GitHub Actions: a step's outcome is known to its `if`
            // only (a template would see no outcome and print `true`).
            if (expr::uses_status_function(*part.expr))
                error(locate_in_scalar(n, text, part.expr->offset),
                      "success(), failure(), cancelled() and always() may only be used in "
                      "'if'");
            exprs.push_back(*part.expr);
        }
    }
    for (const auto& e : exprs)
        for (auto& r : expr::references(e))
            m_out.refs.push_back({m_step, r.path, locate_in_scalar(n, text, e.offset + r.offset)});
}

model::EnvList Walker::env(const YamlNode& n, const std::string& where) {
    model::EnvList out;
    if (!expect(n, YAML::NodeType::Map, where)) return out;
    any_keys(n, where, [&](const std::string& k, const YamlNode& kn, const YamlNode& v) {
        if (!is_identifier(k, false)) {
            error(kn, "invalid environment variable name '" + k + "'");
            return;
        }
        if (auto s = scalar(v, "'" + k + "' in " + where)) {
            expressions(v, *s);
            out.emplace_back(k, *s);
        }
    });
    return out;
}

}  // namespace weft::parse
