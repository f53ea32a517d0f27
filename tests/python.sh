#!/usr/bin/env bash
# The Python package (python/) as a NumPy user installs and uses it:
# a virtual environment with NumPy and pytest from PyPI (NumPy's wheels carry
# their own OpenBLAS under private names, the case the package exists for),
# `pip install ./python` (which builds liblapack_ai.so with cargo and puts it
# in the package), then python/tests on the CPU path and with every GPU
# routine forced onto PoCL.
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
VENV=${LAPACK_AI_VENV:-$ROOT/target/python-venv}
cd "$ROOT"
if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV" || { echo "python: cannot create a virtual environment with python3 -m venv"; exit 1; }
fi
"$VENV/bin/python" -c "import numpy, pytest" 2>/dev/null || "$VENV/bin/pip" install -q numpy pytest || exit 1
"$VENV/bin/pip" install -q ./python || { echo "python: pip install ./python failed"; exit 1; }

status=0
run() { # run LABEL ENV...: pytest from outside the source tree, so that the installed package is tested
    echo "-- pytest, $1"
    local out
    out=$(cd "$ROOT/target" && env "${@:2}" "$VENV/bin/python" -m pytest -p no:cacheprovider -rf "$ROOT/python/tests" 2>&1) || status=1
    printf '%s\n' "$out" | grep -E "^lapack_ai: |^FAILED |^ERROR |^=+ .*(passed|failed|error).* =+$"
}
# Under pip's NumPy the CPU path is NumPy's own OpenBLAS (renamed routines,
# 64-bit integers), not the bundled reference.
echo "-- the CPU library under pip's NumPy"
providers=$(cd "$ROOT/target" && "$VENV/bin/python" -c '
import lapack_ai, numpy
from lapack_ai import _clib
print("\n".join(l for l in _clib.function("lapack_ai_info")().decode().splitlines() if l.startswith("cpu ")))')
wheel=$(printf '%s\n' "$providers" | sed -n 's/^cpu dgesdd_: \(.*numpy.libs\/[^ ]*\) (scipy_dgesdd_64_, 64-bit integers)$/\1/p')
if [ -n "$wheel" ] && ! printf '%s\n' "$providers" | grep -v -F "$wheel" | grep -q .; then
    echo "  ok   every CPU routine runs on NumPy's OpenBLAS: $wheel"
else
    echo "  FAIL the CPU routines under pip's NumPy:"; printf '%s\n' "$providers"; status=1
fi
# The same library's routines through the ILP64 shims, in the netlib suites.
if [ -n "$wheel" ]; then
    suites=$(CONFIGS=ilp64 LAPACK_AI_ILP64_LIB=$wheel bash "$ROOT/tests/netlib/run_suites.sh" 2>&1) || status=1
    printf '%s\n' "$suites" | grep -E "^  (ok|FAIL)|^netlib|^[a-z].*(missing|no library)" 
fi
run "CPU path" LAPACK_AI_MODE=cpu
run "GPU path on PoCL" LAPACK_AI_MODE=gpu LAPACK_AI_DEVICE=pocl
exit $status
