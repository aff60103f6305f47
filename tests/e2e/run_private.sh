# weft run: no secret at rest in the state directory (SPEC §9.4, issue 17
# items 5, 6, 11): a step's script reaches its shell through an inherited
# memfd (/dev/fd/3, also `{0}` of a custom shell), never a file; a plugin's
# request through its stdin; the files weft makes under STATE.d/tmp are 0600
# in 0700 directories; a dead run's tmp/run-N goes at the next command's
# recovery. Unique `sleep 48NN`.
source "$(dirname "$0")/../support/e2e.sh"

cleanup() { kill_procs_with "sleep 4890"; }
on_exit cleanup

secret=tok-SECRET-4242
filesecret=fff-FILESECRET-77
printf 'API_KEY=%s\n' "$filesecret" > secrets.env
cat > sec.yaml <<'Y'
name: sec
params:
  token: {secret: true, required: true}
steps:
  show:
    run: |
      echo "$0" > "$WORK/script-path"
      echo "t=${{ params.token }} k=$API_KEY"
      echo "out=${{ params.token }}" >> "$WEFT_OUTPUT"
      ls -l /proc/self/fd/ > "$WORK/fds"
  custom:
    shell: bash --noprofile --norc {0}
    run: |
      echo "$0" > "$WORK/custom-path"
      echo "custom ${{ params.token }}"
  hold:
    needs: [show, custom]
    run: |
      find "$STATE_TMP" -type f -exec cat {} + > "$WORK/tmp-contents" 2>/dev/null || true
      find "$STATE_TMP" > "$WORK/tmp-files"
      # What a step writes itself is at rest until its run ends or is recovered.
      echo "held=${{ params.token }}" >> "$WEFT_OUTPUT"
      basename "$WEFT_OUTPUT" > "$WORK/hold-output"
      touch "$WORK/started"
      sleep 4890
Y
export WORK=$PWD STATE_TMP=$PWD/st.db.d/tmp
"$WEFT" --state st.db run sec.yaml -p "token=$secret" --secrets secrets.env >run.out 2>&1 &
wpid=$!
(wait_for_file started 20) || fail "the run did not start: $(cat run.out)"
[ "$(cat script-path)" = /dev/fd/3 ] || fail "the script ran as $(cat script-path), not /dev/fd/3"
[ "$(cat custom-path)" = /dev/fd/3 ] || fail "{0} became $(cat custom-path), not /dev/fd/3"
grep -q 'memfd:weft-script' fds || fail "fd 3 is not the script's memfd: $(cat fds)"
# While the run is live: files are private, none holds a secret or a script.
bad=$(find st.db.d/tmp \( -type f ! -perm 600 \) -o \( -type d ! -perm 700 \))
[ -z "$bad" ] || fail "not 0600/0700 under tmp: $(ls -ld $bad)"
if grep -rqF -e "$secret" -e "$filesecret" tmp-contents ||
  grep -rqF --exclude="$(cat hold-output)" -e "$secret" -e "$filesecret" st.db.d/tmp; then
  fail "weft left a secret under tmp: $(grep -rlF -e "$secret" -e "$filesecret" st.db.d/tmp)"
fi
if grep -q '\.sh$\|\.req$' tmp-files; then fail "a script file under tmp: $(cat tmp-files)"; fi
ls st.db.d/tmp/run-* >/dev/null || fail "no tmp/run-N while the run is live"
# weft dies; the next command recovers the run and removes its files.
kill -9 "$wpid"
wait "$wpid" 2>/dev/null || true
grep -rqF "$secret" st.db.d/tmp || fail "the test's own secret in \$WEFT_OUTPUT is not there"
run_weft --state st.db runs
expect_no_procs "sleep 4890"
if grep -rqF -e "$secret" -e "$filesecret" st.db.d/tmp; then fail "a secret survived recovery"; fi
left=$(find st.db.d/tmp -mindepth 1)
[ -z "$left" ] || fail "a dead run's files are left under tmp: $left"

# A plugin's request (with the secret in `with`) goes to its stdin, not a file.
mkdir plugins
cat > plugins/weft-plugin-peek <<'P'
#!/bin/sh
[ "$1" = --describe ] && exit 1
readlink /proc/self/fd/0 > "$WORK/req-stdin"
cat >/dev/null
echo '{"status":"success","outputs":{}}'
P
chmod +x plugins/weft-plugin-peek
cat > plug.yaml <<'Y'
params:
  token: {secret: true, required: true}
steps:
  p:
    uses: peek
    with: {v: "${{ params.token }}"}
Y
WEFT_PLUGIN_PATH=$PWD/plugins run_weft --state st.db run plug.yaml -p "token=$secret"
expect_rc 0
grep -q '^/memfd:weft-request' req-stdin || fail "the plugin's stdin is $(cat req-stdin), not a memfd"

# A path with a newline cannot travel in WEFT_EVENT_PATHS (one path a line):
# it is left out, never split in two, WEFT_EVENT_TRUNCATED names the
# variable, and WEFT_EVENT_JSON has every path.
printf '{"kind":"file","paths":["a.txt","evil\\nb.txt","c.txt"]}\n' > ev.json
cat > paths.yaml <<'Y'
steps:
  p:
    run: |
      printf '%s' "$WEFT_EVENT_PATHS" > "$WORK/paths"
      printf '%s' "${WEFT_EVENT_TRUNCATED-unset}" > "$WORK/truncated"
      grep -c 'evil\\nb.txt' "$WEFT_EVENT_JSON" > "$WORK/in-json"
Y
run_weft --state st.db run paths.yaml --event ev.json
expect_rc 0
[ "$(cat paths)" = "a.txt
c.txt" ] || fail "WEFT_EVENT_PATHS with a newline in a name: '$(cat paths)'"
[ "$(cat truncated)" = WEFT_EVENT_PATHS ] || fail "WEFT_EVENT_TRUNCATED is '$(cat truncated)'"
[ "$(cat in-json)" = 1 ] || fail "WEFT_EVENT_JSON lacks the path with a newline"
