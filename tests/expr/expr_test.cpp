#include <doctest/doctest.h>

#include <cmath>
#include <string>

#include "weft/expr/expr.hpp"

using weft::Errc;
using weft::Error;
using namespace weft::expr;

namespace {

template <class Ctx = Value>
Value eval(std::string_view text, const Ctx& contexts = Value::object(), Status status = {}) {
    auto e = parse(text);
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? "" : e.error().message));
    auto v = evaluate(*e, contexts, status);
    REQUIRE_MESSAGE(v.ok(), (v.ok() ? "" : v.error().message));
    return *v;
}

template <class Ctx = Value>
Error eval_error(std::string_view text, const Ctx& contexts = Value::object()) {
    auto e = parse(text);
    REQUIRE_MESSAGE(e.ok(), (e.ok() ? "" : e.error().message));
    auto v = evaluate(*e, contexts);
    REQUIRE_FALSE(v.ok());
    return v.error();
}

Error parse_error(std::string_view text) {
    auto e = parse(text);
    REQUIRE_FALSE(e.ok());
    CHECK(e.error().code == Errc::invalid);
    return e.error();
}

bool is_nan(const Value& v) {
    return v.is_number_float() && std::isnan(v.get<double>());
}

// As the engine holds them: keys sorted.
const Contexts k_contexts = Contexts::parse(R"({
  "params": {"target": "release", "n": 3},
  "env": {"HOME": "/home/u", "EMPTY": ""},
  "steps": {
    "build": {"status": "success", "outputs": {"v": "1.2", "list": "[\"a\",\"b\"]"}},
    "my-step": {"status": "failure", "outputs": {"x-y": "dash"}}
  },
  "matrix": {"os": "linux", "n": 2},
  "event": {"paths": ["a.cpp", "b.cpp"], "labels": [{"name": "bug"}, {"name": "ui"}, {"id": 3}]},
  "run": {"id": "r1", "attempt": 1}
})");

}  // namespace

TEST_CASE("expr::parse literals") {
    CHECK(eval("'it''s'") == "it's");
    CHECK(eval("''") == "");
    CHECK(eval("1") == 1);
    CHECK(eval("-1.5") == -1.5);
    CHECK(eval("+2") == 2);
    CHECK(eval("0x1F") == 31);
    CHECK(eval("0o17") == 15);
    CHECK(eval("1e3") == 1000);
    CHECK(eval("1.5E-1") == 0.15);
    CHECK(eval("2.") == 2);
    CHECK(eval("true") == true);
    CHECK(eval("false") == false);
    CHECK(eval("null").is_null());
    CHECK(is_nan(eval("NaN")));
    CHECK(eval("Infinity").get<double>() == INFINITY);
    CHECK(eval("-Infinity").get<double>() == -INFINITY);
    CHECK(eval("  'x'\n\t") == "x");
}

