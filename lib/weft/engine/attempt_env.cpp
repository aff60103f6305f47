#include "weft/engine/attempt_env.hpp"

#include "weft/store/store.hpp"
#include "weft/util/strings.hpp"

namespace weft::engine {

std::map<std::string, std::string> attempt_env(const AttemptEnvInput& in) {
    using Json = nlohmann::json;
    std::map<std::string, std::string> overlay;
    for (auto it = in.env->begin(); it != in.env->end(); ++it)
        overlay[it.key()] = it.value().get<std::string>();
    for (const auto& [k, v] : *in.secrets) overlay[k] = v;
    const Json& event = *in.event;
    overlay["WEFT_RUN_ID"] = std::to_string(in.run_id);
    overlay["WEFT_WORKFLOW"] = in.workflow;
    overlay["WEFT_STEP"] = in.step;
    overlay["WEFT_ATTEMPT"] = std::to_string(in.attempt);
    overlay["WEFT_OUTPUT"] = in.output_file;
    overlay["WEFT_EVENT_KIND"] = event.value("kind", "manual");
    overlay["WEFT_EVENT_TIME"] = event.value("time", "");
    std::string truncated;
    auto event_var = [&](const char* name, std::string value) {
        if (value.size() > k_event_env_max) {
            auto cut = value.rfind('\n', k_event_env_max);
            if (cut == std::string::npos) {
                cut = k_event_env_max;
                while (cut > 0 && utf8_continuation(value[cut])) --cut;
            }
            value.resize(cut);
            truncated += (truncated.empty() ? "" : " ") + std::string(name);
        }
        overlay[name] = std::move(value);
    };
    auto text_of = [](const Json& v) {
        return v.is_string() ? v.get<std::string>() : model::dump_json(v);
    };
    if (event.contains("paths") && event["paths"].is_array()) {
        // A name with a newline would read as two paths: it is left out, and
        // WEFT_EVENT_TRUNCATED says the list is not whole (WEFT_EVENT_JSON is).
        std::string paths;
        bool left_out = false;
        for (const auto& p : event["paths"]) {
            const std::string path = text_of(p);
            if (path.find('\n') != std::string::npos) {
                left_out = true;
                continue;
            }
            paths += (paths.empty() ? "" : "\n") + path;
        }
        event_var("WEFT_EVENT_PATHS", std::move(paths));
        if (left_out && truncated.find("WEFT_EVENT_PATHS") == std::string::npos)
            truncated += (truncated.empty() ? "" : " ") + std::string("WEFT_EVENT_PATHS");
    }
    if (event.contains("line")) event_var("WEFT_EVENT_LINE", text_of(event["line"]));
    if (!truncated.empty()) overlay["WEFT_EVENT_TRUNCATED"] = truncated;
    overlay["WEFT_EVENT_JSON"] = in.event_file;
    return overlay;
}

}  // namespace weft::engine
