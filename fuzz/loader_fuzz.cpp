// Fuzz target: the workflow loader and the whole-workflow checks (YAML →
// model → DAG), as `weft validate` runs them. Any input must give a workflow
// or diagnostics; never a crash, a hang or a sanitizer report.
#include <cstddef>
#include <cstdint>
#include <string>

#include "weft/parse/check.hpp"
#include "weft/parse/loader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    auto loaded = weft::parse::load_string(std::string(reinterpret_cast<const char*>(data), size),
                                           "fuzz.yaml");
    if (loaded.workflow) (void)weft::parse::check(loaded);
    return 0;
}
