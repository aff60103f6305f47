# `${{ }}` in sources, generates and working-directory (SPEC §9.1): rendered
# before fingerprinting, so a matrix step is up-to-date on its second run;
# `weft resume` checks the fingerprints of succeeded steps again: after a
# source was edited, resuming a failed later run reruns the step that reads
# it, and what needs it, and keeps what is unchanged.
source "$(dirname "$0")/../support/e2e.sh"
WEFT_ARGS="--state st.db"

mkdir -p src/debug src/release
echo 1 > src/debug/a.c
echo 1 > src/release/a.c
cat > tpl.yaml <<'Y'
name: tpl
params:
  dir: {default: work}
steps:
  build:
    matrix: {opt: [debug, release]}
    sources: ["src/${{ matrix.opt }}/*.c"]
    generates: ["out/${{ matrix.opt }}/app"]
    run: |
      mkdir -p out/${{ matrix.opt }}
      cat src/${{ matrix.opt }}/a.c > out/${{ matrix.opt }}/app
      echo x >> build.count
  where:
    working-directory: "${{ params.dir }}"
    run: pwd > ../where.txt
  after:
    needs: build
    run: echo x >> after.count
  check:
    needs: after
    run: |
      echo x >> check.count
      test -e pass
Y
count() { [ -f "$1.count" ] && wc -l < "$1.count" | tr -d ' ' || echo 0; }
mkdir work
run_weft --state st.db run tpl.yaml
expect_rc 1
[ "$(count build)" = 2 ] || fail "first run built $(count build) times"
[ "$(basename "$(cat where.txt)")" = work ] || fail "working-directory: $(cat where.txt)"
run_weft --state st.db run tpl.yaml
expect_rc 1
[ "$(count build)" = 2 ] || fail "the second run was not up-to-date: built $(count build) times"
id=$(last_run_id)
show_json "$id"
expect_step 'build[opt=debug]' status '"up-to-date"'

# A resume with nothing edited reruns only the failed step.
touch pass
run_weft --state st.db resume "$id"
expect_rc 0
[ "$(count build)" = 2 ] && [ "$(count after)" = 2 ] && [ "$(count check)" = 3 ] ||
  fail "resume, nothing edited: build $(count build), after $(count after), check $(count check)"

# Edit a source, fail a later step, resume: the step reading the source and
# what needs it run again; the other instance stays up-to-date.
rm pass
run_weft --state st.db run tpl.yaml
expect_rc 1
id=$(last_run_id)
echo 2 > src/release/a.c
touch pass
run_weft --state st.db resume "$id"
expect_rc 0
[ "$(count build)" = 3 ] || fail "resume after an edit built $(count build) times, expected 3"
[ "$(cat out/release/app)" = 2 ] || fail "out/release/app was not rebuilt"
[ "$(count after)" = 4 ] && [ "$(count check)" = 5 ] ||
  fail "resume after an edit: after ran $(count after), check $(count check) times"
show_json "$id"
expect_run_status success
expect_step 'build[opt=release]' status '"success"'
expect_step 'build[opt=debug]' status '"up-to-date"'
echo "run_templated_sources: ok"
