// The JSON of protocol 1 (SPEC §7): the request a plugin reads, the result
// it prints, the description `--describe` prints.
#include "weft/plugin/plugin.hpp"
#include "weft/util/strings.hpp"

namespace weft::plugin {

namespace {

// Step output may be any bytes: never let a bad UTF-8 sequence throw.
std::string dump(const Json& j) {
    return j.dump(-1, ' ', false, Json::error_handler_t::replace);
}

}  // namespace

Result<std::string> make_request(const Json& with, const Json& env, const Json& event,
                                 const RunInfo& run) {
    Json req{{"protocol", k_protocol},
             {"with", with.is_object() ? with : Json::object()},
             {"env", env.is_object() ? env : Json::object()},
             {"event", event},
             {"run",
              {{"id", run.id},
               {"workflow", run.workflow},
               {"step", run.step},
               {"attempt", run.attempt},
               {"run_attempt", run.run_attempt}}}};
    std::string text = dump(req);
    if (text.size() > k_max_request)
        return make_error(Errc::invalid,
                          "the plugin's request (with, env and event) is " +
                              std::to_string(text.size() >> 20) + " MiB, more than the " +
                              std::to_string(k_max_request >> 20) + " MiB a request may be");
    return text + "\n";
}

Result<Outcome> parse_result(const std::string& text) {
    if (text.find_first_not_of(" \t\r\n") == std::string::npos)
        return make_error(Errc::invalid, "it printed no result on stdout");
    if (json_nesting(text) > k_max_json_nesting)
        return make_error(Errc::invalid, "its result on stdout is JSON nested deeper than " +
                                             std::to_string(k_max_json_nesting) + " levels");
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded()) {
        std::string start = text.substr(0, 40);
        for (char& c : start)
            if (static_cast<unsigned char>(c) < 0x20) c = ' ';
        return make_error(Errc::invalid,
                          "its result on stdout is not JSON (it starts with '" + start + "')");
    }
    if (!j.is_object())
        return make_error(Errc::invalid, "its result on stdout is not a JSON object");
    Outcome o;
    const Json& status = j["status"];
    if (status == "success")
        o.success = true;
    else if (status != "failure")
        return make_error(Errc::invalid, "its result has status " + dump(status) +
                                             "; expected \"success\" or \"failure\"");
    if (j.contains("outputs") && !j["outputs"].is_null()) {
        if (!j["outputs"].is_object())
            return make_error(Errc::invalid, "its result's 'outputs' is not an object");
        for (auto it = j["outputs"].begin(); it != j["outputs"].end(); ++it)
            o.outputs[it.key()] =
                it.value().is_string() ? it.value().get<std::string>() : dump(it.value());
    }
    if (j.contains("message") && !j["message"].is_null()) {
        if (!j["message"].is_string())
            return make_error(Errc::invalid, "its result's 'message' is not a string");
        o.message = j["message"].get<std::string>();
    }
    return o;
}

Json description_json(const std::string& name, const Description& d) {
    Json params = Json::object();
    for (const auto& [k, p] : d.params)
        params[k] = {{"required", p.required}, {"description", p.description}};
    return {{"name", name}, {"version", d.version}, {"protocol", {k_protocol}}, {"params", params}};
}

}  // namespace weft::plugin