TEST_CASE("expr::parse errors") {
    struct Case {
        const char* text;
        const char* message;
        std::size_t offset;
    };
    const Case cases[] = {
        {"a ==", "expected an expression but found end of expression", 4},
        {"(a", "expected ')' but found end of expression", 2},
        {"(a b)", "expected ')' but found 'b'", 3},
        {"a # b", "unexpected character '#'", 2},
        {"'abc", "unterminated string", 0},
        {"x == 'it''s", "unterminated string", 5},
        {"sucess()", "unknown function 'sucess' (did you mean 'success'?)", 0},
        {"a && startWith('a', 'b')", "unknown function 'startWith' (did you mean 'startsWith'?)",
         5},
        {"hashFiles('x')", "unknown function 'hashFiles'", 0},
        {"contains('a')", "function 'contains' takes 2 arguments but 1 was given", 0},
        {"success(1)", "function 'success' takes no arguments but 1 was given", 0},
        {"join()", "function 'join' takes 1 or 2 arguments but 0 were given", 0},
        {"join(1, 2, 3)", "function 'join' takes 1 or 2 arguments but 3 were given", 0},
        {"format()", "function 'format' takes at least 1 argument but 0 were given", 0},
        {"toJSON(1, 2)", "function 'toJSON' takes 1 argument but 2 were given", 0},
        {"contains('a' 'b')", "expected ',' or ')' but found string literal", 13},
        {"a = b", "unexpected character '=' (did you mean '=='?)", 2},
        {"a & b", "unexpected character '&' (did you mean '&&'?)", 2},
        {"a | b", "unexpected character '|' (did you mean '||'?)", 2},
        {"\"x\"", "unexpected character '\"' (strings use single quotes)", 0},
        {"a == \xc3\xa9", "unexpected character '\xc3\xa9'", 5},
        {"a\x01", "unexpected character '\\x01'", 1},
        {"a.", "expected a property name after '.' but found end of expression", 2},
        {"a.'b'", "expected a property name after '.' but found string literal", 2},
        {"a[1", "expected ']' but found end of expression", 3},
        {"a b", "expected an operator or end of expression but found 'b'", 2},
        {"success() foo", "expected an operator or end of expression but found 'foo'", 10},
        {"1.2.3", "invalid number '1.2.3'", 0},
        {"12abc", "invalid number '12abc'", 0},
        {"*", "expected an expression but found '*'", 0},
        {"a ! b", "expected an operator or end of expression but found '!'", 2},
        {"", "empty expression", 0},
        {"   ", "empty expression", 0},
        {"-a", "unexpected character '-'", 0},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        const Error e = parse_error(c.text);
        CHECK(e.message == c.message);
        CHECK(e.offset == c.offset);
    }
    SUBCASE("nesting is bounded") {
        const std::string deep = std::string(500, '(') + "1" + std::string(500, ')');
        CHECK(parse_error(deep).message == "expression is nested too deeply");
        CHECK(parse_error(std::string(500, '!') + "1").message ==
              "expression is nested too deeply");
        CHECK(eval(std::string(30, '(') + "1" + std::string(30, ')')) == 1);
    }
    SUBCASE("length is bounded: long chains never recurse deeply") {
        std::string chain = "false";
        for (int i = 0; i < 2000; ++i) chain += "||false";
        CHECK(parse_error(chain).message == "expression is too long: more than 2048 tokens");
        std::string members = "env";
        for (int i = 0; i < 2000; ++i) members += ".a";
        CHECK(parse_error(members).message == "expression is too long: more than 2048 tokens");
        std::string fits = "true";
        for (int i = 0; i < 500; ++i) fits += "&&true";
        CHECK(eval(fits) == true);
    }
}

TEST_CASE("expr::evaluate precedence") {
    CHECK(eval("!0 == 2") == false);                // (!0) == 2, not !(0 == 2)
    CHECK(eval("1 < 2 == true") == true);           // (1 < 2) == true
    CHECK(eval("true || false && false") == true);  // && binds tighter
    CHECK(eval("(true || false) && false") == false);
    CHECK(eval("1 == 1 && 2 == 3 || 'x'") == "x");
    CHECK(eval("!!'a'") == true);
    CHECK(eval("!(1 == 2)") == true);
    CHECK(eval("fromJSON('[[1,2],[3]]')[0][1]") == 2);
    CHECK(eval("1 != 2 && 3 >= 3 && 4 > 3 && 2 <= 2 && 1 < 2") == true);
}

TEST_CASE("expr::evaluate logical operators return operands") {
    CHECK(eval("'' || 'x'") == "x");
    CHECK(eval("'a' && 'b'") == "b");
    CHECK(eval("0 && 'x'") == 0);
    CHECK(eval("null || null").is_null());
    CHECK(eval("env.MISSING || 'default'", k_contexts) == "default");
    CHECK(eval("matrix.os == 'linux' && 'yes' || 'no'", k_contexts) == "yes");
    // Short-circuit: the right side is not evaluated.
    CHECK(eval("false && fromJSON('not json')") == false);
    CHECK(eval("true || fromJSON('not json')") == true);
}

