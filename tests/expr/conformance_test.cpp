// Conformance with GitHub's published expression test data (repository
// actions/languageservices, folder expressions/testdata). The data is not in
// this repository; this case is skipped unless run explicitly:
//
//   WEFT_GH_EXPR_TESTDATA=DIR build/tests/weft_tests -tc='expr::conformance*' --no-skip
//
// It prints the number of cases, how many agree, and each disagreement with
// its kind. An expected error agrees when weft rejects the expression at
// parse or at evaluation (GitHub checks some errors, e.g. format strings, at
// parse time, weft when evaluating); those stage differences are counted.
#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

#include "weft/expr/expr.hpp"

using namespace weft::expr;

namespace {

std::string kind_name(const Value& v) {
    switch (v.type()) {
        case Value::value_t::null:
            return "Null";
        case Value::value_t::boolean:
            return "Boolean";
        case Value::value_t::string:
            return "String";
        case Value::value_t::array:
            return "Array";
        case Value::value_t::object:
            return "Object";
        default:
            return "Number";
    }
}

// Equality as GitHub's runner checks it (JSON.stringify of both): numbers by
// value (-0 is 0), objects with their keys in order.
bool same(const Value& a, const Value& b) {
    if (a.is_number() && b.is_number()) {
        const double x = a.get<double>(), y = b.get<double>();
        return x == y || (std::isnan(x) && std::isnan(y));
    }
    if (a.type() != b.type() || a.size() != b.size()) return false;
    if (a.is_array()) {
        for (std::size_t i = 0; i < a.size(); ++i)
            if (!same(a[i], b[i])) return false;
        return true;
    }
    if (a.is_object()) {
        for (auto i = a.begin(), j = b.begin(); i != a.end(); ++i, ++j)
            if (i.key() != j.key() || !same(i.value(), j.value())) return false;
        return true;
    }
    return a == b;
}

struct Tally {
    int total = 0;
    int agree = 0;
    int error_stage_differs = 0;
    std::map<std::string, int> by_kind;
};

void check_case(const std::string& where, const Value& c, Tally& t) {
    ++t.total;
    const std::string text = c["expr"].get<std::string>();
    const Value contexts = c.contains("contexts") ? c["contexts"] : Value::object();
    const bool want_error = c.contains("err");
    auto disagree = [&](const std::string& kind, const std::string& detail) {
        ++t.by_kind[kind];
        std::cout << "DISAGREE [" << kind << "] " << where << ": " << text << " -> " << detail
                  << "\n";
    };
    auto e = parse(text);
    if (!e) {
        if (!want_error) return disagree("parse error", e.error().message);
        ++t.agree;
        if (c["err"]["kind"] == "evaluation") ++t.error_stage_differs;
        return;
    }
    auto v = evaluate(*e, contexts);
    if (!v) {
        if (!want_error) return disagree("evaluation error", v.error().message);
        ++t.agree;
        if (c["err"]["kind"] != "evaluation") ++t.error_stage_differs;
        return;
    }
    if (want_error) return disagree("no error", "got " + v->dump());
    const Value& want = c["result"];
    if (kind_name(*v) != want["kind"].get<std::string>())
        return disagree("kind", "got " + kind_name(*v) + " " + v->dump());
    if (!same(*v, want["value"])) return disagree("value", "got " + v->dump());
    ++t.agree;
}

}  // namespace

TEST_CASE("expr::conformance with GitHub's expression test data" * doctest::skip()) {
    const char* dir = std::getenv("WEFT_GH_EXPR_TESTDATA");
    REQUIRE_MESSAGE(dir != nullptr, "set WEFT_GH_EXPR_TESTDATA to the testdata directory");
    Tally t;
    std::map<std::string, std::filesystem::path> files;  // sorted, for a stable report
    for (const auto& entry : std::filesystem::directory_iterator(dir))
        if (entry.path().extension() == ".json") files[entry.path().filename()] = entry.path();
    for (const auto& [name, path] : files) {
        std::ifstream in(path);
        const Value groups = Value::parse(in);
        for (auto g = groups.begin(); g != groups.end(); ++g)
            for (const auto& c : g.value()) check_case(name + " " + g.key(), c, t);
    }
    std::cout << "cases " << t.total << ", agreeing " << t.agree << " ("
              << (t.total ? 100.0 * t.agree / t.total : 0) << "%); expected errors caught at "
              << "another stage " << t.error_stage_differs << "\n";
    for (const auto& [kind, n] : t.by_kind) std::cout << "  " << kind << ": " << n << "\n";
    CHECK(t.total > 0);
}
