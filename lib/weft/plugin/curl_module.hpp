#pragma once
// The libcurl half of the built-ins (`http`'s request, `wait`'s URL check),
// built as its own shared object so that the weft binary does not load
// libcurl and its TLS/Kerberos/LDAP tree at every start. Only the plugin
// host (a child process) loads it, the first time a built-in needs it:
// BINDIR/../libexec/weft/weft-curl.so once installed, else weft-curl.so
// beside the binary (the build tree).
#include "weft/plugin.h"
#include "weft/util/result.hpp"

extern "C" {
// Run one `http` request as the built-in's run function (the same contract).
int weft_curl_http_run(const char* request, const weft_host* host);
// One GET of `url`, `limit_ms` at most: 1 on a 2xx answer, else 0.
int weft_curl_url_ready(const char* url, long limit_ms);
}

namespace weft::plugin {

struct CurlModule {
    decltype(&weft_curl_http_run) http_run;
    decltype(&weft_curl_url_ready) url_ready;
};

// The module's functions, loaded once (never unloaded); Errc::not_found
// naming the paths tried when it is missing, Errc::invalid when it cannot
// be loaded or lacks a function.
Result<CurlModule> curl_module();

}  // namespace weft::plugin