TEST_CASE("expr::evaluate equality and comparison") {
    CHECK(eval("1 == '1'") == true);
    CHECK(eval("1 == '01'") == true);
    CHECK(eval("'1' == '01'") == false);
    CHECK(eval("1 == ' 1 '") == true);
    CHECK(eval("16 == '0x10'") == true);
    CHECK(eval("'abc' == 'ABC'") == true);
    CHECK(eval("'abc' != 'ABD'") == true);
    CHECK(eval("null == null") == true);
    CHECK(eval("null == 0") == true);
    CHECK(eval("null == ''") == true);
    CHECK(eval("null == false") == true);
    CHECK(eval("true == 1") == true);
    CHECK(eval("true == '1'") == true);
    CHECK(eval("'' == false") == true);
    CHECK(eval("'abc' == 0") == false);  // NaN
    CHECK(eval("NaN == NaN") == false);
    CHECK(eval("NaN != NaN") == true);
    CHECK(eval("fromJSON('[1]') == fromJSON('[1]')") == false);  // by identity, as GitHub
    CHECK(eval("fromJSON('{}') == 0") == false);
    CHECK(eval("fromJSON('{}') == null") == false);
    CHECK(eval("'a' < 'B'") == true);
    CHECK(eval("'b' < 'A'") == false);
    CHECK(eval("'_' > 'a'") == true);  // ordinal, upper-cased: '_' (0x5F) > 'A'
    CHECK(eval("2 < '10'") == true);
    CHECK(eval("'2' < '10'") == false);
    CHECK(eval("null < 1") == true);
    CHECK(eval("false < true") == true);
    CHECK(eval("'abc' < 1") == false);
    CHECK(eval("'abc' >= 1") == false);
    CHECK(eval("1 <= 1") == true);
    CHECK(eval("'a' <= 'A'") == true);
    CHECK(eval("'a' >= 'A'") == true);
    CHECK(eval("fromJSON('[]') < 1") == false);
    CHECK(eval("NaN <= NaN") == false);
    CHECK(eval("steps.build.outputs.v == 1.2", k_contexts) == true);
    CHECK(eval("run.attempt > 0", k_contexts) == true);
}

TEST_CASE("expr::evaluate contexts and access") {
    CHECK(eval("params.target", k_contexts) == "release");
    CHECK(eval("steps.build.outputs.v", k_contexts) == "1.2");
    CHECK(eval("steps.my-step.outputs.x-y", k_contexts) == "dash");
    CHECK(eval("steps['my-step'].status", k_contexts) == "failure");
    CHECK(eval("ENV.home", k_contexts) == "/home/u");  // case-insensitive, as in GitHub
    CHECK(eval("event.paths[1]", k_contexts) == "b.cpp");
    CHECK(eval("event.paths['1']", k_contexts) == "b.cpp");
    CHECK(eval("event.paths[1.5]", k_contexts).is_null());
    CHECK(eval("event.paths[-1]", k_contexts).is_null());
    CHECK(eval("event.paths[2]", k_contexts).is_null());
    CHECK(eval("fromJSON('{\"1\": \"one\"}')[1]") == "one");
    CHECK(eval("steps[format('{0}', 'build')].status", k_contexts) == "success");
    // Anything missing is null, never an error.
    CHECK(eval("steps.nope.outputs.v", k_contexts).is_null());
    CHECK(eval("nocontext.a.b", k_contexts).is_null());
    CHECK(eval("params.target.length", k_contexts).is_null());
    CHECK(eval("env").is_null());
    CHECK(eval("'abc'.x").is_null());
    CHECK(eval("matrix", k_contexts) == k_contexts["matrix"]);
}

