#pragma once
// A valid workflow from YAML text, as the loader and checker make it; the
// test fails when the text is not valid.
#include <memory>
#include <string>

#include <doctest/doctest.h>

#include "weft/parse/workflow_set.hpp"

namespace weft::test {

inline parse::WorkflowPtr valid_workflow(const std::string& yaml, const std::string& file) {
    auto w = std::make_shared<parse::Workflow>();
    w->loaded = parse::load_string(yaml, file);
    w->graph = parse::check(w->loaded);
    REQUIRE_MESSAGE(w->ok(), file);
    return w;
}

}  // namespace weft::test
