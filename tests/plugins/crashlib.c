/* A shared-library plugin that dies: `with: {how: segv}` dereferences NULL,
 * `how: abort` aborts, `how: hang` loops without ever asking whether it was
 * cancelled. For the end-to-end tests: each must fail only its own step. */
#include <stdlib.h>
#include <string.h>

#include <weft/plugin.h>

static const struct weft_param params[] = {{"how", "segv, abort or hang", 1}, {NULL, NULL, 0}};

static int run(const char* request_json, const struct weft_host* host) {
    const char* how = host->with(host->context, "how");
    (void)request_json;
    host->log(host->context, "about to misbehave");
    if (how && strcmp(how, "segv") == 0) {
        volatile int* p = NULL;
        *p = 1;
    } else if (how && strcmp(how, "abort") == 0) {
        abort();
    } else if (how && strcmp(how, "hang") == 0) {
        for (;;) {
        }
    }
    return WEFT_SUCCESS;
}

static const struct weft_plugin plugin = {
    sizeof(struct weft_plugin), WEFT_PLUGIN_ABI_VERSION, "crashlib", "0.1", params, run,
};

__attribute__((visibility("default"))) const struct weft_plugin* weft_plugin_entry(void) {
    return &plugin;
}
