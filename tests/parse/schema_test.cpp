// The JSON Schema shipped for editors must accept exactly the keys the loader
// accepts: a key added to one and not the other fails here.
#include <doctest/doctest.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "weft/parse/loader.hpp"

namespace {

std::set<std::string> props(const nlohmann::json& node) {
    std::set<std::string> out;
    if (node.contains("properties"))
        for (auto it = node["properties"].begin(); it != node["properties"].end(); ++it)
            out.insert(it.key());
    for (const char* alt : {"oneOf", "anyOf", "allOf"})
        if (node.contains(alt))
            for (const auto& branch : node[alt]) {
                auto more = props(branch);
                out.insert(more.begin(), more.end());
            }
    return out;
}

std::set<std::string> loader(const char* section) {
    const auto& k = weft::parse::known_keys(section);
    return {k.begin(), k.end()};
}

}  // namespace

TEST_CASE("parse::schema matches the loader") {
    std::ifstream f(std::string(WEFT_TEST_DATA) + "/../schema/weft-workflow.schema.json");
    REQUIRE(f);
    const auto schema = nlohmann::json::parse(f);
    const auto& d = schema["definitions"];
    CHECK(props(schema) == loader("workflow"));
    CHECK(props(d["step"]) == loader("step"));
    CHECK(props(d["triggers"]) == loader("on"));
    CHECK(props(d["file-trigger"]) == loader("file"));
    CHECK(props(d["schedule-entry"]) == loader("schedule"));
    CHECK(props(d["triggers"]["properties"]["stdin"]) == loader("stdin"));
    CHECK(props(d["triggers"]["properties"]["workflow"]) == loader("workflow-trigger"));
    CHECK(props(d["param"]) == loader("param"));
    CHECK(props(d["slurm"]) == loader("slurm"));
    CHECK(props(d["defaults"]) == loader("defaults"));
    CHECK(props(d["retry"]) == loader("retry"));
    CHECK(props(d["concurrency"]) == loader("concurrency"));
    CHECK(props(d["retention"]) == loader("retention"));
    CHECK(weft::parse::known_keys("nonsense").empty());
}
