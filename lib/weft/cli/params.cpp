#include "weft/cli/params.hpp"

#include "weft/util/read_file.hpp"

namespace weft::cli {

Result<ParamArgs> read_param_args(const std::vector<std::string>& given, int stdin_fd) {
    ParamArgs out;
    std::string problems;
    auto problem = [&](const std::string& m) { problems += (problems.empty() ? "" : "\n") + m; };
    const std::string* stdin_taken = nullptr;  // the -p that read standard input
    for (const auto& kv : given) {
        const auto eq = kv.find('=');
        if (eq == std::string::npos || eq == 0) {
            problem("-p " + kv + ": expected KEY=VALUE");
            continue;
        }
        std::string value = kv.substr(eq + 1);
        if (value.rfind("@@", 0) == 0) {
            value.erase(0, 1);
        } else if (!value.empty() && value[0] == '@') {
            const std::string path = value.substr(1);
            Result<std::string> text = std::string();
            if (path == "-") {
                if (stdin_taken) {
                    problem("-p " + kv + ": standard input is already the value of -p " +
                            *stdin_taken);
                    continue;
                }
                stdin_taken = &kv;
                text = read_fd(stdin_fd, k_max_param_file);
            } else {
                text = read_file(path, k_max_param_file, FileKinds::any);
            }
            if (!text) {
                problem("-p " + kv + ": " + text.error().message);
                continue;
            }
            value = std::move(*text);
            // A value goes into environment variables and scripts, where a
            // NUL byte would end it early.
            if (value.find('\0') != std::string::npos) {
                problem("-p " + kv + ": the value holds a NUL byte");
                continue;
            }
            if (!value.empty() && value.back() == '\n') value.pop_back();
        }
        out.emplace_back(kv.substr(0, eq), std::move(value));
    }
    if (!problems.empty()) return make_error(Errc::usage, problems);
    return out;
}

}  // namespace weft::cli
