/* weft/plugin.h: the C ABI of weft's shared-library plugins (SPEC §7).
 *
 * A plugin is a shared library named weft-plugin-NAME.so that exports one
 * function, weft_plugin_entry, returning a pointer to a static table:
 *
 *     static const struct weft_param params[] = {
 *         {"greeting", "What to say", 1},
 *         {NULL, NULL, 0},
 *     };
 *     static int run(const char* request_json, const struct weft_host* host) {
 *         const char* g = host->with(host->context, "greeting");
 *         host->log(host->context, g);
 *         host->set_output(host->context, "said", g);
 *         return WEFT_SUCCESS;
 *     }
 *     static const struct weft_plugin plugin = {
 *         sizeof(struct weft_plugin), WEFT_PLUGIN_ABI_VERSION,
 *         "hello", "1.0.0", params, run,
 *     };
 *     const struct weft_plugin* weft_plugin_entry(void) { return &plugin; }
 *
 * weft never loads a plugin into its own process: each attempt of a plugin
 * step runs in a child process (the plugin host), so a crash, an abort or a
 * leak fails only that step. The host's standard output is not the plugin's:
 * what the plugin prints to stdout or stderr becomes the step's log.
 *
 * Versioning: both tables start with their own size, and only ever grow by
 * appending members. A plugin built against an older header has a smaller
 * `size` and works with a newer weft; a plugin checks `host->size` before it
 * uses a member appended after ABI version 1. `abi_version` changes only for
 * an incompatible change, and weft refuses an ABI version it does not know.
 *
 * No C++ types cross this interface, and no exception may leave `run`
 * (a C++ plugin catches everything inside it). Strings are UTF-8, NUL-ended,
 * owned by whoever passes them, and valid only during the call.
 */
#ifndef WEFT_PLUGIN_H
#define WEFT_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The ABI this header describes. */
#define WEFT_PLUGIN_ABI_VERSION 1u

/* The name of the exported entry point, for dlsym. */
#define WEFT_PLUGIN_ENTRY_NAME "weft_plugin_entry"

/* What `run` returns. */
enum weft_status { WEFT_SUCCESS = 0, WEFT_FAILURE = 1 };

/* One key a plugin accepts in `with`. A table of them ends with an entry
 * whose `name` is NULL. weft refuses, when it loads a workflow, a `with` key
 * that is not listed and a required key that is missing. */
struct weft_param {
    const char* name;
    const char* description;
    int required; /* non-zero: the step must set it */
};

/* What the host offers `run`. Pass `context` back to every callback. */
struct weft_host {
    uint32_t size; /* sizeof(struct weft_host) as the host knows it */
    void* context;
    /* Append one line to the step's log (secret values are masked by weft). */
    void (*log)(void* context, const char* line);
    /* Set output `key` of the step to `value` (a later call replaces it). */
    void (*set_output)(void* context, const char* key, const char* value);
    /* Non-zero once the step is cancelled or timed out: return soon. The
     * host is killed after the step's kill-grace whatever `run` does. */
    int (*cancelled)(void* context);
    /* Set the result's message: why the plugin failed, or a summary. */
    void (*set_message)(void* context, const char* message);
    /* The value of top-level `with` key `key` as text (strings as they are,
     * other values as JSON), or NULL when the step does not set it. */
    const char* (*with)(void* context, const char* key);
};

/* The table a plugin returns. */
struct weft_plugin {
    uint32_t size;        /* sizeof(struct weft_plugin) as the plugin knows it */
    uint32_t abi_version; /* WEFT_PLUGIN_ABI_VERSION */
    const char* name;
    const char* version;
    const struct weft_param* params; /* ended by {NULL, NULL, 0}; NULL: none */
    /* Run one attempt. `request_json` is the request an executable plugin
     * reads on stdin: {"protocol": 1, "with", "env", "event", "run"}.
     * Returns WEFT_SUCCESS or WEFT_FAILURE. */
    int (*run)(const char* request_json, const struct weft_host* host);
};

/* The entry point every plugin defines (with default visibility). */
const struct weft_plugin* weft_plugin_entry(void);

typedef const struct weft_plugin* (*weft_plugin_entry_fn)(void);

#ifdef __cplusplus
}
#endif

#endif /* WEFT_PLUGIN_H */