TEST_CASE("expr::evaluate object filter") {
    CHECK(eval("event.labels.*.name", k_contexts) == Value::parse(R"(["bug", "ui"])"));
    CHECK(eval("event.labels[*].name", k_contexts) == Value::parse(R"(["bug", "ui"])"));
    CHECK(eval("steps.*.status", k_contexts) == Value::parse(R"(["success", "failure"])"));
    CHECK(eval("contains(steps.*.status, 'failure')", k_contexts) == true);
    CHECK(eval("fromJSON('[[1,2],[3]]').*.*") == Value::parse("[1, 2, 3]"));
    CHECK(eval("fromJSON('[[1,2],[3]]').*[0]") == Value::parse("[1, 3]"));
    CHECK(eval("params.target.*", k_contexts) == Value::array());
    CHECK(eval("nothing.*.x", k_contexts) == Value::array());
}

TEST_CASE("expr::functions") {
    SUBCASE("status") {
        CHECK(eval("success()") == true);
        CHECK(eval("success()", {}, Status{true, false}) == false);
        CHECK(eval("success()", {}, Status{false, true}) == false);
        CHECK(eval("failure()", {}, Status{true, false}) == true);
        CHECK(eval("failure()") == false);
        CHECK(eval("cancelled()", {}, Status{false, true}) == true);
        CHECK(eval("cancelled()") == false);
        CHECK(eval("always()", {}, Status{true, true}) == true);
        CHECK(eval("SUCCESS()") == true);  // names are case-insensitive
    }
    SUBCASE("contains") {
        CHECK(eval("contains('Hello world', 'WORLD')") == true);
        CHECK(eval("contains('Hello', 'x')") == false);
        CHECK(eval("contains('', '')") == true);
        CHECK(eval("contains(123, 2)") == true);
        CHECK(eval("contains(fromJSON('[1, 2]'), '2')") == true);  // loose equality
        CHECK(eval("contains(fromJSON('[\"A\"]'), 'a')") == true);
        CHECK(eval("contains(fromJSON('[\"ab\"]'), 'a')") == false);  // elements, not substrings
        CHECK(eval("contains(fromJSON('{\"a\": 1}'), 'a')") == false);
        CHECK(eval("contains('a', fromJSON('[]'))") == false);
        CHECK(eval("contains(event.paths, 'a.cpp')", k_contexts) == true);
    }
    SUBCASE("startsWith endsWith") {
        CHECK(eval("startsWith('Hello', 'he')") == true);
        CHECK(eval("startsWith('Hello', 'lo')") == false);
        CHECK(eval("endsWith('Hello', 'LO')") == true);
        CHECK(eval("endsWith('Hello', 'he')") == false);
        CHECK(eval("startsWith(12, 1)") == true);
        CHECK(eval("startsWith(fromJSON('[\"a\"]'), 'a')") == false);
        CHECK(eval("startsWith('x', '')") == true);
    }
    SUBCASE("format") {
        CHECK(eval("format('{0} {1}', 'a', 1)") == "a 1");
        CHECK(eval("format('{1}{0}{1}', 'a', 'b')") == "bab");
        CHECK(eval("format('{{0}} {0} }}', 'x')") == "{0} x }");
        CHECK(eval("format('plain')") == "plain");
        CHECK(eval("format('{0}|{1}|{2}', null, true, 1.5)") == "|true|1.5");
        CHECK(eval("format('{0}', fromJSON('[1,\"a\"]'))") == "Array");  // as GitHub
        struct Case {
            const char* text;
            const char* message;
        };
        const Case errors[] = {
            {"format('{0')", "format: invalid format string '{0'"},
            {"format('a}b')", "format: invalid format string 'a}b'"},
            {"format('{}', 1)", "format: invalid format string '{}'"},
            {"format('{x}', 1)", "format: invalid format string '{x}'"},
            {"format('{1}', 'a')",
             "format: '{1}' is out of range (1 argument after the format string)"},
            {"format('{0}')",
             "format: '{0}' is out of range (0 arguments after the format string)"},
        };
        for (const auto& c : errors) {
            CAPTURE(c.text);
            const Error e = eval_error(c.text);
            CHECK(e.message == c.message);
            CHECK(e.offset == 0);
        }
        CHECK(eval_error("'a' && format('{9}')").offset == 7);
    }
    SUBCASE("join") {
        CHECK(eval("join(fromJSON('[\"a\", \"b\"]'))") == "a,b");
        CHECK(eval("join(fromJSON('[\"a\", 1, null, true]'), ' | ')") == "a | 1 |  | true");
        CHECK(eval("join(event.paths, ' ')", k_contexts) == "a.cpp b.cpp");
        CHECK(eval("join(fromJSON('[]'))") == "");
        CHECK(eval("join('abc', '-')") == "abc");
        CHECK(eval("join(fromJSON('{\"a\": 1}'))") == "");
        CHECK(eval("join(event.labels.*.name)", k_contexts) == "bug,ui");
    }
    SUBCASE("toJSON") {
        CHECK(eval("toJSON(fromJSON('{\"a\": [1, 2.0], \"b\": {}}'))") ==
              "{\n  \"a\": [\n    1,\n    2\n  ],\n  \"b\": {}\n}");
        CHECK(eval("toJSON('x\"y')") == "\"x\\\"y\"");
        CHECK(eval("toJSON(1.5)") == "1.5");
        CHECK(eval("toJSON(1)") == "1");
        CHECK(eval("toJSON(null)") == "null");
        CHECK(eval("toJSON(fromJSON('[]'))") == "[]");
        CHECK(eval("toJSON(matrix)", k_contexts) == "{\n  \"n\": 2,\n  \"os\": \"linux\"\n}");
    }
    SUBCASE("fromJSON") {
        CHECK(eval("fromJSON('{\"a\": 1}').a") == 1);
        CHECK(eval("fromJSON(steps.build.outputs.list)[1]", k_contexts) == "b");
        CHECK(eval("fromJSON('true')") == true);
        CHECK(eval("fromJSON('\"s\"')") == "s");
        CHECK(eval("fromJSON(42)") == 42);
        CHECK(eval("fromJson('[1]')") == Value::parse("[1]"));
        const Error e = eval_error("1 == fromJSON('{bad')");
        CHECK(e.message.rfind("fromJSON: invalid JSON: ", 0) == 0);
        CHECK(e.message.find("[json.exception") == std::string::npos);
        CHECK(e.offset == 5);
        CHECK(eval_error("fromJSON('')").message.rfind("fromJSON: invalid JSON: ", 0) == 0);
        CHECK(eval_error("fromJSON(env.MISSING)").message.rfind("fromJSON: invalid JSON: ", 0) ==
              0);
    }
}

