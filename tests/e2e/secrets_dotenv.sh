# weft run --secrets reads the dotenv format of SPEC §9.1: an `export`
# prefix, single and double quotes (in double quotes \n \" \\ only), `#`
# inside a value; a bad line is FILE:LINE:COL and exit 2; a value shorter
# than 3 characters is masked but warned about.
source "$(dirname "$0")/../support/e2e.sh"

cat > s.yaml <<'Y'
name: s
steps:
  show:
    run: |
      [ "$A" = 'plain#x' ] && echo a-ok
      [ "$B" = 'it is "q"' ] && echo b-ok
      [ "$C" = "$(printf 'l1\nl2')" ] && echo c-ok
      [ "$D" = '$HOME \n' ] && echo d-ok
      [ "$E" = 'v=1' ] && echo e-ok
      echo "short: ${{ secrets.S }}x"
Y
cat > good.env <<'E'
# comment
export A=plain#x
B="it is \"q\""
C="l1\nl2"
D='$HOME \n'
E=v=1
S=zq
E
run_weft --state st.db run s.yaml --secrets good.env
expect_rc 0
for w in a-ok b-ok c-ok d-ok e-ok; do expect_out_has "$w"; done
expect_err_has "weft: warning: --secrets good.env: the value of S is shorter than 3 characters; every occurrence of it in the output is masked"
expect_out_has "short: ***x"

printf 'A=1\nB = 2\n' > blank.env
run_weft --state st.db run s.yaml --secrets blank.env
expect_rc 2
expect_err_has "blank.env:2:2: error: blank before '=' (write KEY=VALUE)"
[ "$out" = "" ] || fail "a step ran with a bad secrets file: $out"

printf 'A="open\n' > open.env
run_weft --state st.db run s.yaml --secrets open.env
expect_rc 2
expect_err_has "open.env:1:3: error: unclosed double quote (quotes close on the same line)"
echo ok
