#!/bin/sh
# harness/bench/peer.sh - `make bench-peer`: mlsysbench's CPU SUT beside PyTorch CPU on
# the same model shapes, one table of ratios (harness/bench/peer.py does the work).
#
#   sh harness/bench/peer.sh [BINARY [peer.py options]]   (default build/mlsysbench)
#   THREADS=N  thread count for both engines (default: nproc)
#   e.g. sh harness/bench/peer.sh build/mlsysbench --workloads kws --modes eager
#
# PyTorch is Debian's python3-torch, which installs for /usr/bin/python3 (not for a pyenv
# or venv python3 earlier on PATH), so everything runs under /usr/bin/python3. When that
# cannot `import torch`, this installs python3-torch with apt-get (sudo when not root).
# Debian's libtorch links the generic libblas.so.3, the unoptimised reference BLAS unless
# an optimised one is installed, and PyTorch runs its dense layers, matmuls and many
# batch-1 convolutions on it; so when no OpenBLAS or BLIS is installed this also installs
# libopenblas0-openmp (libtorch recommends libopenblas0; the OpenMP build shares
# PyTorch's thread pool). PEER_BLAS=reference skips that.
set -eu

BIN=${1:-build/mlsysbench}
if [ $# -gt 0 ]; then shift; fi
PY=/usr/bin/python3
THREADS=${THREADS:-$(nproc)}
HERE=$(dirname "$0")

if [ ! -x "$BIN" ]; then
  echo "bench-peer: $BIN is not an executable; build it first (make)" >&2
  exit 1
fi

installed() {
  dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"
}

missing=""
if ! "$PY" -c 'import torch' >/dev/null 2>&1; then
  missing="python3-torch"
fi
if [ "${PEER_BLAS:-}" != reference ]; then
  fast=""
  for p in libopenblas0-openmp libopenblas0-pthread libopenblas0-serial \
           libblis4-openmp libblis4-pthread libblis4-serial libmkl-rt; do
    if installed "$p"; then fast=$p; break; fi
  done
  if [ -z "$fast" ]; then missing="$missing libopenblas0-openmp"; fi
fi

if [ -n "$missing" ]; then
  if ! command -v apt-get >/dev/null 2>&1; then
    echo "bench-peer: need$missing for $PY, but this is not Debian/Ubuntu" \
         "(no apt-get); install them by hand." >&2
    exit 1
  fi
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
      echo "bench-peer: need to install$missing; run as root or install sudo." >&2
      exit 1
    fi
  fi
  echo "bench-peer: installing$missing (a few minutes the first time)"
  log=/tmp/mlsb-bench-peer.$$.log
  export DEBIAN_FRONTEND=noninteractive
  # Try with the current package lists first; refresh them once if that fails.
  if ! $SUDO apt-get install -y -q --no-install-recommends $missing >"$log" 2>&1; then
    if ! { $SUDO apt-get update -q &&
           $SUDO apt-get install -y -q --no-install-recommends $missing
         } >"$log" 2>&1; then
      tail -n 20 "$log" >&2
      echo "bench-peer: apt-get could not install$missing (log: $log)" >&2
      exit 1
    fi
  fi
  rm -f "$log"
  if ! "$PY" -c 'import torch' >/dev/null 2>&1; then
    echo "bench-peer: python3-torch is installed but $PY still cannot import torch:" >&2
    "$PY" -c 'import torch' 2>&1 | tail -n 1 >&2
    exit 1
  fi
fi

exec "$PY" "$HERE/peer.py" "$BIN" --threads "$THREADS" "$@"
