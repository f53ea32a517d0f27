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
run "CPU path" LAPACK_AI_MODE=cpu
run "GPU path on PoCL" LAPACK_AI_MODE=gpu LAPACK_AI_DEVICE=pocl
exit $status
