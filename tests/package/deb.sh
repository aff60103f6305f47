#!/usr/bin/env bash
# The Debian package (SPEC §9.3): `cpack -G DEB` builds it from the build
# tree; its Depends are computed (shlibdeps); it holds the binary, the man
# pages, the completions, the schema, weft/plugin.h, the plugins directory,
# weft-curl.so and (when the tree has it) the systemd user unit; the weft it
# installs runs, and its man page opens.
# Usage: deb.sh BUILD_DIR SOURCE_DIR
set -euo pipefail
build=$1
src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

for tool in cpack dpkg-deb dpkg-shlibdeps man; do
  command -v "$tool" >/dev/null || { echo "SKIP: $tool not installed"; exit 77; }
done

cpack -G DEB --config "$build/CPackConfig.cmake" -B "$tmp/out" >"$tmp/cpack.log" 2>&1 ||
  { cat "$tmp/cpack.log"; fail "cpack -G DEB failed"; }
debs=("$tmp"/out/*.deb)
[ -f "${debs[0]}" ] || fail "no .deb in $tmp/out"
deb=${debs[0]}

dpkg-deb -I "$deb" >"$tmp/info"
grep -q '^ Package: weft$' "$tmp/info" || fail "no Package: weft in dpkg-deb -I"
depends=$(sed -n 's/^ Depends: //p' "$tmp/info")
[ -n "$depends" ] || fail "no Depends (is dpkg-shlibdeps installed?)"
# (libraries linked but not yet called, such as utf8proc, are dropped by
# --as-needed and rightly absent.)
# Those weft links from their archives (WEFT_STATIC_DEPS, CMakeLists.txt)
# are in the binary: the package must not depend on them then.
shared=(libc6 libstdc++6 libfmt libcurl)
linked=(libuv1 libsqlite3-0 libyaml-cpp libxxhash)
if grep -q '^WEFT_STATIC_DEPS:BOOL=ON$' "$build/CMakeCache.txt"; then
  for lib in "${linked[@]}"; do
    [[ $depends != *"$lib"* ]] || fail "Depends names $lib, linked statically: $depends"
  done
else
  shared+=("${linked[@]}")
fi
for lib in "${shared[@]}"; do
  [[ $depends == *"$lib"* ]] || fail "Depends lacks $lib: $depends"
done

dpkg-deb -c "$deb" | awk '{print $6}' >"$tmp/contents"
want=(
  ./usr/bin/weft
  ./usr/share/man/man1/weft.1
  ./usr/share/man/man5/weft-workflow.5
  ./usr/share/man/man7/weft-plugin.7
  ./usr/share/bash-completion/completions/weft
  ./usr/share/zsh/vendor-completions/_weft
  ./usr/share/fish/vendor_completions.d/weft.fish
  ./usr/share/weft/weft-workflow.schema.json
  ./usr/include/weft/plugin.h
  ./usr/libexec/weft/plugins/
  ./usr/libexec/weft/weft-curl.so
  ./usr/share/doc/weft/copyright
)
if [ -f "$src/dist/systemd/weft-up@.service" ]; then
  want+=("./usr/lib/systemd/user/weft-up@.service")
fi
for f in "${want[@]}"; do
  grep -qxF "$f" "$tmp/contents" || fail "the package lacks $f; it holds:
$(cat "$tmp/contents")"
done

dpkg-deb -x "$deb" "$tmp/root"
version=$("$tmp/root/usr/bin/weft" --version)
[[ $version == "weft "* ]] || fail "extracted weft --version said: $version"
MANPAGER=cat MANWIDTH=80 man -l "$tmp/root/usr/share/man/man1/weft.1" >"$tmp/man" 2>&1 ||
  { cat "$tmp/man"; fail "man -l weft.1 failed"; }
grep -q 'weft' "$tmp/man" || fail "man -l weft.1 printed no weft"
bash -n "$tmp/root/usr/share/bash-completion/completions/weft" || fail "bash -n on the completion"
# What weft embeds statically carries its notices.
if grep -q '^WEFT_STATIC_DEPS:BOOL=ON$' "$build/CMakeCache.txt"; then
  for pkg in libuv1-dev libsqlite3-dev libyaml-cpp-dev; do
    grep -qF "==== $pkg ====" "$tmp/root/usr/share/doc/weft/copyright" ||
      fail "the package's copyright lacks $pkg's notice"
  done
fi
echo "ok: $(basename "$deb"): Depends: $depends"
