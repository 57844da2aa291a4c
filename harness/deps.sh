#!/bin/sh
# harness/deps.sh - install the Debian/Ubuntu packages mlsysbench needs that are missing.
# Called by `make deps` (and so by `make run` / `make test`). Uses sudo when not root.
# Quiet when everything is present.
set -eu

PKGS="pkg-config libhwloc-dev libcsv-dev libjson-c-dev libcmocka-dev libpapi-dev"
# submission bundles and the leaderboard server
PKGS="$PKGS libarchive-dev libssl-dev libsqlite3-dev libmicrohttpd-dev libcurl4-openssl-dev"
# `deps.sh test`: also what only the tests need (the HTML report's browser test)
[ "${1:-}" = test ] && PKGS="$PKGS chromium"
# `deps.sh test` and `deps.sh firmware`: the Cortex-M toolchain, QEMU and socat for the
# firmware images and their end-to-end test (sut/firmware/; no newlib: it links libgcc only)
case "${1:-}" in test|firmware) PKGS="$PKGS gcc-arm-none-eabi qemu-system-arm socat" ;; esac
# `deps.sh fuzz`: libFuzzer for `make fuzz` (clang and its runtime libraries)
[ "${1:-}" = fuzz ] && PKGS="$PKGS clang libclang-rt-dev"

missing=""
for p in $PKGS; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing="$missing $p"
  fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
  echo "mlsysbench: missing packages:$missing" >&2
  echo "mlsysbench: this is not a Debian/Ubuntu system (no apt-get); install them by hand." >&2
  exit 1
fi
SUDO=""
if [ "$(id -u)" != 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "mlsysbench: missing packages:$missing; run as root or install sudo." >&2
    exit 1
  fi
fi
echo "mlsysbench: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Try with the current package lists first; refresh them once if that fails.
if ! $SUDO apt-get install -y -q $missing >/tmp/mlsb-deps.$$.log 2>&1; then
  $SUDO apt-get update -q >/dev/null
  $SUDO apt-get install -y -q $missing || {
    echo "mlsysbench: apt-get could not install:$missing (see above)" >&2
    exit 1
  }
fi
rm -f /tmp/mlsb-deps.$$.log
