#!/usr/bin/env bash
# The quick start's main job: build lapack-ai, preload it into an unmodified
# program (Debian's Python 3 with NumPy; tools/demo_numpy.py is an ordinary
# NumPy script), and show where each BLAS/LAPACK call went and how long it
# took. Without a GPU (or before the GPU routines land) every call runs on
# the CPU backend the log names.
set -euo pipefail
cd "$(dirname "$0")/.."
# Only what the demo needs: the build tools and Debian's Python with NumPy
# (tools/test.sh installs the rest: PoCL, the netlib tests, Chromium, ...).
source tools/deps.sh demo
echo "== building liblapack_ai.so"
cargo build --release --locked 2>&1 | tail -1
LIB=$PWD/target/release/liblapack_ai.so
LOG=$(mktemp /tmp/lapack-ai-demo.XXXXXX.log)

echo
echo "== LD_PRELOAD=$LIB LAPACK_AI_LOG=$LOG /usr/bin/python3 tools/demo_numpy.py"
LD_PRELOAD=$LIB LAPACK_AI_LOG=$LOG /usr/bin/python3 tools/demo_numpy.py

echo
echo "== the calls NumPy made (LAPACK_AI_LOG), top level:"
grep -v '^lapack-ai: dgemm_ ' "$LOG" || true
echo
echo "== every call, by routine and backend:"
# A call's line ends "(reason) TIME ms ..."; "set-up:" lines are not calls.
awk '$2 == "set-up:" { next }
     { r = $2; b = $0; sub(/.*-> /, "", b); sub(/ .*/, "", b);
       t = 0; if (match($0, /\) [0-9.]+ ms/)) { t = substr($0, RSTART + 2, RLENGTH - 5) }
       n[r " -> " b]++; ms[r " -> " b] += t }
     END { for (k in n) printf "  %-70s %6d calls %10.1f ms\n", k, n[k], ms[k] }' "$LOG" | sort
echo
echo "(dgemm_ calls are the blocked updates inside the LAPACK routines: the"
echo " program's own LAPACK calls dgemm_, and the preloaded library gets them.)"
rm -f "$LOG"
