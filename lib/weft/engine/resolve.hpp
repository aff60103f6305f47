#pragma once
// A step as it will run: its expressions rendered against the run's contexts.
// The engine resolves every attempt with this; `weft run --dry-run` resolves
// with it too, so the plan and the run agree. Incremental steps (SPEC §1
// `sources`/`generates`) fingerprint the resolved step.
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "weft/dag/graph.hpp"
#include "weft/model/workflow.hpp"
#include "weft/store/store.hpp"
#include "weft/util/duration.hpp"
#include "weft/util/mask.hpp"
#include "weft/util/result.hpp"

namespace weft::engine {

struct ResolvedStep {
    std::string shell;   // bash, sh, or a command with {0}
    std::string script;  // the run: text, with ${{ }} inserted
    nlohmann::json with =
        nlohmann::json::object();  // a plugin step's `with`, every string rendered
    std::string cwd;
    std::vector<std::string> sources, generates;  // their globs, rendered
    Duration timeout{0};
    nlohmann::json env = nlohmann::json::object();  // the workflow's env, then the step's
    // What `fingerprint` covers when the contexts hold a secret and the step
    // has `sources`: the step rendered with every secret value as `***`, so
    // no stored hash covers a secret and a new secret value alone does not
    // rerun the step. Null otherwise (the step itself is fingerprinted).
    std::shared_ptr<const ResolvedStep> masked;
};

// The secret values of a run (SPEC §4): the `secrets` context's values and
// those of the workflow's `secret: true` params in `params` (strings only:
// others hide nothing).
Masker secret_masker(const model::Workflow& wf, const nlohmann::json& params,
                     const nlohmann::json& secrets);

// `params` with the value of each of `wf`'s `secret: true` params masked
// (mask_secret_param): params as they are stored and shown.
nlohmann::json masked_params(const model::Workflow& wf, nlohmann::json params);

// `--only STEP...`: per instance of `g`, 1 when it runs (the steps named and
// everything they need; every instance when `only` is empty). Errc::invalid
// for an unknown step, with a suggestion.
Result<std::vector<char>> select_instances(const model::Workflow& wf, const dag::Graph& g,
                                           const std::vector<std::string>& only);

// The workflow's `retention`, as Store::prune takes it.
store::Retention retention_of(const model::Workflow& wf);

// Given param values over the workflow's params: defaults filled in, an
// unknown name or a missing required param is Errc::invalid naming it (one
// line per problem, with a "did you mean" where one is close).
Result<nlohmann::json> resolve_params(
    const model::Workflow& wf, const std::vector<std::pair<std::string, std::string>>& given);

// The values of `wf`'s `env-file` files (SPEC §9.1), read in order (a
// later file wins a key), as a JSON object of strings. The dotenv reader's
// errors: `FILE:LINE:COL: error: WHAT` for a bad line (Errc::invalid),
// `PATH: error: REASON` for a file that cannot be read.
Result<nlohmann::json> read_env_files(const model::Workflow& wf);

// The contexts of a run (SPEC §2) before any step ran: params, secrets,
// event, workflow, run, and env (the env-file values, then the workflow's
// env, rendered). Errc::invalid when a workflow env value cannot be
// rendered; read_env_files' errors.
Result<nlohmann::json> run_contexts(const model::Workflow& wf, const nlohmann::json& params,
                                    const nlohmann::json& event,
                                    const std::map<std::string, std::string>& secrets,
                                    std::int64_t run_id, int attempt = 1);

// Render `step` against `ctx` (params, env, secrets, event, workflow, run,
// matrix, steps; its "env" is the workflow's rendered env), and for an
// incremental step with secrets, its `masked` view. Errors name the key that
// failed (`env X: ...`, `timeout: ...`, `run: ...`, `with.url: ...`).
Result<ResolvedStep> resolve_step(const model::Workflow& wf, const model::Step& step,
                                  nlohmann::json ctx);

// The argv that runs `script_file` with `shell`.
std::vector<std::string> shell_argv(const std::string& shell, const std::string& script_file);

// Hex XXH3-128 over the resolved definition (its `masked` view when it has
// one), its environment (of `secrets` only their names count), and the
// content of every file the step's `sources` match. No secret value is
// hashed, unless a source file holds one. Errc::io when a source cannot be
// read.
Result<std::string> fingerprint(const model::Step& step, const ResolvedStep& r,
                                const std::map<std::string, std::string>& secrets);

// True when every `generates` glob of the resolved step matches a file.
bool generates_exist(const ResolvedStep& r);

}  // namespace weft::engine
