#!/usr/bin/env bash
# Issue 19 on the GPU machine after the operands went native (singles and
# complex numbers uploaded as stored, converted on the device), in one call
# of the device tool:
#   1. the reference BLAS test programs forced to the GPU on NVIDIA
#      (bench/issue19_gpu_check.sh, part 1: correctness);
#   2. the unmodified C program at n = 8192, OpenBLAS alone, NVBLAS, and the
#      library in cpu, gpu and auto modes (bench/issue19_device.sh, one
#      repetition), with cuBLAS through PyTorch for scale; and dpotrf_ at
#      8192 and 16384 and dgeqrf_ at 8192 (issue 20's first GPU paths) the
#      same way, with cuSOLVER's potrf and geqrf through PyTorch
#      (bench/factor_torch.py).
# DIR as for those scripts. Run there:
#   bash bench/issue19_native.sh .device17 > $OUT/issue19_native.txt 2>&1
set -u
DIR=$(realpath "${1:?usage: issue19_native.sh DIR}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export OUT=${OUT:-$DIR}
SWEEP=0 CHECK_TIMEOUT=${CHECK_TIMEOUT:-50} bash "$ROOT/bench/issue19_gpu_check.sh" "$DIR"
left=$((${TOTAL:-560} - SECONDS - 190))
echo "== $SECONDS s spent; the program's budget: ${left} s"
REPS=1 STOP_AT=$left HARD_AT=$((left + 40)) \
    WORKLOADS=${WORKLOADS:-"sgemm:8192 dpotrf:8192,16384 dgeqrf:8192 cgemm:8192 zgemm:8192 zherk:8192 ztrsm:8192 dsyrk:8192 dtrsm:8192 dgemm:8192 ssyrk:8192 ctrsm:8192"} \
    TORCH_SIZES=8192 TORCH_TIMEOUT=100 bash "$ROOT/bench/issue19_device.sh" "$DIR"
echo "== cuSOLVER potrf and geqrf through PyTorch: routine n resident_s from_host_s"
for p in python3 /usr/bin/python3 /usr/local/bin/python3 /opt/conda/bin/python3; do
    "$p" -c "import torch" 2>/dev/null && { timeout 90 "$p" "$ROOT/bench/factor_torch.py" 8192 16384; break; }
done
echo "== end $(date -u '+%T UTC')"
