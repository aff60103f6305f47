/* weft-plugin-cgreet.so: an example shared-library plugin for weft, in C,
 * against <weft/plugin.h> alone.
 *
 *     steps:
 *       hello:
 *         uses: cgreet
 *         with: {name: world}
 *
 * Build: cc -shared -fPIC -fvisibility=hidden -o weft-plugin-cgreet.so cgreet.c
 * and put the file in a directory of WEFT_PLUGIN_PATH. weft runs it in a
 * child process (its plugin host), never inside weft itself.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <weft/plugin.h>

static const struct weft_param params[] = {
    {"name", "Who to greet", 1},
    {"punctuation", "What ends the greeting; default '!'", 0},
    {NULL, NULL, 0},
};

static int run(const char* request_json, const struct weft_host* host) {
    const char* name = host->with(host->context, "name");
    const char* punctuation = host->with(host->context, "punctuation");
    const char* kind = getenv("WEFT_EVENT_KIND"); /* the step's environment is the plugin's */
    const char* greeter = getenv("GREETER");
    char line[512];
    (void)request_json; /* the whole request, for plugins that parse JSON */
    if (!name || !*name) {
        host->set_message(host->context, "'name' is empty: nobody to greet");
        return WEFT_FAILURE;
    }
    snprintf(line, sizeof line, "greeting %s in step %s", name, getenv("WEFT_STEP") ? getenv("WEFT_STEP") : "?");
    host->log(host->context, line);
    snprintf(line, sizeof line, "hello %s%s", name, punctuation ? punctuation : "!");
    host->set_output(host->context, "greeting", line);
    host->set_output(host->context, "event_kind", kind ? kind : "");
    host->set_output(host->context, "env_greeter", greeter ? greeter : "");
    snprintf(line, sizeof line, "greeted %s", name);
    host->set_message(host->context, line);
    return WEFT_SUCCESS;
}

static const struct weft_plugin plugin = {
    sizeof(struct weft_plugin), WEFT_PLUGIN_ABI_VERSION, "cgreet", "1.0.0", params, run,
};

__attribute__((visibility("default"))) const struct weft_plugin* weft_plugin_entry(void) { return &plugin; }
