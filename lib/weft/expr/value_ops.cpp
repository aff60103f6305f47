#include "weft/expr/value_ops.hpp"

#include <fmt/core.h>
#include <utf8proc.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <optional>

#include "weft/model/json.hpp"
#include "weft/util/strings.hpp"

namespace weft::expr {
namespace {

// A byte that is not part of valid UTF-8 stands for itself, above every
// code point, so that it never equals a character and never case-maps.
constexpr char32_t k_invalid_base = 0x110000;

// Decodes the code point at s[i] and advances i.
char32_t next_code_point(std::string_view s, std::size_t& i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
        ++i;
        return c;
    }
    utf8proc_int32_t cp = 0;
    const auto n = utf8proc_iterate(reinterpret_cast<const utf8proc_uint8_t*>(s.data() + i),
                                    static_cast<utf8proc_ssize_t>(s.size() - i), &cp);
    if (n <= 0) {
        ++i;
        return k_invalid_base + c;
    }
    i += static_cast<std::size_t>(n);
    return static_cast<char32_t>(cp);
}

// The simple uppercase of `cp` (.NET's OrdinalIgnoreCase, which GitHub uses).
// U+0131 (dotless i) stays: OrdinalIgnoreCase does not map it to 'I'.
char32_t upper(char32_t cp) {
    if (cp < 0x80) return (cp >= 'a' && cp <= 'z') ? cp - 'a' + 'A' : cp;
    if (cp == 0x131 || cp >= k_invalid_base) return cp;
    return static_cast<char32_t>(utf8proc_toupper(static_cast<utf8proc_int32_t>(cp)));
}

enum class Kind { null, boolean, number, string, array, object };

Kind kind_of(const Value& v) {
    switch (v.type()) {
        case Value::value_t::null:
        case Value::value_t::discarded:
            return Kind::null;
        case Value::value_t::boolean:
            return Kind::boolean;
        case Value::value_t::number_integer:
        case Value::value_t::number_unsigned:
        case Value::value_t::number_float:
            return Kind::number;
        case Value::value_t::string:
            return Kind::string;
        case Value::value_t::array:
            return Kind::array;
        default:
            return Kind::object;
    }
}

// One side of a comparison after GitHub's coercion.
struct Side {
    Kind kind;
    const Value* v;
    double number = 0;
};

Side side(const Value& v) {
    Side s{kind_of(v), &v};
    if (s.kind == Kind::number) s.number = to_number(v);
    return s;
}

Side as_number(const Side& s) {
    Side out{Kind::number, s.v};
    out.number = to_number(*s.v);
    return out;
}

// ExpressionUtility.CoerceTypes: number/string pairs become numbers; null and
// booleans become numbers against anything of another kind.
void coerce(Side& l, Side& r) {
    for (int round = 0; round < 2 && l.kind != r.kind; ++round) {
        if (l.kind == Kind::number && r.kind == Kind::string) {
            r = as_number(r);
        } else if (l.kind == Kind::string && r.kind == Kind::number) {
            l = as_number(l);
        } else if (l.kind == Kind::boolean || l.kind == Kind::null) {
            l = as_number(l);
        } else if (r.kind == Kind::boolean || r.kind == Kind::null) {
            r = as_number(r);
        } else {
            return;
        }
    }
}

// Integral floats become integers (so toJSON(2.0) is 2), in place: building
// a new ordered object key by key would search it for each key.
void normalize(Value& v) {
    if (v.is_number_float()) {
        const double d = v.get<double>();
        if (std::isfinite(d) && std::trunc(d) == d && std::fabs(d) < 9.2e18)
            v = static_cast<std::int64_t>(d);
    } else if (v.is_array() || v.is_object()) {
        for (auto& item : v) normalize(item);
    }
}

// A value as format() and join() insert it: arrays and objects by their kind,
// as GitHub does (templates insert their JSON instead, see to_text()).
std::string argument_text(const Value& v) {
    if (v.is_array()) return "Array";
    if (v.is_object()) return "Object";
    return to_text(v);
}

Result<std::string> format(const std::vector<Value>& args) {
    const std::string fmt = to_text(args[0]);
    const std::size_t count = args.size() - 1;
    std::string out;
    auto invalid = [&] {
        return make_error(Errc::invalid, "format: invalid format string '" + fmt + "'");
    };
    for (std::size_t i = 0; i < fmt.size(); ++i) {
        const char c = fmt[i];
        if (c == '{' && i + 1 < fmt.size() && fmt[i + 1] == '{') {
            out += '{';
            ++i;
        } else if (c == '}' && i + 1 < fmt.size() && fmt[i + 1] == '}') {
            out += '}';
            ++i;
        } else if (c == '}') {
            return invalid();
        } else if (c == '{') {
            std::size_t j = i + 1;
            std::size_t index = 0;
            while (j < fmt.size() && fmt[j] >= '0' && fmt[j] <= '9') {
                index = std::min<std::size_t>(index * 10 + static_cast<std::size_t>(fmt[j] - '0'),
                                              1000000);
                ++j;
            }
            if (j == i + 1 || j >= fmt.size() || fmt[j] != '}') return invalid();
            if (index >= count)
                return make_error(Errc::invalid, "format: '" + fmt.substr(i, j + 1 - i) +
                                                     "' is out of range (" + std::to_string(count) +
                                                     " argument" + (count == 1 ? "" : "s") +
                                                     " after the format string)");
            out += argument_text(args[index + 1]);
            i = j;
        } else {
            out += c;
        }
    }
    return out;
}

Result<Value> from_json(const Value& arg) {
    const std::string text = to_text(arg);
    if (json_nesting(text) > k_max_json_nesting)
        return make_error(Errc::invalid, "fromJSON: JSON nested deeper than " +
                                             std::to_string(k_max_json_nesting) + " levels");
    try {
        return model::parse_ordered_json(text);
    } catch (const Value::exception& e) {
        // Drop nlohmann's "[json.exception.parse_error.101] " prefix.
        std::string msg = e.what();
        if (const auto end = msg.find("] ");
            msg.rfind("[json.exception", 0) == 0 && end != std::string::npos)
            msg.erase(0, end + 2);
        return make_error(Errc::invalid, "fromJSON: invalid JSON: " + msg);
    }
}

}  // namespace