TEST_CASE("expr::truthy") {
    CHECK_FALSE(truthy(Value()));
    CHECK_FALSE(truthy(false));
    CHECK_FALSE(truthy(0));
    CHECK_FALSE(truthy(0u));
    CHECK_FALSE(truthy(0.0));
    CHECK_FALSE(truthy(-0.0));
    CHECK_FALSE(truthy(std::nan("")));
    CHECK_FALSE(truthy(""));
    CHECK(truthy(true));
    CHECK(truthy(-1));
    CHECK(truthy(0.5));
    CHECK(truthy("false"));
    CHECK(truthy("0"));
    CHECK(truthy(Value::array()));
    CHECK(truthy(Value::object()));
}

TEST_CASE("expr::to_text") {
    CHECK(to_text(Value()) == "");
    CHECK(to_text(true) == "true");
    CHECK(to_text(false) == "false");
    CHECK(to_text("a b") == "a b");
    CHECK(to_text(1) == "1");
    CHECK(to_text(-7) == "-7");
    CHECK(to_text(18446744073709551615u) == "18446744073709551615");
    CHECK(to_text(2.0) == "2");
    CHECK(to_text(1.5) == "1.5");
    CHECK(to_text(0.1) == "0.1");
    CHECK(to_text(-0.25) == "-0.25");
    CHECK(to_text(-0.0) == "0");
    CHECK(to_text(1.0 / 3.0) == "0.333333333333333");
    CHECK(to_text(2.0 / 3.0) == "0.666666666666667");
    CHECK(to_text(123456789.123456789) == "123456789.123457");
    CHECK(to_text(1e21) == "1000000000000000000000");
    CHECK(to_text(1e-20) == "0");
    CHECK(to_text(0.000012345678901234) == "0.000012345678901");
    CHECK(to_text(0.9999999999999999) == "1");
    CHECK(to_text(std::nan("")) == "NaN");
    CHECK(to_text(INFINITY) == "Infinity");
    CHECK(to_text(-INFINITY) == "-Infinity");
    CHECK(to_text(Value::parse(R"([1, "a", null, 2.0])")) == R"([1,"a",null,2])");
    CHECK(to_text(Value::parse(R"({"a": {"b": true}})")) == R"({"a":{"b":true}})");
    CHECK(to_text(eval("1.10")) == "1.1");
    CHECK(to_text(eval("0x10")) == "16");
}

