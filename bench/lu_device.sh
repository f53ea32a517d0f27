#!/usr/bin/env bash
# The DGESV entry of bench/RESULTS.md ("DGESV on the GPU (issue 8)",
# 2026-11-25, NVIDIA H100) on the GPU machine, in one call of the device
# tool: bench/lu.rs beside OpenBLAS and cuSOLVER, n = 1024 ... 16384 with 1
# and 1000 right-hand sides, then n = 32768, the two variants at 16384 and
# the routing in auto mode; with LEAVES=1 also run 1's sweep of panel widths
# and one-work-group panels.
#
# RECONSTRUCTED AFTER THE RUN. Run 2 of that entry was made by
# `.device/issue8/run2.sh` (run 1 by its predecessor), never committed.
# This script was written later from what the entry and the raw files
# (bench/results/2026-11-25-h100-lu-run1.txt, -lu-run2.txt) record: the
# same commands, environment and peers, its output laid out as theirs. It
# has not been run as it stands.
#
# Prepared on the project machine (nothing is built on the device):
#   D=.device-lu; mkdir -p $D
#   cargo build --release --example lu && cp target/release/examples/lu $D/
# The cuSOLVER columns need python3 with torch for CUDA on the device
# (bench/lu_torch.py; the entry's: PyTorch 2.11, cu130); without it they
# are "-". (If D is ignored by git, name it in the run's `carry`.)
#
# Run there, from the repository root:
#   bash bench/lu_device.sh .device-lu 2>&1 | tee $OUT/lu.txt
# Environment (defaults: the entry's): SIZES (1024,2048,4096,8192,16384),
# NRHS (1,1000), BIG_N (32768), VARIANT_N (16384: the variants and LEAVES),
# AUTO_SIZES (256,512,768,1024,1536,2048).
set -u
D=$(realpath "${1:?usage: bash bench/lu_device.sh DIR}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
OPENBLAS=$(ls /lib/x86_64-linux-gnu/libopenblas.so.0 /usr/lib/x86_64-linux-gnu/libopenblas.so.0 2>/dev/null | head -1)
W=$(mktemp -d)
export LAPACK_AI_CACHE_DIR=$W/cache LAPACK_AI_DEVICE=nvidia BENCH_OPENBLAS=$OPENBLAS
export BENCH_TORCH=$ROOT/bench/lu_torch.py

# The entry's command (LAPACK_AI_MODE=gpu: bench/lu.rs sets it when unset).
"$D/lu" "${SIZES:-1024,2048,4096,8192,16384}" "${NRHS:-1,1000}"

echo
echo "# n=${BIG_N:-32768} (no OpenBLAS)"
BENCH_CPU_MAX=16384 "$D/lu" "${BIG_N:-32768}" 1 | tail -1

echo
echo "# variants at ${VARIANT_N:-16384}"
for v in LAPACK_AI_LU_FUSED=0 LAPACK_AI_LU_STREAM=0; do
    echo "$v $(env "$v" BENCH_CPU_MAX=0 BENCH_TORCH=/nonexistent "$D/lu" "${VARIANT_N:-16384}" 1 | tail -1)"
done

if [ "${LEAVES:-0}" = 1 ]; then
    echo
    echo "# run 1's sweep at ${VARIANT_N:-16384}, factorization on the device only: panel width (LAPACK_AI_LU_LEAF),"
    echo "# panels up to this many rows in one work-group (LAPACK_AI_LU_PANEL_ROWS)"
    for leaf in 32 64; do
        for rows in 0 1024 4096; do
            echo "leaf=$leaf rows=$rows $(LAPACK_AI_LU_LEAF=$leaf LAPACK_AI_LU_PANEL_ROWS=$rows BENCH_ONLY=device \
                "$D/lu" "${VARIANT_N:-16384}" 1 | tail -1)"
        done
    done
fi

echo
echo "# auto routing (LAPACK_AI_MODE=auto, first log line per size)"
LAPACK_AI_MODE=auto LAPACK_AI_LOG=$W/auto.log BENCH_CPU_MAX=0 BENCH_TORCH=/nonexistent \
    "$D/lu" "${AUTO_SIZES:-256,512,768,1024,1536,2048}" 1 > /dev/null
grep '^lapack-ai: dgesv_ ' "$W/auto.log" | awk '!seen[$3]++'
rm -rf "$W"
