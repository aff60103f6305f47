#include "weft/parse/workflow_set.hpp"

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>

#include "weft/util/glob.hpp"
#include "weft/util/strings.hpp"

namespace weft::parse {

Result<std::vector<std::string>> workflow_files(const std::vector<std::string>& paths) {
    namespace fs = std::filesystem;
    std::vector<std::string> out;
    for (const auto& p : paths) {
        std::error_code ec;
        if (fs::is_directory(p, ec)) {
            std::vector<std::string> here;
            for (const auto& e : fs::directory_iterator(p, ec)) {
                const auto ext = e.path().extension().string();
                if ((ext == ".yaml" || ext == ".yml") && e.is_regular_file(ec))
                    here.push_back(e.path().lexically_normal().string());
            }
            std::sort(here.begin(), here.end());
            out.insert(out.end(), here.begin(), here.end());
        } else if (fs::exists(p, ec)) {
            out.push_back(fs::path(p).lexically_normal().string());
        } else {
            return make_error(Errc::invalid, p + ": no such file or directory");
        }
    }
    return out;
}

bool follows(const model::Workflow& w, const std::string& other) {
    if (!w.on.workflow || other == w.name) return false;
    for (const auto& pattern : w.on.workflow->names)
        if (glob_match(pattern, other)) return true;
    return false;
}

namespace {

// Each `on.workflow.names` entry of `w` that matches no other workflow of
// the set: a typo would otherwise never fire.
void check_names(const model::Workflow& w, const std::map<std::string, const model::Workflow*>& set,
                 std::vector<std::string>& problems) {
    if (!w.on.workflow) return;
    std::vector<std::string> others;
    for (const auto& [n, o] : set)
        if (n != w.name) others.push_back(n);
    const auto& names = w.on.workflow->names;
    for (std::size_t i = 0; i < names.size(); ++i) {
        if (std::any_of(others.begin(), others.end(),
                        [&](const std::string& n) { return glob_match(names[i], n); }))
            continue;
        std::string where = w.file;
        if (i < w.on.workflow->names_loc.size() && w.on.workflow->names_loc[i].line > 0)
            where += ":" + std::to_string(w.on.workflow->names_loc[i].line) + ":" +
                     std::to_string(w.on.workflow->names_loc[i].column);
        problems.push_back(with_suggestion(
            where + ": on.workflow.names: '" + names[i] + "' matches no other workflow of the set",
            names[i], others));
    }
}

}  // namespace

std::vector<std::string> check_workflow_set(const std::vector<WorkflowPtr>& workflows) {
    std::vector<std::string> problems;
    std::map<std::string, const model::Workflow*> by_name;
    for (const auto& p : workflows) {
        const auto& w = *p->loaded.workflow;
        auto [it, fresh] = by_name.emplace(w.name, &w);
        if (!fresh)
            problems.push_back("two workflows are named '" + w.name + "': " + it->second->file +
                               " and " + w.file);
    }
    // A cycle of workflow triggers: W listens for V's end when V is in W's names.
    std::map<std::string, int> mark;  // 0 new, 1 on the path, 2 done
    std::vector<std::string> path;
    std::function<bool(const std::string&)> visit = [&](const std::string& n) -> bool {
        mark[n] = 1;
        path.push_back(n);
        const auto it = by_name.find(n);
        if (it != by_name.end() && it->second->on.workflow)
            for (const auto& entry : by_name) {
                const std::string& up = entry.first;
                if (!follows(*it->second, up)) continue;
                if (mark[up] == 1) {
                    const auto from = std::find(path.begin(), path.end(), up);
                    std::string cycle;
                    for (auto i = from; i != path.end(); ++i) cycle += *i + " <- ";
                    problems.push_back("a cycle of workflow triggers: " + cycle + up +
                                       " (each starts when the one after it ends)");
                    return true;
                }
                if (mark[up] == 0 && visit(up)) return true;
            }
        path.pop_back();
        mark[n] = 2;
        return false;
    };
    for (const auto& [n, w] : by_name)
        if (mark[n] == 0 && visit(n)) break;
    for (const auto& [n, w] : by_name) check_names(*w, by_name, problems);
    return problems;
}

}  // namespace weft::parse
