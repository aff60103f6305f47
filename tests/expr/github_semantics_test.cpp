// The GitHub Actions semantics of SPEC §9.3, one rule per case, with cases
// of our own (GitHub's published data is measured by conformance_test.cpp).
#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "weft/expr/expr.hpp"

using namespace weft::expr;

namespace {

template <class Ctx = Value>
Value eval(std::string_view text, const Ctx& contexts = Value::object()) {
    auto e = parse(text);
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? "" : e.error().message));
    auto v = evaluate(*e, contexts);
    REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().message));
    return *v;
}

std::string parse_error(std::string_view text) {
    auto e = parse(text);
    REQUIRE_FALSE(e.ok());
    return e.error().message;
}

}  // namespace

TEST_CASE("expr::github unicode case-insensitive equality") {
    CHECK(eval("'straße' == 'STRAẞE'") == true);  // utf8proc maps ß to ẞ (U+1E9E)
    CHECK(eval("'Ärger' == 'äRGER'") == true);
    CHECK(eval("'Ωμέγα' == 'ΩΜΈΓΑ'") == true);
    CHECK(eval("'ж' != 'Ж'") == false);
    CHECK(eval("'ä' == 'a'") == false);  // no accent folding
    // Dotless ı stays as it is; dotted İ has no lowercase mapping to i.
    CHECK(eval("'ı' == 'i'") == false);
    CHECK(eval("'ı' == 'I'") == false);
    CHECK(eval("'İ' == 'i'") == false);
    CHECK(eval("'ı' == 'ı'") == true);
}

TEST_CASE("expr::github ordering by uppercased code points") {
    CHECK(eval("'a' < '['") == true);  // 'A' (0x41) < '[' (0x5B); folding to lower would say false
    CHECK(eval("'z' < '_'") == true);
    CHECK(eval("'é' > 'E'") == true);  // U+00C9 > U+0045
    CHECK(eval("'é' <= 'É'") == true);
    CHECK(eval("'é' >= 'É'") == true);
    CHECK(eval("'ab' < 'abc'") == true);
    CHECK(eval("'Ä' < 'ä'") == false);
    CHECK(eval("'ı' > 'I'") == true);  // U+0131 > U+0049
    CHECK(eval("'日本' < '日本語'") == true);
}

TEST_CASE("expr::github invalid UTF-8 compares as raw bytes after every character") {
    Value c = Value::object();
    c["bad"] = std::string("\xFC");  // a lone byte, not 'ü'
    c["bad2"] = std::string("\xFC");
    CHECK(eval("bad == 'ü'", c) == false);
    CHECK(eval("bad == 'Ü'", c) == false);
    CHECK(eval("bad == bad2", c) == true);
    CHECK(eval("bad > '\xF4\x8F\xBF\xBF'", c) == true);  // above U+10FFFF
    CHECK(eval("contains(bad, 'ü')", c) == false);
}

TEST_CASE("expr::github contains, startsWith and endsWith ignore case beyond ASCII") {
    CHECK(eval("contains('Grüße aus Köln', 'KÖLN')") == true);
    CHECK(eval("contains('ΣΟΦΙΑ', 'σοφ')") == true);
    CHECK(eval("contains(fromJSON('[\"Ärger\"]'), 'ärger')") == true);
    CHECK(eval("startsWith('Édition', 'é')") == true);
    CHECK(eval("startsWith('ıx', 'I')") == false);
    CHECK(eval("endsWith('Привет', 'ВЕТ')") == true);
    CHECK(eval("endsWith('x', 'ẞx')") == false);
}

TEST_CASE("expr::github member lookup ignores case beyond ASCII") {
    const Value ctx = Value::parse(R"({"p": {"Größe": 3}})");
    CHECK(eval("p['GRÖßE']", ctx) == 3);
    CHECK(eval("p['größe']", ctx) == 3);
}

TEST_CASE("expr::github objects keep their key order") {
    CHECK(eval("toJSON(fromJSON('{\"zeta\": 1, \"alpha\": {\"y\": 2, \"x\": 3}}'))") ==
          "{\n  \"zeta\": 1,\n  \"alpha\": {\n    \"y\": 2,\n    \"x\": 3\n  }\n}");
    CHECK(eval("fromJSON('{\"z\": 1, \"m\": 2, \"a\": 3}').*") == Value::parse("[1, 2, 3]"));
    CHECK(eval("fromJSON('{\"z\": {\"n\": 1}, \"a\": {\"n\": 2}}')[*].n") ==
          Value::parse("[1, 2]"));
    // Ordered contexts are read in order; the engine's (sorted) contexts work too.
    const Value ordered = Value::parse(R"({"o": {"second": 2, "first": 1}})");
    CHECK(eval("toJSON(o)", ordered) == "{\n  \"second\": 2,\n  \"first\": 1\n}");
    const Contexts sorted = Contexts::parse(R"({"o": {"second": 2, "first": 1}})");
    CHECK(eval("o.*", sorted) == Value::parse("[1, 2]"));
    CHECK(eval("o.second", sorted) == 2);
}

