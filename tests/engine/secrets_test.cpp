// Secrets at rest (SPEC §4, §9.4): what the engine stores or hashes holds no
// secret value: fingerprints cover the step with its secrets masked, a queued
// event's secret params stay in the engine's memory, and an entry whose
// secrets a restart forgot is dropped and reported.
#include <doctest/doctest.h>

#include "support/workflow.hpp"
#include "weft/engine/dispatch.hpp"
#include "weft/engine/resolve.hpp"
#include "weft/util/time.hpp"

using namespace weft;
using Json = nlohmann::json;

namespace {

const char* k_incremental = R"(name: inc
params:
  token: {secret: true, required: true}
  plain: {default: p}
env:
  WF_TOKEN: "k=${{ params.token }}"
steps:
  build:
    sources: [no-such-file-for-secrets-test]
    env: {TOKEN: "${{ params.token }}", KEY: "${{ secrets.KEY }}"}
    working-directory: "dir-${{ secrets.KEY }}"
    run: |
      echo ${{ params.token }} "${{ params.plain }}" '${{ secrets.KEY }}'
)";

// The fingerprint of `build` with these values.
std::string fingerprint_with(const parse::Workflow& w, const std::string& token,
                             const std::string& key, const std::string& plain = "p") {
    const auto& wf = *w.loaded.workflow;
    const std::map<std::string, std::string> secrets{{"KEY", key}};
    auto ctx = engine::run_contexts(wf, Json{{"token", token}, {"plain", plain}}, Json::object(),
                                    secrets, 1);
    REQUIRE(ctx);
    auto r = engine::resolve_step(wf, wf.steps[0], *ctx);
    REQUIRE(r);
    CHECK(r->env["TOKEN"] == token);  // the step itself runs with it
    REQUIRE(r->masked);
    for (const auto& text : {r->masked->script, r->masked->cwd, r->masked->env.dump()}) {
        CHECK(text.find(token) == std::string::npos);
        CHECK(text.find(key) == std::string::npos);
    }
    auto fp = engine::fingerprint(wf.steps[0], *r, secrets);
    REQUIRE(fp);
    return *fp;
}

}  // namespace

TEST_CASE("engine::fingerprint: covers no secret value, so a new secret reruns nothing") {
    const auto w = test::valid_workflow(k_incremental, "inc.yaml");
    const auto a = fingerprint_with(*w, "tok-one-1111", "key-aaaa");
    CHECK(fingerprint_with(*w, "tok-two-2222", "key-bbbb") == a);
    // Quoting cannot hide a value from the mask: the step is rendered again
    // with the values masked.
    CHECK(fingerprint_with(*w, "it's \"quoted\" $x", "k'ey\\") == a);
    // What is not secret still counts.
    CHECK(fingerprint_with(*w, "tok-one-1111", "key-aaaa", "other") != a);
}

TEST_CASE("engine::resolve_step: no masked view without secrets or sources") {
    const auto w = test::valid_workflow(
        "name: w\nparams: {t: {secret: true, default: ''}}\n"
        "steps:\n  a: {sources: [x], run: echo}\n  b: {run: 'echo ${{ params.t }}'}\n",
        "w.yaml");
    const auto& wf = *w->loaded.workflow;
    auto ctx = engine::run_contexts(wf, Json{{"t", ""}}, Json::object(), {}, 1);
    REQUIRE(ctx);
    auto a = engine::resolve_step(wf, wf.steps[0], *ctx);
    REQUIRE(a);
    CHECK_FALSE(a->masked);  // an empty secret hides nothing: fingerprints as before
    (*ctx)["params"]["t"] = "s3cret";
    auto b = engine::resolve_step(wf, wf.steps[1], *ctx);
    REQUIRE(b);
    CHECK_FALSE(b->masked);  // not incremental
}

TEST_CASE("engine::masked_params: the one rule for secret params") {
    const auto w = test::valid_workflow(
        "name: w\nparams: {t: {secret: true}, e: {secret: true}, n: {secret: true}, p: {}}\n"
        "steps: {a: {run: echo}}\n",
        "w.yaml");
    const auto m = engine::masked_params(*w->loaded.workflow,
                                         Json{{"t", "x"}, {"e", ""}, {"n", 5}, {"p", "v"}});
    CHECK(m == Json{{"t", "***"}, {"e", ""}, {"n", "***"}, {"p", "v"}});
}

// Without an Engine, Dispatch queues and starts nothing, so the queue can be
// watched in the store.
TEST_CASE("engine::Dispatch: queued secret params live in memory; a restart drops the entry") {
    auto store = store::Store::open_memory();
    REQUIRE(store);
    const auto w = test::valid_workflow(
        "name: w\nparams: {token: {secret: true}, empty: {secret: true}, plain: {}}\n"
        "steps: {s: {run: x}}\n",
        "w.yaml");
    std::vector<Json> said;
    {
        engine::Dispatch d(*store, [&](const Json& j) { said.push_back(j); });
        d.workflows()["w"].wf = w;
        const auto ev = d.record(model::Event::manual(Json::object(), now()));
        REQUIRE(ev > 0);
        d.offer(d.workflows()["w"], ev,
                Json{{"token", "tok-queued-77"}, {"empty", ""}, {"plain", "seen"}});
        auto q = store->queued("w", 0);
        REQUIRE(q);
        REQUIRE(q->size() == 1);
        CHECK(q->front().params == Json{{"token", "***"}, {"empty", ""}, {"plain", "seen"}});
        d.dispatch_all();  // its secret is in memory: it stays
        CHECK(store->queued_count("w").value() == 1);
        CHECK(said.empty());
    }
    // A new engine on the same database: the entry's secret is gone.
    engine::Dispatch d(*store, [&](const Json& j) { said.push_back(j); });
    d.workflows()["w"].wf = w;
    d.dispatch_all();
    CHECK(store->queued_count("w").value() == 0);
    REQUIRE(said.size() == 1);
    CHECK(said[0]["type"] == "skip");
    CHECK(said[0]["workflow"] == "w");
    CHECK(said[0]["message"].get<std::string>().find("secret params") != std::string::npos);
}
