# weft run: each attempt's $WEFT_OUTPUT starts empty and private, although
# the local executor hands an ended attempt's file (emptied, renamed) to the
# next attempt of the run instead of creating one per attempt; a file a step
# replaced, or one a left-behind process may still write to, is never
# handed on.
source "$(dirname "$0")/../support/e2e.sh"

cat > reuse.yaml <<'Y'
name: reuse
steps:
  a:
    run: echo "secret=from-a" >> "$WEFT_OUTPUT"
  b:
    needs: a
    run: |
      stat -c '%a %s' "$WEFT_OUTPUT" > b_file
      echo "mine=b" >> "$WEFT_OUTPUT"
  c:
    needs: b
    run: |
      stat -c '%a %s' "$WEFT_OUTPUT" > c_file
      printf 'k=v\n' > tmp_out && mv tmp_out "$WEFT_OUTPUT"
  d:
    needs: c
    run: stat -c '%a %s' "$WEFT_OUTPUT" > d_file
  e:
    needs: d
    run: exit 3
  f:
    needs: d
    run: stat -c '%a %s' "$WEFT_OUTPUT" > f_file
Y
run_weft run reuse.yaml -j 1
expect_rc 1
for s in b c d f; do
  [ "$(cat ${s}_file)" = "600 0" ] || fail "step $s's \$WEFT_OUTPUT was not empty and 0600: $(cat ${s}_file)"
done
show_json 1
[ "$(step_output b mine)" = b ] || fail "b's output is lost: $show"
[ "$(step_output c k)" = v ] || fail "c's replaced output file was not read: $show"
jget "${show_steps[b]}" outputs
jget "$J" secret && fail "a's output reached b: $show"
# What stays is spares for the next run (0700 directories and empty 0600
# files named .spare-*, the files of a spare directory), nothing of this run's.
left=$(find .weft/state.db.d/tmp -mindepth 1 ! \( -path '*/.spare-*' -type f -perm 600 -empty \) \
  ! \( -name '.spare-d*' -type d -perm 700 \) 2>/dev/null)
[ -z "$left" ] || fail "files left under tmp: $left"
exit 0
