#include <dlfcn.h>
#include <unistd.h>

#include "weft/plugin/curl_module.hpp"
#include "weft/plugin/plugin.hpp"

namespace weft::plugin {

namespace {

Result<CurlModule> load_curl_module() {
    const std::string exe = self_exe();
    const std::string dir = exe.substr(0, exe.find_last_of('/') + 1);
    // Installed first; the build tree keeps the module beside the binary.
    const std::string paths[] = {dir + WEFT_CURL_MODULE_FROM_BIN, dir + "weft-curl.so"};
    for (const auto& path : paths) {
        if (::access(path.c_str(), F_OK) != 0) continue;
        void* lib = ::dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
        if (!lib) return make_error(Errc::invalid, "cannot load " + path + ": " + ::dlerror());
        CurlModule m{
            reinterpret_cast<decltype(&weft_curl_http_run)>(::dlsym(lib, "weft_curl_http_run")),
            reinterpret_cast<decltype(&weft_curl_url_ready)>(::dlsym(lib, "weft_curl_url_ready"))};
        if (!m.http_run || !m.url_ready)
            return make_error(Errc::invalid, path +
                                                 " lacks weft_curl_http_run or "
                                                 "weft_curl_url_ready (a weft of another "
                                                 "version?)");
        return m;
    }
    return make_error(Errc::not_found, "weft's libcurl module is missing (looked for " + paths[0] +
                                           " and " + paths[1] + ")");
}

}  // namespace

Result<CurlModule> curl_module() {
    static const Result<CurlModule> loaded = load_curl_module();
    return loaded;
}

}  // namespace weft::plugin
