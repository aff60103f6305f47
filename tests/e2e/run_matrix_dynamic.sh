# A dynamic matrix (SPEC §9.1): decided when the step is ready, from the
# outputs of a step it needs; an empty list skips it, more than 4,096
# instances fail it; `--dry-run` says `decide`. Matrix outputs merge in
# matrix order and `steps.X.instances` lists every instance.
source "$(dirname "$0")/../support/e2e.sh"
WEFT_ARGS="--state st.db"

cat > fan.yaml <<'Y'
name: fan
params:
  items: {default: '["a","b","c"]'}
steps:
  list:
    run: echo 'suites=${{ params.items }}' >> "$WEFT_OUTPUT"
  test:
    needs: list
    matrix: {suite: "${{ fromJSON(steps.list.outputs.suites) }}", cc: [gcc]}
    run: |
      echo "ran ${{ matrix.suite }}" >> ran.txt
      echo "last=${{ matrix.suite }}" >> "$WEFT_OUTPUT"
  whole:
    needs: list
    matrix: "${{ fromJSON('{\"n\": [1, 2]}') }}"
    run: echo "n=${{ matrix.n }}" >> "$WEFT_OUTPUT"
  sum:
    needs: [test, whole]
    run: |
      echo '${{ steps.test.outputs.last }} ${{ steps.whole.outputs.n }}' > sum.txt
      echo '${{ toJSON(steps.whole.instances) }}' > instances.txt
Y
run_weft --state st.db run fan.yaml --dry-run
expect_rc 0
grep -E ' test +decide' <<<"$out" >/dev/null || fail "--dry-run does not say decide: $out"

run_weft --state st.db run fan.yaml
expect_rc 0
[ "$(sort ran.txt | tr '\n' ' ')" = "ran a ran b ran c " ] || fail "instances ran: $(cat ran.txt)"
[ "$(cat sum.txt)" = "c 2" ] || fail "merged outputs: $(cat sum.txt)"
tr -d ' \n' < instances.txt > i.txt
[ "$(cat i.txt)" = '[{"matrix":{"n":1},"outputs":{"n":"1"},"status":"success"},{"matrix":{"n":2},"outputs":{"n":"2"},"status":"success"}]' ] ||
  fail "instances: $(cat instances.txt)"
id=$(last_run_id)
show_json "$id"
expect_run_status success
expect_step 'test[suite=a,cc=gcc]' status '"success"'
expect_step 'test[suite=c,cc=gcc]' status '"success"'
expect_step test status '"success"'

# An empty list: the step is skipped, with the reason; its dependent too.
rm -f ran.txt
run_weft --state st.db run fan.yaml -p 'items=[]'
expect_rc 0
[ ! -e ran.txt ] || fail "an instance ran for an empty matrix"
show_json "$(last_run_id)"
expect_step test status '"skipped"'
expect_step test message '"the matrix is empty"'

# 5,000 items: the step fails, saying why.
items=$(seq -s, 1 5000)
run_weft --state st.db run fan.yaml -p "items=[$items]"
expect_rc 1
show_json "$(last_run_id)"
expect_run_status failure
expect_step test status '"failure"'
expect_step test message '"the matrix expands to more than 4096 instances"'

# Not a list: fails, saying what it got.
run_weft --state st.db run fan.yaml -p 'items="abc"'
expect_rc 1
show_json "$(last_run_id)"
expect_step test message "\"matrix axis 'suite' gave a string; expected a list\""
# A value given twice names one instance twice: the step fails, the run is
# recorded (not a failed database), and resume fails it again the same way.
run_weft --state st.db run fan.yaml -p 'items=["x","x"]'
expect_rc 1
dup=$(last_run_id)
show_json "$dup"
expect_step test message '"the matrix gives the instance [suite=x,cc=gcc] twice (a value repeated in a list)"'
run_weft --state st.db resume "$dup"
expect_rc 1
# In the file, the same is a load error at the matrix.
printf 'steps:\n  t:\n    matrix: {k: [a, a]}\n    run: echo\n' > dup.yaml
run_weft validate dup.yaml
expect_rc 2
expect_err_has "dup.yaml:3:13: error: 'matrix' gives the instance 't[k=a]' twice"
# weft resume decides again and keeps the instances that succeeded.
cat > fanr.yaml <<'Y'
name: fanr
steps:
  list:
    run: echo 'l=["a","b"]' >> "$WEFT_OUTPUT"
  test:
    needs: list
    matrix: {s: "${{ fromJSON(steps.list.outputs.l) }}"}
    run: |
      echo x >> count.${{ matrix.s }}
      [ "${{ matrix.s }}" = a ] || [ -e pass ]
Y
run_weft --state st.db run fanr.yaml
expect_rc 1
id=$(last_run_id)
touch pass
run_weft --state st.db resume "$id"
expect_rc 0
[ "$(wc -l < count.a)" = 1 ] && [ "$(wc -l < count.b)" = 2 ] ||
  fail "resume of a dynamic matrix: a ran $(wc -l < count.a), b $(wc -l < count.b) times"
show_json "$id"
expect_run_status success
expect_step 'test[s=b]' status '"success"'
echo "run_matrix_dynamic: ok"
