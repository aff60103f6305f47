# The built-in plugins (SPEC §7): `http` against a local test server (status,
# headers, body, a failing status, `expect`, a timeout, a refused
# connection) and `wait` for a file, a port and a URL, and its timeout.
# They run in the plugin host (`weft __plugin-host`), a child process.
source "$(dirname "$0")/../support/e2e.sh"
# Debian's python3, not a version manager's shim (pyenv's takes seconds).
py=/usr/bin/python3
[ -x "$py" ] || py=$(command -v python3) || fail "these tests need python3 for their local HTTP server"

"$py" "$WEFT_SRC/tests/support/http_server.py" "$T/port" "$T/ready" 2>"$T/server.log" &
server=$!
on_exit "kill $server 2>/dev/null || true"
wait_for_file "$T/port"
port=$(cat "$T/port")
base="http://127.0.0.1:$port"

# --- http: GET, POST with headers and body, outputs to a later step ---------
cat > http.yaml <<Y
name: http
steps:
  get:
    uses: http
    with: {url: "$base/ok"}
  post:
    uses: http
    with:
      url: "$base/echo"
      method: POST
      headers: {X-Test: "yes \${{ format('{0}', 2) }}", Content-Type: text/plain}
      body: "payload of run \${{ run.id }}"
  use:
    needs: [get, post]
    run: |
      printf '%s|%s\n' "\${{ steps.get.outputs.status }}" "\${{ steps.get.outputs.body }}" > got
      printf '%s\n' "\${{ steps.post.outputs.body }}" >> got
Y
run_weft run http.yaml
expect_rc 0
[ "$(cat got)" = "200|hello from the test server
POST|yes 2|text/plain|payload of run 1" ] || fail "the step after http saw: $(cat got)"
id=$(last_run_id)
show_json "$id"
expect_step get outputs '{"body":"hello from the test server","status":"200"}'
run_weft logs "$id" get
expect_out_has "GET $base/ok -> 200 ("

# --- http: a failing status, expect, a timeout, a refused connection --------
cat > http_fail.yaml <<Y
name: http_fail
steps:
  bad:
    uses: http
    with: {url: "$base/status/500"}
  expected:
    uses: http
    with: {url: "$base/status/500", expect: [200, "500-503"]}
  notfound:
    uses: http
    with: {url: "$base/status/404", expect: 200}
  slow:
    uses: http
    with: {url: "$base/slow", timeout: 1s}
  refused:
    uses: http
    with: {url: "http://127.0.0.1:1/"}
  badexpect:
    uses: http
    with: {url: "$base/ok", expect: [oops]}
Y
t0=$(now_ms)
run_weft run http_fail.yaml
expect_rc 1
took=$(( $(now_ms) - t0 ))
[ "$took" -lt 4500 ] || fail "an http timeout of 1s took ${took} ms"
show_json "$(last_run_id)"
expect_step bad status '"failure"'
expect_step bad message "\"plugin 'http' failed: GET $base/status/500: status 500 is not expected (200-299)\""
expect_step expected status '"success"'
expect_step notfound message "\"plugin 'http' failed: GET $base/status/404: status 404 is not expected (200)\""
sget slow message
[[ $J == "\"plugin 'http' failed: GET $base/slow: Operation timed out after "* ]] || fail "slow: $J"
sget refused message
[[ $J == "\"plugin 'http' failed: GET http://127.0.0.1:1/: "*"onnect"* ]] || fail "refused: $J"
# A failed plugin step has no exit code unless its process exited non-zero (SPEC §9.3).
expect_step refused exit_code null
expect_step bad exit_code null
sget badexpect message
[[ $J == "\"plugin 'http' failed: 'expect': expected a status code"* ]] || fail "badexpect: $J"

# --- wait: a file, a port, a URL; each appearing while it waits -------------
cat > wait.yaml <<Y
name: wait
steps:
  file:
    uses: wait
    with: {file: flag, interval: 100ms, timeout: 20s}
  port:
    uses: wait
    with: {port: "127.0.0.1:$port", timeout: 20s}
  url:
    uses: wait
    with: {url: "$base/ready", interval: 100ms, timeout: 20s}
Y
( sleep 1; touch "$T/flag" "$T/ready" ) &
toucher=$!
run_weft run wait.yaml
expect_rc 0
wait "$toucher"
id=$(last_run_id)
show_json "$id"
for s in file port url; do expect_step $s status '"success"'; done
run_weft logs "$id" file
expect_out_has "waiting for file flag (timeout 20s, every 100ms)"
grep -Eq "file flag is ready after [0-9][0-9a-z.]* \(([2-9]|[1-9][0-9]+) checks\)" <<<"$out" || fail "wait did not poll the file: $out"
run_weft logs "$id" url
grep -Eq "URL $base/ready is ready after .* \(([2-9]|[1-9][0-9]+) checks\)" <<<"$out" || fail "wait did not poll the URL: $out"

# --- wait: its timeout, and a closed port -----------------------------------
cat > wait_timeout.yaml <<Y
name: wait_timeout
steps:
  never:
    uses: wait
    with: {file: never-there, timeout: 1s, interval: 200ms}
  closed:
    uses: wait
    with: {port: "127.0.0.1:1", timeout: 1s, interval: 200ms}
  neither:
    uses: wait
    with: {timeout: 1s}
Y
t0=$(now_ms)
run_weft run wait_timeout.yaml
expect_rc 1
took=$(( $(now_ms) - t0 ))
[ "$took" -lt 6000 ] || fail "wait with a 1s timeout took ${took} ms"
show_json "$(last_run_id)"
expect_step never message "\"plugin 'wait' failed: timed out after 1s waiting for file never-there\""
expect_step closed message "\"plugin 'wait' failed: timed out after 1s waiting for port 127.0.0.1:1\""
expect_step neither message "\"plugin 'wait' failed: set exactly one of 'file', 'port' and 'url'\""

# --- a step timeout shorter than wait's own: the host is stopped ------------
cat > wait_cancel.yaml <<Y
name: wait_cancel
steps:
  w:
    uses: wait
    timeout: 1s
    with: {file: never-there, timeout: 1h}
Y
t0=$(now_ms)
run_weft run wait_cancel.yaml
expect_rc 1
took=$(( $(now_ms) - t0 ))
[ "$took" -lt 6000 ] || fail "the step timeout did not stop wait: ${took} ms"
show_json "$(last_run_id)"
expect_step w message '"timed out after 1s"'

# --- resume: a plugin step that succeeded keeps its outputs; one that
# failed runs again, and what needs it after it ------------------------------
cat > plug_resume.yaml <<Y
name: plug_resume
steps:
  get:
    uses: http
    with: {url: "$base/ok"}
  gate:
    uses: wait
    with: {file: gate-open, timeout: 1s, interval: 100ms}
  use:
    needs: [get, gate]
    run: printf '%s|%s\\n' "\${{ steps.get.outputs.status }}" "\${{ steps.get.outputs.body }}" > resumed
Y
run_weft run plug_resume.yaml
expect_rc 1
id=$(last_run_id)
[ ! -e resumed ] || fail "use ran although gate failed"
touch gate-open
run_weft resume "$id"
expect_rc 0
show_json "$id"
expect_run_status success
expect_step get attempts 1
expect_step gate attempts 2
expect_step get outputs '{"body":"hello from the test server","status":"200"}'
[ "$(cat resumed)" = "200|hello from the test server" ] || fail "after resume, use saw: $(cat resumed)"

echo "plugin_builtins: ok"
