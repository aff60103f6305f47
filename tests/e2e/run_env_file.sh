# `env-file` (SPEC §9.1): one file or a list, read through the one dotenv
# reader when a run starts; values join `env` (after weft's environment,
# before the workflow's and the step's env, --secrets and WEFT_*), are not
# masked; a bad line is FILE:LINE:COL with exit 2 for weft run; a missing
# file is an error.
source "$(dirname "$0")/../support/e2e.sh"
WEFT_ARGS="--state st.db"

cat > a.env <<'E'
# a comment
export FROM_A=a-value
SHARED=from-a
QUOTED="x\ny"
HASH=pa#ss
EQ=k=v
OVERRIDDEN=from-file
E
printf 'SHARED=from-b\n' > b.env
cat > envf.yaml <<'Y'
name: envf
env-file: [a.env, b.env]
env: {OVERRIDDEN: from-env}
steps:
  show:
    env: {STEP: "${{ env.SHARED }}"}
    run: |
      printf '%s|%s|%s|%s|%s|%s|%s\n' "$FROM_A" "$SHARED" "$HASH" "$EQ" "$OVERRIDDEN" "$STEP" "$FROM_WEFT" > seen.txt
      printf '%s' "$QUOTED" > quoted.txt
      echo "$FROM_A"
Y
FROM_WEFT=weft FROM_A=weft-env run_weft --state st.db run envf.yaml
expect_rc 0
[ "$(cat seen.txt)" = "a-value|from-b|pa#ss|k=v|from-env|from-b|weft" ] || fail "seen: $(cat seen.txt)"
[ "$(cat quoted.txt)" = $'x\ny' ] || fail "quoted: $(cat quoted.txt)"
expect_out_has "a-value"   # not masked

# One file as a string.
sed -i 's/^env-file: .*/env-file: b.env/' envf.yaml
run_weft --state st.db run envf.yaml
expect_rc 0
[ "$(cut -d'|' -f2 seen.txt)" = from-b ] || fail "one file: $(cat seen.txt)"

# A bad line: FILE:LINE:COL, exit 2, no run.
printf 'GOOD=1\nBAD LINE\n' > b.env
run_weft --state st.db run envf.yaml
expect_rc 2
expect_err_has "b.env:2:"
out_all="$out$err"
grep -q "^run [0-9]" <<<"$out" && fail "a run started despite a bad env-file: $out"

# A missing file.
rm b.env
run_weft --state st.db run envf.yaml
expect_rc 2
expect_err_has "b.env"
echo "run_env_file: ok"
