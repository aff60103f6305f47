// The built-in `http` plugin (SPEC §7): one request; outputs `status` and
// `body`; fails unless the status is in `expect`. This is its table; the
// request is libcurl's, in weft-curl.so (curl_module.cpp).
#include "weft/plugin/builtin_common.hpp"
#include "weft/plugin/builtins.hpp"
#include "weft/plugin/curl_module.hpp"

namespace weft::plugin {

namespace {

using detail::fail;

const weft_param k_params[] = {
    {"url", "The URL to request (http or https)", 1},
    {"method", "The HTTP method; default GET", 0},
    {"headers", "Request headers, a map of name to value", 0},
    {"body", "The request body", 0},
    {"expect",
     "Statuses that succeed: a code, a range '200-299', or a list of them; default 200-299", 0},
    {"timeout", "The longest the request may take, a duration; default 30s", 0},
    {nullptr, nullptr, 0},
};

int run(const char* request, const weft_host* host) {
    // The request itself runs in the libcurl module, loaded here: in the
    // plugin host, never in the weft process that describes this table.
    auto m = curl_module();
    if (!m) return fail(host, m.error().message);
    return m->http_run(request, host);
}

const weft_plugin k_table = {
    sizeof(weft_plugin), WEFT_PLUGIN_ABI_VERSION, "http", WEFT_VERSION, k_params, run};

}  // namespace

const weft_plugin* http_plugin() {
    return &k_table;
}

}  // namespace weft::plugin
