#!/usr/bin/env bash
# Issue 19 (the Level-3 BLAS in the four precisions) on the GPU machine, in
# one call of the device tool:
#   1. (after issue17_device.sh's calibration: the first process on the
#      machine) one unmodified C program (bench/suite.c, one call per process) three
#      ways: the machine's OpenBLAS alone ("none", and "cpu": the library
#      preloaded in cpu mode), NVBLAS preloaded, and liblapack_ai.so
#      preloaded (gpu and auto modes), through bench/issue17_device.sh:
#      zgemm, sgemm, cgemm, dsyrk, dtrsm, zherk, ztrsm, dgemm at n = 8192
#      and 4096;
#   2. cuBLAS through PyTorch on the same machine, device-resident and from
#      host memory (bench/blas3_torch.py), including ZGEMM as the real
#      product our GPU path makes of it.
#
# Prepared on the project machine (nothing is built on the device), DIR as
# bench/issue17_device.sh's header says (suite, new/liblapack_ai.so,
# reflapack/):
#   cp target/release/liblapack_ai.so $D/new/
# Run there:
#   bash bench/issue19_device.sh .device17 > $OUT/issue19.txt 2>&1
set -u
DIR=$(realpath "${1:?usage: issue19_device.sh DIR}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$DIR}
echo "== issue 19 on $(nproc) cores, $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null), $(date -u '+%F %T UTC')"

echo "== the program, three ways"
VARIANTS=openblas REPS=${REPS:-2} AI_LOG=0 STOP_AT=${STOP_AT:-260} HARD_AT=${HARD_AT:-320} \
    WORKLOADS=${WORKLOADS:-"zgemm:8192,4096 sgemm:8192,4096 dsyrk:8192,4096 dtrsm:8192,4096 zherk:8192,4096 \
ztrsm:8192,4096 cgemm:8192,4096 dgemm:8192,4096"} \
    bash "$ROOT/bench/issue17_device.sh" "$DIR" > "$OUT/issue19_suite.txt" 2>&1
sed -n '/^== table/,/^== whole-process/p' "$OUT/issue19_suite.txt"

echo "== cuBLAS through PyTorch: routine n resident_s from_host_s"
PY=
for p in python3 /usr/bin/python3 /usr/local/bin/python3 /opt/conda/bin/python3; do
    "$p" -c "import torch" 2>/dev/null && { PY=$(command -v "$p"); break; }
done
if [ -n "$PY" ]; then
    # shellcheck disable=SC2086
    timeout "${TORCH_TIMEOUT:-150}" "$PY" "$ROOT/bench/blas3_torch.py" ${TORCH_SIZES:-4096 8192}
else
    echo "   no python3 with torch"
fi
echo "== end $(date -u '+%T UTC')"