TEST_CASE("expr::github number literals") {
    CHECK(eval(".5") == 0.5);
    CHECK(eval("-.25") == -0.25);
    CHECK(eval("+.5") == 0.5);
    CHECK(eval("5.") == 5);
    CHECK(eval("+Infinity").get<double>() == INFINITY);
    CHECK(eval("-Infinity").get<double>() == -INFINITY);
    CHECK(eval(".5 < 1") == true);
    CHECK(eval("contains(fromJSON('[0.5]'), .5)") == true);
    CHECK(eval("fromJSON('[7, 8]')[.0]") == 7);  // after '[' a '.' starts a number
    CHECK(eval("format('{0}', .5e1)") == "5");
    // After an operand a '.' is still an access, so `x.1` stays an error.
    CHECK(parse_error("x.1").find("expected a property name") != std::string::npos);
    CHECK(parse_error("x[0].2").find("expected a property name") != std::string::npos);
    CHECK_FALSE(parse_error("+Infinityx").empty());
}

TEST_CASE("expr::github arrays and objects equal only themselves") {
    const Value ctx = Value::parse(R"({"a": [1], "b": [1], "o": {}, "p": {}, "n": {"x": {}}})");
    CHECK(eval("a == a", ctx) == true);
    CHECK(eval("a == b", ctx) == false);
    CHECK(eval("a != b", ctx) == true);
    CHECK(eval("o == p", ctx) == false);
    CHECK(eval("o == o", ctx) == true);
    CHECK(eval("n.x == n['X']", ctx) == true);  // the same object, reached two ways
    CHECK(eval("a <= a", ctx) == true);
    CHECK(eval("a < a", ctx) == false);
    CHECK(eval("fromJSON('{}') == fromJSON('{}')") == false);
    CHECK(eval("(o || p) == o", ctx) == true);  // || returns the operand itself
    CHECK(eval("case(true, o, p) == o", ctx) == true);
    // contains() finds an array or object only as itself.
    const Value lists = Value::parse(R"({"l": [{"k": 1}, [2]], "m": [{"k": 1}, [2]]})");
    CHECK(eval("contains(l, l[0])", lists) == true);
    CHECK(eval("contains(l, l[1])", lists) == true);
    CHECK(eval("contains(l, m[0])", lists) == false);
    CHECK(eval("contains(l, fromJSON('{\"k\": 1}'))", lists) == false);
    CHECK(eval("contains(l.*, l[0])", lists) == false);  // `*` makes a new list of copies
    // The engine's contexts have the same identity rule.
    const Contexts sorted = Contexts::parse(R"({"a": [1], "b": [1]})");
    CHECK(eval("a == a", sorted) == true);
    CHECK(eval("a == b", sorted) == false);
    CHECK(eval("contains(fromJSON('[[1]]'), a)", sorted) == false);
    const Contexts nested = Contexts::parse(R"({"l": [{"k": 1}]})");
    CHECK(eval("contains(l, l[0])", nested) == true);
}

TEST_CASE("expr::github format and join name arrays and objects") {
    const Value ctx = Value::parse(R"({"list": ["x", [1], {"k": 1}, null, 2], "obj": {"k": "v"}})");
    CHECK(eval("format('{0}/{1}', list, obj)", ctx) == "Array/Object");
    CHECK(eval("join(list, '+')", ctx) == "x+Array+Object++2");
    CHECK(eval("join(list.*, obj)", ctx) == "x,Array,Object,,2");  // bad separator: ','
    CHECK(eval("join(fromJSON('[\"a\", \"b\"]'), fromJSON('[\"-\"]'))") == "a,b");
    CHECK(eval("join(fromJSON('[\"a\", \"b\"]'), false)") == "afalseb");
    // Templates still insert JSON: the documented difference from GitHub.
    auto t = parse_template("v=${{ list }} o=${{ obj }}");
    REQUIRE(t.ok());
    auto text = render(*t, ctx);
    REQUIRE(text.ok());
    CHECK(*text == R"(v=["x",[1],{"k":1},null,2] o={"k":"v"})");
}

TEST_CASE("expr::github case()") {
    CHECK(eval("case(true, 'a', 'z')") == "a");
    CHECK(eval("case(false, 'a', 'z')") == "z");
    CHECK(eval("case(1 > 2, 'a', 2 > 1, 'b', 'z')") == "b");
    CHECK(eval("case(false, 'a', false, 'b', 'z')") == "z");
    CHECK(eval("CASE(true, 1, 2)") == 1);  // function names ignore case
    CHECK(eval("case(true, fromJSON('[1]'), 'z')") == Value::parse("[1]"));
    // Branches not taken are not evaluated.
    CHECK(eval("case(true, 'ok', fromJSON('not json'))") == "ok");
    // Conditions must be booleans.
    for (const char* text : {"case('yes', 1, 2)", "case(1, 1, 2)", "case(null, 1, 2)",
                             "case(fromJSON('{}'), 1, 2)", "case(false, 1, 'x', 2, 3)"}) {
        auto e = parse(text);
        REQUIRE(e.ok());
        auto v = evaluate(*e, Value::object());
        REQUIRE_FALSE(v.ok());
        CHECK(v.error().message.find("must be a boolean") != std::string::npos);
    }
    auto e = parse("case(false, 1, 'x', 2, 3)");
    REQUIRE(e.ok());
    CHECK(evaluate(*e, Value::object()).error().offset == 15);
    // Arity: odd, at least 3, known at load time.
    CHECK(parse_error("case(true, 1)") ==
          "function 'case' takes at least 3 arguments but 2 were given");
    CHECK(parse_error("case(true, 1, false, 2)") ==
          "function 'case' takes an odd number of arguments, at least 3, but 4 were given");
    CHECK(parse_error("case()") == "function 'case' takes at least 3 arguments but 0 were given");
}
