#pragma once
// Trigger filters (SPEC §9.2): a trigger's `if:` (on.file, on.stdin,
// on.workflow, each on.schedule entry) and stdin's `match:`. An event that
// does not pass for a workflow is recorded as `filtered` for it and starts
// nothing. The loader has checked both (syntax, contexts, the pattern);
// expressions and patterns are parsed once here and kept by their text.
#include <map>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "weft/expr/expr.hpp"
#include "weft/model/event.hpp"
#include "weft/model/workflow.hpp"
#include "weft/util/regex.hpp"

namespace weft::engine {

// The stored key of a cron entry: its text, then its time zone if it has
// one (`event.schedule`, schedule_fires.entry).
std::string schedule_entry_key(const model::ScheduleEntry& e);

class TriggerFilters {
  public:
    // Whether `e` (with `payload`, its to_json) passes `w`'s filters for
    // its kind. An `if:` that fails to evaluate does not pass and sets
    // `error` to why; a manual event always passes.
    bool passes(const model::Workflow& w, const model::Event& e, const nlohmann::json& payload,
                std::string& error);

  private:
    bool condition(const model::Workflow& w, const std::string& text, const nlohmann::json& payload,
                   std::string& error);

    std::map<std::string, std::optional<expr::Expr>> m_exprs;
    std::map<std::string, std::optional<Regex>> m_patterns;
};

}  // namespace weft::engine