int icompare(std::string_view a, std::string_view b) {
    std::size_t i = 0, j = 0;
    while (i < a.size() && j < b.size()) {
        const char32_t x = upper(next_code_point(a, i));
        const char32_t y = upper(next_code_point(b, j));
        if (x != y) return x < y ? -1 : 1;
    }
    if (i < a.size()) return 1;
    return j < b.size() ? -1 : 0;
}

bool iequals(std::string_view a, std::string_view b) {
    return icompare(a, b) == 0;
}

std::u32string upper_key(std::string_view s) {
    std::u32string out;
    out.reserve(s.size());
    for (std::size_t i = 0; i < s.size();) out += upper(next_code_point(s, i));
    return out;
}

bool is_primitive(const Value& v) {
    const Kind k = kind_of(v);
    return k != Kind::array && k != Kind::object;
}

double to_number(const Value& v) {
    switch (v.type()) {
        case Value::value_t::boolean:
            return v.get<bool>() ? 1.0 : 0.0;
        case Value::value_t::number_integer:
            return static_cast<double>(v.get<std::int64_t>());
        case Value::value_t::number_unsigned:
            return static_cast<double>(v.get<std::uint64_t>());
        case Value::value_t::number_float:
            return v.get<double>();
        case Value::value_t::string:
            return parse_number(v.get_ref<const std::string&>(), true);
        case Value::value_t::array:
        case Value::value_t::object:
            return std::numeric_limits<double>::quiet_NaN();
        default:
            return 0.0;
    }
}

bool loose_equals(const Value& lv, const Value& rv) {
    Side l = side(lv), r = side(rv);
    coerce(l, r);
    if (l.kind != r.kind) return false;
    switch (l.kind) {
        case Kind::null:
            return true;
        case Kind::number:
            return l.number == r.number;
        case Kind::boolean:
            return l.v->get<bool>() == r.v->get<bool>();
        case Kind::string:
            return iequals(l.v->get_ref<const std::string&>(), r.v->get_ref<const std::string&>());
        default:
            return l.v == r.v;
    }
}

bool loose_less(const Value& lv, const Value& rv) {
    Side l = side(lv), r = side(rv);
    coerce(l, r);
    if (l.kind != r.kind) return false;
    switch (l.kind) {
        case Kind::number:
            return l.number < r.number;
        case Kind::boolean:
            return !l.v->get<bool>() && r.v->get<bool>();
        case Kind::string:
            return icompare(l.v->get_ref<const std::string&>(),
                            r.v->get_ref<const std::string&>()) < 0;
        default:
            return false;
    }
}

