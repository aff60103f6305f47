# weft completion bash|zsh|fish (SPEC §9.3): scripts the shells accept,
# generated from the command table; bash completion driven as bash drives
# it (COMP_WORDS, COMP_CWORD, the function `complete -p` names) for a
# subcommand, a flag, a flag's values, a workflow file, a run id and a step.
source "$(dirname "$0")/../support/e2e.sh"

for shell in bash zsh fish; do
  run_weft completion "$shell"
  expect_rc 0
  printf '%s\n' "$out" > "weft.$shell"
  if command -v "$shell" >/dev/null; then
    "$shell" -n "weft.$shell" || fail "$shell -n rejects the $shell completion"
  elif [ "$shell" = bash ]; then
    fail "no bash"
  else
    echo "note: $shell not installed; its script is not checked"
  fi
done
run_weft completion tcsh
expect_rc 2
# The hidden helper stays out of the help.
run_weft help
if grep -q __complete <<<"$out"; then fail "weft help lists __complete: $out"; fi
expect_out_has "completion"

mkdir sub
printf 'name: ci\nsteps:\n  build:\n    run: echo b\n  test:\n    matrix: {os: [a, b]}\n    run: echo t\n' > ci.yaml
touch other.yml notes.txt
run_weft --state st.db run ci.yaml
expect_rc 0

source ./weft.bash
[[ $(complete -p weft) == "complete -F _weft weft" ]] || fail "complete -p weft: $(complete -p weft)"
# complete_words WORD...: COMPREPLY for the last WORD, one a line, sorted.
complete_words() {
  COMP_WORDS=("$WEFT" "$@")
  COMP_CWORD=$#
  COMPREPLY=()
  _weft
  printf '%s\n' "${COMPREPLY[@]}" | sort
}
want() { # want WHAT GOT LINE...: every LINE is in GOT
  local what=$1 got=$2
  shift 2
  for l in "$@"; do grep -qxF -- "$l" <<<"$got" || fail "$what: no '$l' in:
$got"; done
}
got=$(complete_words sh)
[ "$got" = "show" ] || fail "subcommand: 'sh' completes to '$got'"
want "commands" "$(complete_words '')" run show logs completion validate
got=$(complete_words run --dr)
[ "$got" = "--dry-run" ] || fail "flag: 'run --dr' completes to '$got'"
want "global flags" "$(complete_words runs --)" --json --limit --state --color
want "flag values" "$(complete_words graph ci.yaml --format '')" text dot mermaid
want "--color values" "$(complete_words --color '')" auto always never
want "shells" "$(complete_words completion '')" bash zsh fish
got=$(complete_words run '')
want "workflow files" "$got" ci.yaml other.yml sub
if grep -qx notes.txt <<<"$got"; then fail "run completes a non-workflow file: $got"; fi
# After a flag's value, still a file: -p KEY=V is skipped.
want "file after -p" "$(complete_words run -p k=v '')" ci.yaml
want "run ids" "$(complete_words --state st.db show '')" 1 last
want "run ids after the command" "$(complete_words logs --state st.db '')" 1 last
want "steps" "$(complete_words --state st.db logs 1 '')" build test 'test[os=a]' 'test[os=b]'
want "steps of last" "$(complete_words --state st.db logs last t)" test 'test[os=a]'
# zsh: the function, with zsh's completion builtins replaced by printers.
if command -v zsh >/dev/null; then
  cat > drive.zsh <<'Z'
compdef() { :; }
source ./weft.zsh
compadd() { while [[ $1 != -- ]]; do shift; done; shift; print -l -- "$@"; }
_describe() { local arr=${@[-1]}; print -l -- ${(P)arr}; }
_files() { print -- "FILES $*"; }
words=("$@"); CURRENT=$#; PREFIX=${words[-1]}
_weft
Z
  zgot() { zsh -f drive.zsh "$WEFT" "$@"; }
  want "zsh commands" "$(zgot '')" 'show:Show a run: steps, states, attempts, exit codes, outputs, its event'
  want "zsh flag values" "$(zgot graph ci.yaml --format '')" text dot mermaid
  want "zsh files" "$(zgot run '')" 'FILES -g *.(yaml|yml)'
  want "zsh run ids" "$(zgot --state st.db show '')" '1:ci success' 'last:the newest run'
  want "zsh steps" "$(zgot --state st.db logs 1 '')" 'test[os=a]:success' 'test:every instance'
fi
# fish: `complete -C` asks fish's own completion machinery.
if command -v fish >/dev/null; then
  fgot() { PATH="$(dirname "$WEFT"):$PATH" fish -c "source weft.fish; complete -C '$1'"; }
  want "fish commands" "$(fgot 'weft sh')" $'show\tShow a run: steps, states, attempts, exit codes, outputs, its event'
  want "fish flag" "$(fgot 'weft run --dr')" $'--dry-run\tPrint the plan; run nothing'
  want "fish run ids" "$(fgot 'weft --state st.db show ')" $'1\tci success'
  want "fish steps" "$(fgot 'weft --state st.db logs 1 ')" $'test\tevery instance'
  want "fish files" "$(fgot 'weft run c')" ci.yaml
fi
got=$(complete_words --state none.db show '')
[ -z "$got" ] || fail "completion against a missing database printed: $got"
[ ! -e none.db ] || fail "completion created a database"
echo ok