TEST_CASE("expr::template") {
    auto t = parse_template("a ${{ 1 }} b${{'x'}}");
    REQUIRE(t.ok());
    REQUIRE(t->parts.size() == 4);
    CHECK(t->parts[0].literal == "a ");
    CHECK(t->parts[0].offset == 0);
    CHECK(t->parts[1].expr.has_value());
    CHECK(t->parts[1].offset == 2);
    CHECK(t->parts[1].expr->text == " 1 ");
    CHECK(t->parts[1].expr->offset == 5);
    CHECK(t->parts[2].literal == " b");
    CHECK(t->parts[2].offset == 10);
    CHECK(t->parts[3].offset == 12);
    CHECK(t->has_expressions());

    SUBCASE("no expressions") {
        auto plain = parse_template(
            "just $HOME and ${x} and $"
            "{ {");
        REQUIRE(plain.ok());
        CHECK_FALSE(plain->has_expressions());
        REQUIRE(plain->parts.size() == 1);
        CHECK(plain->parts[0].literal == "just $HOME and ${x} and ${ {");
        auto empty = parse_template("");
        REQUIRE(empty.ok());
        CHECK(empty->parts.empty());
    }
    SUBCASE("'}}' inside a string does not end the expression") {
        auto f = parse_template("${{ format('{{0}}}}', 'x') }}!");
        REQUIRE(f.ok());
        CHECK(render(*f, {}).value() == "{0}}!");
        CHECK(render(parse_template("${{ 'it''s }}' }}").value(), {}).value() == "it's }}");
    }
    SUBCASE("errors are relative to the template") {
        auto u = parse_template("x ${{ a");
        REQUIRE_FALSE(u.ok());
        CHECK(u.error().message == "unterminated '${{' (missing '}}')");
        CHECK(u.error().offset == 2);
        auto s = parse_template("x ${{ 'a }}");
        REQUIRE_FALSE(s.ok());
        CHECK(s.error().message == "unterminated string");
        CHECK(s.error().offset == 6);
        auto bad = parse_template("ab ${{ a # }}");
        REQUIRE_FALSE(bad.ok());
        CHECK(bad.error().message == "unexpected character '#'");
        CHECK(bad.error().offset == 9);
        auto empty = parse_template("a ${{ }}");
        REQUIRE_FALSE(empty.ok());
        CHECK(empty.error().message == "empty expression");
        CHECK(empty.error().offset == 5);
    }
    SUBCASE("render") {
        auto r = parse_template(
            "Hello ${{ params.target }}! ${{ 1.5 }} [${{ null }}] ${{ true }} ${{ matrix }}");
        REQUIRE(r.ok());
        CHECK(render(*r, k_contexts).value() ==
              "Hello release! 1.5 [] true {\"n\":2,\"os\":\"linux\"}");
        auto failing = parse_template("ab ${{ fromJSON('x') }}");
        REQUIRE(failing.ok());
        auto out = render(*failing, {});
        REQUIRE_FALSE(out.ok());
        CHECK(out.error().message.rfind("fromJSON: invalid JSON: ", 0) == 0);
        CHECK(out.error().offset == 7);
    }
}

