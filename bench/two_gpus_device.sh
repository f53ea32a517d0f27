#!/usr/bin/env bash
# The "Several devices" entry of bench/RESULTS.md (2026-11-25, the device
# tool's nvidia-h100-x2: two H100s on one host), in one call: the
# multi-device DGEMM test on the two GPUs, then `dgemm_` from host memory at
# n = 16384 and 32768 on one GPU (LAPACK_AI_DEVICE=nvidia) and on both
# (LAPACK_AI_DEVICE=all), bench/alpha.rs's host section.
#
# RECONSTRUCTED AFTER THE RUN. The entry's run was `bash .device/run_two.sh`,
# never committed. This script was written later from what the entry and
# the raw file (bench/results/2026-11-25-h100x2-multi-device.txt, whose
# section headers it prints) record. It has not been run as it stands.
#
# Prepared on the project machine (nothing is built on the device):
#   D=.device-two; mkdir -p $D
#   cargo build --release --example alpha && cp target/release/examples/alpha $D/
#   cp $(cargo test --release --test gpu_multi --no-run 2>&1 | sed -n 's/.*(\(target\/[^)]*\)).*/\1/p') $D/gpu_multi
# (If D is ignored by git, name it in the run's `carry`.)
#
# Run there (kind nvidia-h100-x2), from the repository root:
#   bash bench/two_gpus_device.sh .device-two 2>&1 | tee $OUT/two.txt
set -u
D=$(realpath "${1:?usage: bash bench/two_gpus_device.sh DIR}")
W=$(mktemp -d)
export LAPACK_AI_CACHE_DIR=$W/cache
nvidia-smi --query-gpu=index,name,driver_version --format=csv,noheader

echo "## tests/gpu_multi.rs (LAPACK_AI_TEST_OPENCL=nvidia: the two GPUs)"
LAPACK_AI_TEST_OPENCL=nvidia LAPACK_AI_LOG=$W/multi.log "$D/gpu_multi" 2>&1 | grep 'test result'
grep -v 'set-up:' "$W/multi.log" | head -2

# One warm-up and one timed call per row (BENCH_REPS=1); the forced DGEMM_ALPHA
# rows that follow the dgemm_ rows do not finish at 32768 within the timeout.
for n in 16384 32768; do
    for dev in nvidia all; do
        echo "## host_${n}_${dev} (alpha host section; 32768 runs stopped by the 45 s timeout after the dgemm_ rows)"
        LAPACK_AI_DEVICE=$dev LAPACK_AI_MODE=gpu BENCH_REPS=1 timeout 45 "$D/alpha" host "$n"
    done
done
rm -rf "$W"
