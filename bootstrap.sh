#!/usr/bin/env bash
# Set up a Debian 12 machine for weft, build it, then run something.
#
#   ./bootstrap.sh hello   install what is missing, build, run workflows/hello.yaml
#   ./bootstrap.sh test    install what is missing, build, run the whole test suite
#   ./bootstrap.sh build   install what is missing, build
#
# Environment: BUILD_DIR (default: build), BUILD_TYPE (default: RelWithDebInfo),
# WEFT_WERROR (default: ON here, a developer/CI build; OFF for users' own cmake).
set -euo pipefail
cd "$(dirname "$0")"

packages=(
  g++ cmake make ninja-build pkg-config
  libcli11-dev libyaml-cpp-dev libfmt-dev libsqlite3-dev sqlite3 doctest-dev
  libuv1-dev nlohmann-json3-dev libhowardhinnant-date-dev tzdata
  libxxhash-dev libcurl4-openssl-dev scdoc faketime entr clang-format-14
  slurm-wlm munge python3 time libutf8proc-dev libpcre2-dev
  systemd dpkg-dev file man-db zsh fish
)

install_missing() {
  local missing=()
  for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "bootstrap: installing ${missing[*]}" >&2
  local sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
  local dir=${BUILD_DIR:-build}
  cmake -S . -B "$dir" -G Ninja \
    -DCMAKE_BUILD_TYPE="${BUILD_TYPE:-RelWithDebInfo}" \
    -DWEFT_WERROR="${WEFT_WERROR:-ON}" -DWEFT_TEST_HOOKS=ON ${WEFT_SANITIZE:+-DWEFT_SANITIZE=$WEFT_SANITIZE}
  cmake --build "$dir" -j2
}

cmd=${1:-build}
install_missing
build
dir=${BUILD_DIR:-build}
case "$cmd" in
  build) ;;
  hello) "$dir/weft" run workflows/hello.yaml ;;
  test)
    # The Slurm tests start a one-node cluster; they skip (loudly) only where
    # it cannot start, so say how many ran.
    set +e
    ctest --test-dir "$dir" --output-on-failure -j2 2>&1 | tee "$dir/ctest.log"
    rc=${PIPESTATUS[0]}
    set -e
    ran=$(grep -cE 'Test +#[0-9]+: e2e\.slurm[a-z_]* \.+ *(\*\*\*)?(Passed|Failed)' "$dir/ctest.log" || true)
    skipped=$(grep -cE 'Test +#[0-9]+: e2e\.slurm[a-z_]* \.+\*\*\*Skipped' "$dir/ctest.log" || true)
    echo "bootstrap: Slurm tests: $ran ran, $skipped skipped"
    exit "$rc" ;;
  *) echo "usage: ./bootstrap.sh hello|test|build" >&2; exit 2 ;;
esac