TEST_CASE("expr::condition") {
    auto wrapped = parse_condition("${{ success() && env.X == 'y' }}");
    REQUIRE(wrapped.ok());
    CHECK(wrapped->text == " success() && env.X == 'y' ");
    CHECK(wrapped->offset == 3);
    CHECK(evaluate(*wrapped, Value::parse(R"({"env": {"X": "Y"}})")).value() == true);

    auto bare = parse_condition("failure() || matrix.os == 'linux'");
    REQUIRE(bare.ok());
    CHECK(bare->offset == 0);
    CHECK(evaluate(*bare, k_contexts).value() == true);

    CHECK(parse_condition("  ${{ always() }}\n").ok());

    auto two = parse_condition("${{ a }} && ${{ b }}");
    REQUIRE_FALSE(two.ok());
    CHECK(two.error().message ==
          "a condition must be a single expression: put the whole condition inside one ${{ }}");
    CHECK(two.error().offset == 8);

    auto mixed = parse_condition("a == '${{ b }}'");
    REQUIRE_FALSE(mixed.ok());
    CHECK(mixed.error().message ==
          "'${{' inside a condition: put the whole condition inside ${{ }} or leave ${{ }} out");
    CHECK(mixed.error().offset == 6);

    auto bad = parse_condition("${{ a # }}");
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().offset == 6);
    auto bad_bare = parse_condition("a #");
    REQUIRE_FALSE(bad_bare.ok());
    CHECK(bad_bare.error().offset == 2);
    CHECK(parse_condition("").error().message == "empty expression");
}

TEST_CASE("expr::references") {
    auto paths = [](std::string_view text) {
        std::vector<std::pair<std::vector<std::string>, std::size_t>> out;
        for (auto& r : references(parse(text).value())) out.emplace_back(r.path, r.offset);
        return out;
    };
    using P = std::vector<std::pair<std::vector<std::string>, std::size_t>>;
    CHECK(paths("steps.build.outputs.v == matrix.os && env") ==
          P{{{"steps", "build", "outputs", "v"}, 0}, {{"matrix", "os"}, 25}, {{"env"}, 38}});
    CHECK(paths("steps['my-step'].status") == P{{{"steps", "my-step", "status"}, 0}});
    CHECK(paths("steps[matrix.x].outputs.y") == P{{{"steps"}, 0}, {{"matrix", "x"}, 6}});
    CHECK(paths("fromJSON(env.J).a") == P{{{"env", "J"}, 9}});
    CHECK(paths("steps.*.status") == P{{{"steps"}, 0}});
    CHECK(paths("steps.a[0].b") == P{{{"steps", "a"}, 0}});
    CHECK(paths("Steps.Build.outputs") == P{{{"steps", "Build", "outputs"}, 0}});
    CHECK(paths("inputs.a") == P{{{"inputs", "a"}, 0}});
    CHECK(paths("format('{0}', run.id, workflow.name)") ==
          P{{{"run", "id"}, 14}, {{"workflow", "name"}, 22}});
    CHECK(paths("'steps.x' == 1").empty());
    CHECK(paths("success()").empty());

    auto t = parse_template("x ${{ secrets.TOKEN }}").value();
    auto refs = references(*t.parts[1].expr);
    REQUIRE(refs.size() == 1);
    CHECK(refs[0].offset == 1);  // in e.text; t.parts[1].expr->offset + 1 in the template
    CHECK(t.parts[1].expr->offset + refs[0].offset == 6);

    CHECK(context_names() == std::vector<std::string>{"params", "env", "secrets", "matrix", "event",
                                                      "steps", "run", "workflow"});
}

TEST_CASE("expr::uses_status_function") {
    CHECK(uses_status_function(parse("success() || x").value()));
    CHECK(uses_status_function(parse("always()").value()));
    CHECK(uses_status_function(parse("!cancelled()").value()));
    CHECK(uses_status_function(parse("contains(format('{0}', failure()), 'true')").value()));
    CHECK_FALSE(uses_status_function(parse("a == 1").value()));
    CHECK_FALSE(uses_status_function(parse("'success()'").value()));
    CHECK_FALSE(uses_status_function(parse("steps.success.status").value()));
}
