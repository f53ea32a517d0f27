#!/usr/bin/env bash
# The DGEMM entry of bench/RESULTS.md (2026-11-25, NVIDIA H100) on the GPU
# machine, in one call of the device tool: bench/dgemm.rs beside OpenBLAS,
# CLBlast and cuBLAS; with CHECK=1 first the entry's correctness checks.
#
# RECONSTRUCTED AFTER THE RUN. The entry's runs 1 and 2 were made by
# `.device/run_bench2.sh`, and its correctness checks by a script of the
# same session; neither was committed. This script was written later from
# what the entry and the raw files (bench/results/2026-11-25-h100-dgemm-*.txt,
# -correctness.txt) record: the same command, environment and peers. It has
# not been run as it stands. Since then bench/dgemm.rs gained a
# 32768 x 256 x 1024 row.
#
# Prepared on the project machine (nothing is built on the device):
#   D=.device-dgemm; mkdir -p $D
#   cargo build --release --example dgemm && cp target/release/examples/dgemm $D/
#   cp -L /usr/lib/x86_64-linux-gnu/libclblast.so.1 $D/    # Debian 12's libclblast1 (CLBlast 1.5.3)
# and for CHECK=1:
#   cc -O2 -std=c99 bench/cl_dgemm_harness.c -lOpenCL -lm -o $D/cl_dgemm_harness
#   cargo build --release && cp target/release/liblapack_ai.so $D/
#   cp $(cargo test --release --test gpu_dgemm --no-run 2>&1 | sed -n 's/.*(\(target\/[^)]*\)).*/\1/p') $D/gpu_dgemm
#   cp /usr/lib/x86_64-linux-gnu/blas/{xblat3d,xdcblat3,dblat3.in,din3} $D/   # Debian's libblas-test
#   mkdir -p $D/refblas && cp -L /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 $D/refblas/
# The cuBLAS column needs python3 with torch for CUDA on the device
# (bench/dgemm_torch.py; the entry's: PyTorch 2.11, cu130); without it the
# column is "-". (If D is ignored by git, name it in the run's `carry`.)
#
# Run there, from the repository root:
#   bash bench/dgemm_device.sh .device-dgemm 2>&1 | tee $OUT/dgemm.txt
# Environment: MAX_N (default 16384: the entry's), CHECK=1, RATES=0 (skip
# the cost model's rates at the end).
set -u
D=$(realpath "${1:?usage: bash bench/dgemm_device.sh DIR}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"   # bench/dgemm_torch.py is looked up from the working directory
OPENBLAS=$(ls /lib/x86_64-linux-gnu/libopenblas.so.0 /usr/lib/x86_64-linux-gnu/libopenblas.so.0 2>/dev/null | head -1)
W=$(mktemp -d)
nvidia-smi --query-gpu=name,driver_version,clocks.current.sm,clocks.current.memory,temperature.gpu --format=csv

if [ "${CHECK:-0}" = 1 ]; then
    echo "== harness check (src/engine/opencl/kernels/dgemm_nvidia_mma.cl)"
    "$D/cl_dgemm_harness" "$ROOT/src/engine/opencl/kernels/dgemm_nvidia_mma.cl" nvidia check 2>&1 | tail -2
    echo "== tests/gpu_dgemm.rs on the GPU"
    LAPACK_AI_TEST_OPENCL=nvidia LAPACK_AI_CACHE_DIR=$W/cache-test "$D/gpu_dgemm" 2>&1 | grep 'test result'
    # As tests/netlib/run_suites.sh: reference BLAS first (xdcblat3 needs
    # reference CBLAS's RowMajorStrg); the summary in dblat3.out / stdout.
    for t in "xblat3d dblat3.in dblat3.out" "xdcblat3 din3 -"; do
        set -- $t
        echo "== $1, LAPACK_AI_MODE=gpu on the GPU, the library preloaded"
        mkdir -p "$W/$1"
        (cd "$W/$1" && LD_LIBRARY_PATH=$D/refblas LD_PRELOAD=$D/liblapack_ai.so LAPACK_AI_MODE=gpu \
            LAPACK_AI_DEVICE=nvidia LAPACK_AI_CACHE_DIR=$W/cache-test LAPACK_AI_LOG=$W/$1/calls.log \
            "$D/$1" < "$D/$2" > stdout.txt 2>&1; echo "   exit status $?")
        summary=$W/$1/stdout.txt; [ "$3" = - ] || summary=$W/$1/$3
        echo "   $(grep -Ec 'PASSED THE' "$summary") test groups passed, $(grep -Eci 'FAIL|[*]{5}|WAS CALLED' "$summary") failure lines"
        echo "   gpu calls: $(grep -c -- '-> gpu' "$W/$1/calls.log") of $(grep -vc 'set-up:' "$W/$1/calls.log")"
    done
    echo "== benchmark"
fi

# The entry's command; the cost model calibrates in this process (a fresh
# cache), as it did then.
LAPACK_AI_CACHE_DIR=$W/cache LAPACK_AI_DEVICE=nvidia BENCH_OPENBLAS=$OPENBLAS BENCH_CLBLAST=$D/libclblast.so.1 \
    "$D/dgemm" "${MAX_N:-16384}"

# The entry quotes the rates the cost model calibrated (then read from the
# cache's text file; the cache is a checked binary since). Logging every
# call would slow the small products of the run above, so the rates come
# from a second, short process that calibrates again.
if [ "${RATES:-1}" = 1 ]; then
    echo "== the cost model's rates (a second process, fresh cache, its LAPACK_AI_LOG set-up line)"
    LAPACK_AI_CACHE_DIR=$W/cache-rates LAPACK_AI_LOG=$W/rates.log LAPACK_AI_DEVICE=nvidia BENCH_OPENBLAS=$OPENBLAS \
        BENCH_TORCH=/nonexistent "$D/dgemm" 64 > /dev/null 2>&1
    grep 'calibrated' "$W/rates.log"
fi
rm -rf "$W"
