/* A shared-library plugin built for an ABI version weft does not know. */
#include <stddef.h>

#include <weft/plugin.h>

static int run(const char* request_json, const struct weft_host* host) {
    (void)request_json;
    (void)host;
    return WEFT_SUCCESS;
}

static const struct weft_plugin plugin = {
    sizeof(struct weft_plugin), 99, "newabi", "9.9", NULL, run};

__attribute__((visibility("default"))) const struct weft_plugin* weft_plugin_entry(void) {
    return &plugin;
}