std::string format_number(double d) {
    if (std::isnan(d)) return "NaN";
    if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
    if (d == 0) return "0";
    // GitHub formats with "##########0.###############" after rounding to 15
    // significant digits: no exponent, at most 15 decimals.
    const std::string buf = fmt::format("{:.14e}", std::fabs(d));
    std::string digits;
    const char* p = buf.c_str();
    for (; *p != 'e'; ++p)
        if (*p != '.') digits += *p;
    const int exp = std::atoi(p + 1);
    std::string int_part, frac;
    if (exp >= 0) {
        for (int i = 0; i <= exp; ++i)
            int_part += i < static_cast<int>(digits.size()) ? digits[i] : '0';
        if (exp + 1 < static_cast<int>(digits.size())) frac = digits.substr(exp + 1);
    } else {
        int_part = "0";
        frac = std::string(static_cast<std::size_t>(-exp - 1), '0') + digits;
    }
    if (frac.size() > 15) {
        const bool up = frac[15] >= '5';
        frac.resize(15);
        if (up) {
            std::string all = int_part + frac;
            int i = static_cast<int>(all.size()) - 1;
            for (; i >= 0 && all[i] == '9'; --i) all[i] = '0';
            if (i >= 0)
                ++all[i];
            else
                all.insert(all.begin(), '1');
            int_part = all.substr(0, all.size() - 15);
            frac = all.substr(all.size() - 15);
        }
    }
    while (!frac.empty() && frac.back() == '0') frac.pop_back();
    std::string out = int_part;
    if (!frac.empty()) out += "." + frac;
    if (out == "0") return "0";
    return d < 0 ? "-" + out : out;
}

std::string dump_json(const Value& v, int indent) {
    Value copy = v;
    normalize(copy);
    return copy.dump(indent, ' ', false, Value::error_handler_t::replace);
}

std::string to_text(const Value& v) {
    switch (v.type()) {
        case Value::value_t::null:
        case Value::value_t::discarded:
            return "";
        case Value::value_t::boolean:
            return v.get<bool>() ? "true" : "false";
        case Value::value_t::number_integer:
            return std::to_string(v.get<std::int64_t>());
        case Value::value_t::number_unsigned:
            return std::to_string(v.get<std::uint64_t>());
        case Value::value_t::number_float:
            return format_number(v.get<double>());
        case Value::value_t::string:
            return v.get<std::string>();
        default:
            return dump_json(v, -1);
    }
}

Result<Value> call_function(Function f, const std::vector<Value>& args) {
    switch (f) {
        case Function::contains: {
            const Value& hay = args[0];
            const Value& needle = args[1];
            if (hay.is_array()) {
                for (const auto& item : hay)
                    if (loose_equals(item, needle)) return Value(true);
                return Value(false);
            }
            if (!is_primitive(hay) || !is_primitive(needle)) return Value(false);
            return Value(upper_key(to_text(hay)).find(upper_key(to_text(needle))) !=
                         std::u32string::npos);
        }
        case Function::starts_with:
        case Function::ends_with: {
            if (!is_primitive(args[0]) || !is_primitive(args[1])) return Value(false);
            const std::u32string s = upper_key(to_text(args[0]));
            const std::u32string affix = upper_key(to_text(args[1]));
            return Value(f == Function::starts_with ? s.starts_with(affix) : s.ends_with(affix));
        }
        case Function::format: {
            auto s = format(args);
            if (!s) return s.error();
            return Value(std::move(*s));
        }
        case Function::join: {
            const bool own_sep = args.size() > 1 && is_primitive(args[1]);
            const std::string sep = own_sep ? to_text(args[1]) : ",";
            if (args[0].is_object()) return Value("");
            if (!args[0].is_array()) return Value(to_text(args[0]));
            std::string out;
            bool first = true;
            for (const auto& item : args[0]) {
                if (!first) out += sep;
                first = false;
                out += argument_text(item);
            }
            return Value(std::move(out));
        }
        case Function::to_json:
            return Value(dump_json(args[0], 2));
        case Function::from_json:
            return from_json(args[0]);
        default:
            break;
    }
    return make_error(Errc::internal, "not a value function");
}

}  // namespace weft::expr
