#pragma once
// Value coercions and comparisons of the expression language, and the
// built-in functions. Internal to weft::expr.
#include <string>
#include <string_view>
#include <vector>

#include "weft/expr/ast.hpp"

namespace weft::expr {

// Case-insensitive order of GitHub Actions (.NET OrdinalIgnoreCase): each
// code point is mapped to its simple uppercase (utf8proc_toupper; U+0131,
// dotless i, stays as it is) and strings are ordered by the mapped code
// points, so 'a' < '[' as 'A' < '['. A byte that is not part of valid UTF-8
// stands for itself, unmapped, after every code point. <0, 0 or >0.
int icompare(std::string_view a, std::string_view b);
bool iequals(std::string_view a, std::string_view b);

// The mapped code points of `s` (as icompare maps them), for the substring
// tests of contains(), startsWith() and endsWith().
std::u32string upper_key(std::string_view s);

// null, boolean, number or string.
bool is_primitive(const Value& v);

// GitHub's number coercion: null 0, false 0, true 1, strings by
// parse_number(coerce), arrays and objects NaN.
double to_number(const Value& v);

// `==` of GitHub Actions: values of different kinds are coerced to numbers
// (null and booleans always; strings only against numbers); strings compare
// case-insensitively; an array or object equals only itself (the same
// address), as in GitHub.
bool loose_equals(const Value& l, const Value& r);

// `<` with the same coercions; false whenever incomparable (NaN, kinds that
// stay different after coercion, arrays, objects).
bool loose_less(const Value& l, const Value& r);

// Number as text: integral values without a fraction, otherwise at most 15
// significant digits, never an exponent; NaN, Infinity, -Infinity.
std::string format_number(double d);

// JSON text (`indent` < 0: compact), with integral floats written as integers
// and invalid UTF-8 replaced, so that output never throws.
std::string dump_json(const Value& v, int indent);

// Call a built-in (not a status function) with evaluated `args` (the count was
// checked by the parser). Errors carry no offset; the caller adds it.
Result<Value> call_function(Function f, const std::vector<Value>& args);

}  // namespace weft::expr
