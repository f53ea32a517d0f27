#!/usr/bin/env bash
# Issue 18 ("a user's first hour") on the GPU machine, in one call of the
# device tool, with issue 17's check of the GPU's start-up charge:
#   1. `lapack-ai info`, `lapack-ai calibrate` and `lapack-ai bench` as a
#      user runs them there (the command and the library side by side);
#   2. `import lapack_ai` against the machine's own NumPy (pip's wheels,
#      with their OpenBLAS), in one process (bench/python_vs_numpy.py), on
#      the CPU path and in auto mode;
#   3. bench/issue17_device.sh on the workloads whose routing issue 17's
#      GPU run questioned (dgemm_ 4096 went to the GPU for a 1% predicted
#      gain and ran 1.19x OpenBLAS's time: the start-up charge), and on
#      the Level-3 BLAS routines of issue 19 (sgemm, cgemm, zgemm, dsyrk,
#      dtrsm, zherk, ztrsm at n = 8192 and 4096; dsymm, dtrmm, dsyr2k at
#      8192),
#      with the peers (OpenBLAS alone, NVBLAS preloaded) in the same run.
#
# Prepared on the project machine (nothing is built on the device): DIR as
# bench/issue17_device.sh's header says, and the command beside the library:
#   cp target/release/liblapack_ai.so target/release/lapack-ai $D/new/
# Run there:
#   bash bench/issue18_device.sh .device17 > $OUT/issue18.txt 2>&1
set -u
DIR=$(realpath "${1:?usage: issue18_device.sh DIR}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$DIR}
LAI=$DIR/new/lapack-ai
export LAPACK_AI_CACHE_DIR=$(mktemp -d /tmp/issue18.XXXXXX)
echo "== issue 18 on $(nproc) cores, $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null), $(date -u '+%F %T UTC')"

echo "== lapack-ai info (first process: nothing cached)"
timeout 60 "$LAI" info
echo "== lapack-ai calibrate"
timeout 120 "$LAI" calibrate
echo "== lapack-ai info (after calibrating)"
timeout 60 "$LAI" info | grep -E "^(device|rates|gpu set-up|cpu dgemm_)"
echo "== lapack-ai bench"
timeout 120 "$LAI" bench --sizes 1024,4096

echo "== python: lapack_ai against the machine's NumPy, one process"
PY=
for p in python3 /usr/bin/python3 /usr/local/bin/python3 /opt/conda/bin/python3; do
    "$p" -c "import numpy" 2>/dev/null && { PY=$(command -v "$p"); break; }
done
[ -n "$PY" ] || { echo "   no python3 with numpy"; PY=python3; }
echo "   $PY: numpy $("$PY" -c 'import numpy; print(numpy.__version__, numpy.__file__)' 2>&1)"
for mode in cpu auto; do
    echo "-- LAPACK_AI_MODE=$mode"
    PYTHONPATH=$ROOT/python LAPACK_AI_LIBRARY=$DIR/new/liblapack_ai.so LAPACK_AI_MODE=$mode \
        timeout 120 "$PY" "$ROOT/bench/python_vs_numpy.py" --n 1000 --reps 5
done
PYTHONPATH=$ROOT/python LAPACK_AI_LIBRARY=$DIR/new/liblapack_ai.so LAPACK_AI_MODE=auto \
    timeout 60 "$PY" "$ROOT/bench/python_vs_numpy.py" --n 4000 --reps 2

echo "== issue 17: the start-up charge"
# Without the per-call log (AI_LOG=0): a user's program does not write one,
# and formatting it costs microseconds per call, a few per cent of
# workloads made of 0.1 ms calls (dgels 1024: 354 calls in 27 ms).
VARIANTS=openblas REPS=3 AI_LOG=0 STOP_AT=${STOP_AT:-330} HARD_AT=${HARD_AT:-400} \
    WORKLOADS=${WORKLOADS:-"zgemm:8192,4096 sgemm:8192,4096 cgemm:8192,4096 dsyrk:8192,4096 dtrsm:8192,4096 \
zherk:8192,4096 ztrsm:8192,4096 dgemm:4096,2048 dsymm:8192 dtrmm:8192 dsyr2k:8192 dgels:1024 dsyevd:1024"} \
    bash "$ROOT/bench/issue17_device.sh" "$DIR" > "$OUT/issue17.txt" 2>&1
sed -n '/^== table/,/^== whole-process/p' "$OUT/issue17.txt"
echo "== end $(date -u '+%T UTC')"
