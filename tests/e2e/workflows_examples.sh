# The worked examples in workflows/ (one per use: build on save, CI pipeline,
# nightly backup and its failure notifier, log alerter fed by weft emit) are
# valid, alone and as one engine's set, and the ones that need nothing
# installed work: the backup archives a directory, the alerter keeps the
# ERROR lines that weft emit feeds it.
source "$(dirname "$0")/../support/e2e.sh"
source "$WEFT_SRC/tests/support/up.sh"

ex=$WEFT_SRC/workflows
for f in build-on-save ci-pipeline nightly-backup backup-failed log-alerts; do
  [ -f "$ex/$f.yaml" ] || fail "workflows/$f.yaml is missing"
  run_weft validate "$ex/$f.yaml"
  expect_rc 0
done
run_weft validate "$ex"/*.yaml
expect_rc 0
run_weft list "$ex"
expect_rc 0
expect_out_has "nightly-backup"

# The backup, by hand.
mkdir -p data/sub && echo hello > data/sub/file
run_weft --state st.db run "$ex/nightly-backup.yaml" -p data=data -p dest=backups
expect_rc 0
ls backups/backup-*.tar.gz >/dev/null 2>&1 || fail "no archive in backups/: $out"
tar -tzf backups/backup-*.tar.gz | grep -q 'data/sub/file' || fail "the archive lacks data/sub/file"

# The alerter, fed by weft emit into a running engine.
mkdir wf && cp "$ex/log-alerts.yaml" wf/
start_up wf
printf 'INFO start\nERROR disk full\nINFO ok\nFATAL gone\n' | "$WEFT" --state st.db emit log-alerts ||
  fail "weft emit failed"
wait_runs log-alerts 2 30
sleep 0.5
[ "$(count_runs log-alerts)" -eq 2 ] || fail "the INFO lines started runs: $(count_runs log-alerts)"
[ "$("$WEFT" --state st.db events log-alerts --json | grep -c '"filtered"')" -eq 2 ] ||
  fail "the INFO lines are not recorded as filtered: $("$WEFT" --state st.db events log-alerts)"
stop_up
[ "$(cut -d' ' -f2- alerts.log)" = "$(printf 'ERROR disk full\nFATAL gone')" ] ||
  fail "alerts.log: $(cat alerts.log)"
echo ok
