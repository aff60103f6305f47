#include <doctest/doctest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "support/store.hpp"
#include "support/temp_dir.hpp"
#include "weft/cli/history.hpp"

using namespace weft;
using test::must;

namespace {

// A run of `workflow` with `steps`, through the store API.
store::RowId add_run(store::Store& s, const std::string& workflow, std::vector<std::string> steps) {
    const auto event = must(s.add_event("manual", nlohmann::json::object(), test::at(test::k_t0)));
    store::NewRun r;
    r.workflow = workflow;
    r.file = workflow + ".yaml";
    r.event_id = event;
    r.started = test::at(test::k_t0);
    const auto id = must(s.create_run(r));
    must(s.add_steps(id, steps));
    return id;
}

// The link rows a sub-workflow call writes (schema 6), set directly: the
// engine's writer of them is another module's.
void link(const std::string& db, store::RowId child, store::RowId parent, const std::string& step) {
    sqlite3* h = nullptr;
    REQUIRE(sqlite3_open(db.c_str(), &h) == SQLITE_OK);
    const std::string sql = "UPDATE runs SET parent_run = " + std::to_string(parent) +
                            ", parent_step = '" + step + "' WHERE id = " + std::to_string(child);
    CHECK(sqlite3_exec(h, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK);
    sqlite3_close(h);
}

}  // namespace

TEST_CASE("cli::log_target and the store's child runs") {
    test::TempDir t;
    const std::string db = (t.path / "state.db").string();
    auto s = must(store::Store::open(db));
    const auto parent = add_run(s, "ci", {"build", "test[suite=unit]", "test[suite=e2e]", "lint"});
    const auto first = add_run(s, "build", {"compile", "pack"});
    const auto retry = add_run(s, "build", {"compile", "pack"});
    const auto nested = add_run(s, "pack", {"zip"});
    link(db, first, parent, "build");
    link(db, retry, parent, "build");
    link(db, nested, retry, "pack");

    CHECK(must(s.child_runs(parent)).size() == 2);
    CHECK(must(s.child_runs(retry)).front().run == nested);
    CHECK(must(s.child_runs(nested)).empty());
    // `last`: the newest run no other run called
    CHECK(must(s.newest_top_run()) == std::optional<store::RowId>(parent));

    SUBCASE("a plain step: its lines alone, bare") {
        auto target = must(cli::log_target(s, parent, "lint"));
        CHECK(target.run == parent);
        CHECK(target.shows("lint"));
        CHECK_FALSE(target.shows("build"));
        CHECK(target.line_prefix("lint").empty());
    }
    SUBCASE("a matrix step: every instance, prefixed with its id") {
        auto target = must(cli::log_target(s, parent, "test"));
        CHECK(target.steps == std::set<std::string>{"test[suite=unit]", "test[suite=e2e]"});
        CHECK_FALSE(target.shows("lint"));
        CHECK(target.line_prefix("test[suite=e2e]") == "test[suite=e2e] | ");
        CHECK(must(cli::log_target(s, parent, "test[suite=e2e]")).one_step ==
              std::optional<std::string>("test[suite=e2e]"));
    }
    SUBCASE("a sub-workflow step: every step of its newest call, as build/<id>") {
        auto target = must(cli::log_target(s, parent, "build"));
        CHECK(target.run == retry);
        CHECK(target.shows("compile"));
        CHECK(target.line_prefix("compile") == "build/compile | ");
    }
    SUBCASE("build/compile: one step of the called run; deeper calls too") {
        auto target = must(cli::log_target(s, parent, "build/compile"));
        CHECK(target.run == retry);
        CHECK(target.one_step == std::optional<std::string>("compile"));
        CHECK(target.line_prefix("compile").empty());
        auto deep = must(cli::log_target(s, parent, "build/pack"));
        CHECK(deep.run == nested);
        CHECK(deep.line_prefix("zip") == "build/pack/zip | ");
        CHECK(must(cli::log_target(s, parent, "build/pack/zip")).run == nested);
    }
    SUBCASE("an unknown step: a did-you-mean") {
        auto r = cli::log_target(s, parent, "lnt");
        REQUIRE(!r);
        CHECK(r.error().code == Errc::usage);
        CHECK(r.error().message.find("run 1 has no step 'lnt'") == 0);
        CHECK(r.error().message.find("lint") != std::string::npos);
        CHECK_FALSE(cli::log_target(s, parent, "build/nope"));
    }
}
