// The libcurl half of the built-ins, built as the shared object weft-curl.so
// (see curl_module.hpp): the `http` request (outputs `status` and `body`;
// fails unless the status is in `expect`) and `wait`'s URL check. Only the
// plugin host loads it.
#include "weft/plugin/curl_module.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <cstdlib>
#include <exception>
#include <memory>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "weft/plugin/builtin_common.hpp"

namespace weft::plugin {

namespace {

using detail::fail;
using detail::log;
using detail::with;
using Json = nlohmann::json;

// The most of a response body kept as the `body` output (the result of a
// plugin is bounded; see k_max_result).
constexpr std::size_t k_max_body = 256u << 10;

using Ranges = std::vector<std::pair<long, long>>;

// `expect`: 204, "200-299", or a list of them.
Result<Ranges> parse_expect(const std::string& text) {
    Json j = Json::parse(text, nullptr, false);
    if (j.is_discarded()) j = text;  // a plain string like 200-299
    Ranges out;
    auto one = [&](const Json& v) -> bool {
        if (v.is_number_integer()) {
            out.emplace_back(v.get<long>(), v.get<long>());
            return true;
        }
        if (!v.is_string()) return false;
        const std::string s = v.get<std::string>();
        char* end = nullptr;
        const long lo = std::strtol(s.c_str(), &end, 10);
        if (end == s.c_str()) return false;
        long hi = lo;
        if (*end == '-') {
            const char* start = end + 1;
            hi = std::strtol(start, &end, 10);
            if (end == start) return false;
        }
        if (*end != '\0' || lo < 100 || hi > 599 || lo > hi) return false;
        out.emplace_back(lo, hi);
        return true;
    };
    bool ok = j.is_array() ? !j.empty() : one(j);
    if (j.is_array())
        for (const auto& v : j) ok = ok && one(v);
    if (!ok)
        return make_error(
            Errc::invalid,
            "'expect': expected a status code, a range like 200-299, or a list of them; got " +
                text);
    return out;
}

std::string describe_ranges(const Ranges& rs) {
    std::string s;
    for (const auto& [lo, hi] : rs) {
        s += s.empty() ? "" : ", ";
        s += lo == hi ? std::to_string(lo) : std::to_string(lo) + "-" + std::to_string(hi);
    }
    return s;
}

struct Transfer {
    const weft_host* host;
    std::string body;
    std::size_t dropped = 0;
};

std::size_t on_data(char* data, std::size_t size, std::size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::size_t len = size * n;
    const std::size_t keep =
        t->body.size() < k_max_body ? std::min(len, k_max_body - t->body.size()) : 0;
    t->body.append(data, keep);
    t->dropped += len - keep;
    return len;
}

int on_progress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
    auto* t = static_cast<Transfer*>(user);
    return t->host->cancelled(t->host->context) ? 1 : 0;  // non-zero aborts the transfer
}

int run_http(const char*, const weft_host* host) {
    const std::string url = with(host, "url").value_or("");
    if (url.empty()) return fail(host, "'url' is empty");
    const std::string method = with(host, "method").value_or("GET");
    auto timeout = detail::duration_param(host, "timeout", Duration{30000});
    if (!timeout) return fail(host, timeout.error().message);
    auto expect = parse_expect(with(host, "expect").value_or("200-299"));
    if (!expect) return fail(host, expect.error().message);

    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) return fail(host, "cannot start libcurl");
    struct curl_slist* headers = nullptr;
    if (auto h = with(host, "headers")) {
        Json j = Json::parse(*h, nullptr, false);
        if (j.is_discarded() || !j.is_object())
            return fail(host, "'headers': expected a map of header names to values");
        for (auto it = j.begin(); it != j.end(); ++it) {
            const std::string value =
                it.value().is_string()
                    ? it.value().get<std::string>()
                    : it.value().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            headers = curl_slist_append(headers, (it.key() + ": " + value).c_str());
        }
    }
    std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)> header_guard(headers,
                                                                             &curl_slist_free_all);
    Transfer t{host, {}, 0};
    const auto body = with(host, "body");
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout->count()));
    if (method == "HEAD")
        curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
    else if (method != "GET" || body)
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method.c_str());
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->c_str());
    }
    if (headers) curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &t);
    curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(c, CURLOPT_XFERINFODATA, &t);
    curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    char error[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, error);

    const CURLcode rc = curl_easy_perform(c);
    if (rc != CURLE_OK) {
        if (rc == CURLE_ABORTED_BY_CALLBACK) return fail(host, method + " " + url + ": cancelled");
        return fail(host, method + " " + url + ": " + (error[0] ? error : curl_easy_strerror(rc)));
    }
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    double seconds = 0;
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &seconds);
    log(host, method + " " + url + " -> " + std::to_string(status) + " (" +
                  std::to_string(static_cast<long>(seconds * 1000)) + " ms, " +
                  std::to_string(t.body.size() + t.dropped) + " bytes)");
    if (t.dropped > 0)
        log(host, "the body output keeps the first " + std::to_string(k_max_body) + " bytes; " +
                      std::to_string(t.dropped) + " more were dropped");
    host->set_output(host->context, "status", std::to_string(status).c_str());
    host->set_output(host->context, "body", t.body.c_str());
    for (const auto& [lo, hi] : *expect)
        if (status >= lo && status <= hi) return WEFT_SUCCESS;
    return fail(host, method + " " + url + ": status " + std::to_string(status) +
                          " is not expected (" + describe_ranges(*expect) + ")");
}

std::size_t discard(char*, std::size_t size, std::size_t n, void*) {
    return size * n;
}

}  // namespace

}  // namespace weft::plugin

extern "C" int weft_curl_http_run(const char* request, const weft_host* host) {
    // No exception may cross the ABI, not even from a built-in.
    try {
        return weft::plugin::run_http(request, host);
    } catch (const std::exception& e) {
        return weft::plugin::detail::fail(host, e.what());
    }
}

extern "C" int weft_curl_url_ready(const char* url, long limit_ms) {
    std::unique_ptr<CURL, decltype(&curl_easy_cleanup)> curl(curl_easy_init(), &curl_easy_cleanup);
    if (!curl) return 0;
    CURL* c = curl.get();
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, std::max(1L, limit_ms));
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, weft::plugin::discard);
    if (curl_easy_perform(c) != CURLE_OK) return 0;
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    return status >= 200 && status <= 299 ? 1 : 0;
}
