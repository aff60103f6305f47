#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>

#include <unistd.h>

#include "support/workflow.hpp"
#include "weft/parse/workflow_set.hpp"

using namespace weft;

namespace {

const auto wf = test::valid_workflow;

}  // namespace

TEST_CASE("parse::check_workflow_set") {
    const auto a = wf("name: a\nsteps: {s: {run: x}}\n", "a.yaml");
    const auto a2 = wf("name: a\nsteps: {s: {run: x}}\n", "b.yaml");
    CHECK(parse::check_workflow_set({a}).empty());
    CHECK(parse::check_workflow_set({a, a2}) ==
          std::vector<std::string>{"two workflows are named 'a': a.yaml and b.yaml"});
    const auto p = wf("name: p\non: {workflow: {names: [q]}}\nsteps: {s: {run: x}}\n", "p.yaml");
    const auto q = wf("name: q\non: {workflow: {names: [r]}}\nsteps: {s: {run: x}}\n", "q.yaml");
    const auto r = wf("name: r\non: {workflow: {names: [p]}}\nsteps: {s: {run: x}}\n", "r.yaml");
    const auto problems = parse::check_workflow_set({p, q, r});
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].rfind("a cycle of workflow triggers: p <- q <- r <- p", 0) == 0);
    // A chain and a fan-in are fine; a name that matches no workflow of the
    // set (a typo would never fire) is not (SPEC §9.2).
    const auto c1 = wf("name: c1\nsteps: {s: {run: x}}\n", "c1.yaml");
    const auto c2 =
        wf("name: c2\non: {workflow: {names: [c1]}}\nsteps: {s: {run: x}}\n", "c2.yaml");
    const auto fan =
        wf("name: fan\non: {workflow: {names: [c1, c2]}}\nsteps: {s: {run: x}}\n", "f.yaml");
    CHECK(parse::check_workflow_set({c1, c2, fan}).empty());
    const auto typo =
        wf("name: fan\non:\n  workflow:\n    names: [c1, c22]\nsteps: {s: {run: x}}\n", "f.yaml");
    CHECK(parse::check_workflow_set({c1, c2, typo}) ==
          std::vector<std::string>{"f.yaml:4:17: on.workflow.names: 'c22' matches no other "
                                   "workflow of the set (did you mean 'c2'?)"});
    // A workflow never follows itself, not even by its own name.
    const auto self =
        wf("name: self\non: {workflow: {names: [self]}}\nsteps: {s: {run: x}}\n", "s.yaml");
    CHECK(parse::check_workflow_set({self}).size() == 1);
}

TEST_CASE("parse::follows and on.workflow.names globs") {
    const auto notify = wf(
        "name: notify\non: {workflow: {names: ['*'], status: [failure]}}\nsteps: {s: {run: x}}\n",
        "n.yaml");
    const auto& n = *notify->loaded.workflow;
    CHECK(parse::follows(n, "backup"));
    CHECK_FALSE(parse::follows(n, "notify"));  // every workflow but itself
    const auto nightly =
        wf("name: b\non: {workflow: {names: ['nightly-*']}}\nsteps: {s: {run: x}}\n", "b.yaml");
    CHECK(parse::follows(*nightly->loaded.workflow, "nightly-db"));
    CHECK_FALSE(parse::follows(*nightly->loaded.workflow, "weekly-db"));
    const auto backup = wf("name: backup\nsteps: {s: {run: x}}\n", "backup.yaml");
    CHECK(parse::check_workflow_set({notify, backup}).empty());
    // Two '*' listeners follow each other: a cycle.
    const auto other =
        wf("name: other\non: {workflow: {names: ['*'], status: [failure]}}\nsteps: {s: {run: x}}\n",
           "o.yaml");
    const auto cycle = parse::check_workflow_set({notify, other});
    REQUIRE(cycle.size() == 1);
    CHECK(cycle[0].rfind("a cycle of workflow triggers", 0) == 0);
}

TEST_CASE("parse::workflow_files: a directory's *.yaml and *.yml sorted, files as given") {
    namespace fs = std::filesystem;
    const fs::path dir = fs::temp_directory_path() / ("weft_wfset_" + std::to_string(::getpid()));
    fs::remove_all(dir);
    fs::create_directories(dir / "sub");
    for (const char* f : {"b.yml", "a.yaml", "c.txt", "sub/d.yaml"}) std::ofstream(dir / f) << "x";
    auto files = parse::workflow_files({dir.string(), (dir / "c.txt").string()});
    REQUIRE(files);
    CHECK(*files == std::vector<std::string>{(dir / "a.yaml").string(), (dir / "b.yml").string(),
                                             (dir / "c.txt").string()});
    auto missing = parse::workflow_files({(dir / "nope").string()});
    REQUIRE(!missing);
    CHECK(missing.error().code == Errc::invalid);
    CHECK(missing.error().message == (dir / "nope").string() + ": no such file or directory");
    fs::remove_all(dir);
}
