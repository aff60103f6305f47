// weft plugins: every plugin found (SPEC §6, §7), with its kind, version,
// path and parameters.
#include <algorithm>

#include "weft/cli/cli.hpp"
#include "weft/cli/commands.hpp"
#include "weft/plugin/plugin.hpp"

namespace weft::cli {

int cmd_plugins(const Options&, const Globals& g) {
    struct Row {
        plugin::Found found;
        Result<plugin::Description> description;
    };
    std::vector<Row> rows;
    std::size_t name_w = 4, version_w = 7;
    for (auto& f : plugin::list_all()) {
        auto d = plugin::describe(f);
        name_w = std::max(name_w, f.name.size());
        if (d && !d->version.empty()) version_w = std::max(version_w, d->version.size());
        rows.push_back({std::move(f), std::move(d)});
    }
    if (g.out.verbosity > 0) {
        std::string where;
        for (const auto& d : plugin::search_dirs()) where += (where.empty() ? "" : ", ") + d;
        out::print("looked in: {}, then the built-ins\n", where.empty() ? "(no directory)" : where);
    }
    const int nw = static_cast<int>(name_w), vw = static_cast<int>(version_w);
    out::print("{:<{}}  {:<10}  {:<{}}  {}\n", "NAME", nw, "KIND", "VERSION", vw, "PATH");
    for (const auto& r : rows) {
        const std::string version =
            r.description && !r.description->version.empty() ? r.description->version : "-";
        out::print("{:<{}}  {:<10}  {:<{}}  {}\n", r.found.name, nw,
                   plugin::to_string(r.found.kind), version, vw,
                   r.found.path.empty() ? "(built in)" : r.found.path);
        if (!r.description) {
            out::print("    error: {}\n", r.description.error().message);
            continue;
        }
        if (!r.description->described) {
            out::print("    (no --describe: any 'with' is accepted)\n");
            continue;
        }
        std::size_t kw = 0;
        for (const auto& [k, p] : r.description->params)
            kw = std::max(kw, k.size() + (p.required ? 11 : 0));
        for (const auto& [k, p] : r.description->params) {
            const std::string key = k + (p.required ? " (required)" : "");
            out::print("    {:<{}}  {}\n", key, kw, p.description);
        }
    }
    return k_exit_ok;
}

}  // namespace weft::cli
