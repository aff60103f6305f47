# weft run: secrets (SPEC §4). Values of `secret: true` params and of
# `--secrets FILE` variables reach steps, but are masked as *** in the
# terminal, the logs, the outputs, JSON and the database file - also when a
# value arrives split across two writes, or spans two lines.
source "$(dirname "$0")/../support/e2e.sh"
WEFT_ARGS="--state st.db"

cat > sec.yaml <<'Y'
name: sec
params:
  token: {secret: true, required: true}
  plain: {default: visible-value}
steps:
  show:
    run: |
      echo "token is ${{ params.token }} and plain is ${{ params.plain }}"
      echo "file secret is $API_KEY"
      echo "via expression: ${{ secrets.API_KEY }}"
      # One value split across two writes (and a pause) on one line:
      printf 'split: %s' "${API_KEY:0:5}"; sleep 0.2; printf '%s end\n' "${API_KEY:5}"
      echo "two-line secret: $MULTI" >&2
      echo "t=${{ params.token }}" >> "$WEFT_OUTPUT"
      echo "check=$([ "$API_KEY" = "kkkk-llll-mmmm-9876" ] && echo env-ok)" >> "$WEFT_OUTPUT"
  after:
    needs: show
    run: |
      # The real value reaches later steps through the steps context.
      [ "${{ steps.show.outputs.t }}" = "tok-SECRET-1234" ] && echo relay-ok
      exit 3
Y
printf '# comment\n\nAPI_KEY=kkkk-llll-mmmm-9876\nMULTI=first-line-aaaa\n' > secrets.env
# A value with two lines cannot come from a KEY=VALUE file: use a param too.
run_weft --state st.db run sec.yaml -p token=tok-SECRET-1234 --secrets secrets.env
expect_rc 1
all="$out
$err"
for v in tok-SECRET-1234 kkkk-llll-mmmm-9876 kkkk- llll-mmmm-9876 first-line-aaaa; do
  if grep -qF -- "$v" <<<"$all"; then fail "secret '$v' printed: $all"; fi
done
expect_out_has "token is *** and plain is visible-value"
expect_out_has "file secret is ***"
expect_out_has "via expression: ***"
expect_out_has "split: *** end"
expect_out_has "relay-ok"
id=$(last_run_id)
show_json "$id"
for v in tok-SECRET-1234 kkkk-llll-mmmm-9876 first-line-aaaa; do
  if grep -qF -- "$v" <<<"$show"; then fail "secret '$v' in show --json: $show"; fi
done
[ "$(step_output show t)" = "***" ] || fail "output t not masked: $show"
[ "$(step_output show check)" = "env-ok" ] || fail "the secret did not reach the env: $show"
run_weft --state st.db logs "$id"
grep -qF "file secret is ***" <<<"$out" || fail "logs lack the masked line: $out"
# --json output is masked too.
run_weft --state st.db run sec.yaml -p token=tok-SECRET-1234 --secrets secrets.env --json
for v in tok-SECRET-1234 kkkk-llll-mmmm-9876; do
  if grep -qF -- "$v" <<<"$out$err"; then fail "secret '$v' in --json output"; fi
done
# Nothing anywhere in the database files (the WAL included).
sync
for f in st.db st.db-wal; do
  [ -e "$f" ] || continue
  for v in tok-SECRET-1234 kkkk-llll-mmmm-9876 first-line-aaaa; do
    if grep -qaF -- "$v" "$f"; then fail "secret '$v' stored in $f"; fi
  done
done

# A multi-line secret param: each of its lines is masked when printed alone.
cat > multi.yaml <<'Y'
name: multi
params:
  key: {secret: true, required: true}
steps:
  s:
    run: |
      printf '%s\n' "${{ params.key }}"
      echo "second alone: $(printf '%s\n' "${{ params.key }}" | tail -n 1)"
Y
run_weft --state st.db run multi.yaml -p "key=line-one-xyz
line-two-xyz"
expect_rc 0
if grep -qF -- "-xyz" <<<"$out"; then fail "a line of a multi-line secret printed: $out"; fi
expect_out_has "second alone: ***"

# A bad secrets file: FILE:LINE error, exit 2, nothing run.
printf 'GOOD=1\nnot a pair\n' > bad.env
run_weft --state st.db run sec.yaml -p token=x --secrets bad.env
expect_rc 2
expect_err_has "bad.env:2:4: error: expected '=' after 'not' (write KEY=VALUE)"
run_weft --state st.db run sec.yaml -p token=x --secrets missing.env
expect_rc 2
expect_err_has "missing.env"
echo ok
