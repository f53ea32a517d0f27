#!/usr/bin/env bash
# Issue 19 on the GPU machine, the second call: (1) Debian's reference BLAS
# test programs for the Level-3 routines (xblat3s/d/c/z, x?cblat3),
# unmodified, with the library preloaded and every call forced to the GPU
# (LAPACK_AI_MODE=gpu on NVIDIA, DTRSM's recursion down to blocks of 2):
# each must pass as many test groups as without the library, and the log
# must show every routine on the GPU; (2) every Level-3 routine of the four
# precisions from host memory at n = 4096 and 1024, one process per call,
# OpenBLAS alone, NVBLAS, and the library in cpu, gpu and auto modes
# (bench/issue17_device.sh with bench/suite.c's level3 workloads, the log on).
#
# Prepared on the project machine (nothing is built on the device): DIR as
# for bench/issue19_device.sh, plus DIR/blastest/: the test programs, their
# inputs and the reference libblas.so.3 they are run against, from Debian's
# libblas-test and libblas3:
#   B=/usr/lib/x86_64-linux-gnu/blas; mkdir -p $D/blastest; cp -L $B/libblas.so.3 $D/blastest/
#   for p in s d c z; do cp $B/xblat3$p $B/x${p}cblat3 $B/${p}blat3.in $B/${p}in3 $D/blastest/; done
# Run there:
#   bash bench/issue19_gpu_check.sh .device17 > $OUT/issue19_check.txt 2>&1
# SWEEP=0 runs part (1) alone; CHECK_TIMEOUT (default 240) bounds each
# test program's run on the GPU, in seconds.
set -u
DIR=$(realpath "${1:?usage: issue19_gpu_check.sh DIR}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${OUT:-$DIR}
T=$DIR/blastest
LIB=$DIR/new/liblapack_ai.so
echo "== issue 19, GPU check, $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>/dev/null), $(date -u '+%F %T UTC')"
W=$(mktemp -d /tmp/issue19check.XXXXXX)
export LAPACK_AI_CACHE_DIR=$W/cache
for p in s d c z; do
    for prog in xblat3$p x${p}cblat3; do
        case $prog in xblat3*) input=${p}blat3.in; summary=${p}blat3.out ;; *) input=${p}in3; summary=- ;; esac
        for how in plain gpu; do
            d=$W/$prog-$how; mkdir -p "$d"
            if [ $how = plain ]; then
                (cd "$d" && LD_LIBRARY_PATH=$T timeout 120 "$T/$prog" < "$T/$input" > stdout.txt 2>&1)
            else
                (cd "$d" && LD_LIBRARY_PATH=$T LD_PRELOAD=$LIB LAPACK_AI_MODE=gpu LAPACK_AI_TEST_TRSM_BLOCK=2 \
                    LAPACK_AI_LOG=$d/calls.log timeout "${CHECK_TIMEOUT:-240}" "$T/$prog" < "$T/$input" > stdout.txt 2>&1)
            fi
            echo $? > "$d/rc"
            if [ "$summary" = - ]; then cp "$d/stdout.txt" "$d/summary.txt"; else cp "$d/$summary" "$d/summary.txt" 2>/dev/null || : > "$d/summary.txt"; fi
        done
        want=$(grep -c 'PASSED THE' "$W/$prog-plain/summary.txt")
        got=$(grep -c 'PASSED THE' "$W/$prog-gpu/summary.txt")
        bad=$(grep -Eci 'FAIL|[*]{5}|WAS CALLED' "$W/$prog-gpu/summary.txt")
        ongpu=$(grep -o '^lapack-ai: [a-z_0-9]* .*-> gpu\[' "$W/$prog-gpu/calls.log" 2>/dev/null | awk '{print $2}' | sort | uniq -c | tr -s ' ' | tr '\n' ',')
        fell=$(grep -c 'fell back' "$W/$prog-gpu/calls.log" 2>/dev/null)
        echo "$prog: status $(cat "$W/$prog-gpu/rc"), $got of $want groups passed, $bad failure lines, $fell fallbacks; on the GPU:$ongpu"
    done
done
grep -h -m1 'set-up' "$W"/*-gpu/calls.log 2>/dev/null | head -1

# Issue 20's Cholesky and QR: LAPACK's xlintstd on dtest.in's DPO and DQR
# paths, run against the reference LAPACK and BLAS, plain and with every
# dpotrf_, dpotrs_, dposv_ and dgeqrf_ forced to the GPU (DIR/lapacktest:
# xlintstd, libtmglib.so.3, dtest_po.in and dtest_qr.in: dtest.in's 16
# header lines and its DPO or DQR line).
L=$DIR/lapacktest
if [ -x "$L/xlintstd" ]; then
    for path in po qr; do
        for how in plain gpu; do
            d=$W/lin_$path-$how; mkdir -p "$d"
            if [ $how = plain ]; then
                (cd "$d" && LD_LIBRARY_PATH=$DIR/reflapack:$T:$L timeout 60 "$L/xlintstd" < "$L/dtest_$path.in" > out.txt 2>&1)
            else
                (cd "$d" && LD_LIBRARY_PATH=$DIR/reflapack:$T:$L LD_PRELOAD=$LIB LAPACK_AI_MODE=gpu LAPACK_AI_LOG=$d/calls.log \
                    timeout "${CHECK_TIMEOUT:-240}" "$L/xlintstd" < "$L/dtest_$path.in" > out.txt 2>&1)
            fi
            echo $? > "$d/rc"
        done
        ongpu=""
        for r in dpotrf_ dpotrs_ dposv_ dgeqrf_; do
            c=$(grep "^lapack-ai: $r " "$W/lin_$path-gpu/calls.log" 2>/dev/null | grep -c -- '-> gpu\[')
            [ "$c" -gt 0 ] && ongpu="$ongpu $r:$c"
        done
        echo "xlintstd $path: status $(cat "$W/lin_$path-gpu/rc"), $(grep -c passed "$W/lin_$path-gpu/out.txt") of $(grep -c passed "$W/lin_$path-plain/out.txt") groups passed, $(grep -Eci 'fail|exceed|illegal' "$W/lin_$path-gpu/out.txt") failure lines, $(grep -c 'fell back' "$W/lin_$path-gpu/calls.log" 2>/dev/null) fallbacks; on the GPU:$ongpu"
        grep -Ei 'fail|exceed|illegal' "$W/lin_$path-gpu/out.txt" | head -5
    done
fi

[ "${SWEEP:-1}" = 1 ] || { echo "== end $(date -u '+%T UTC')"; exit 0; }
echo "== every Level-3 routine, one process per call"
L3=""
for p in s d c z; do
    for k in gemm symm syrk syr2k trmm trsm; do L3="$L3 $p$k:4096,1024"; done
    case $p in c|z) for k in hemm herk her2k; do L3="$L3 $p$k:4096,1024"; done ;; esac
done
VARIANTS=openblas REPS=1 AI_LOG=1 STOP_AT=${STOP_AT:-190} HARD_AT=${HARD_AT:-230} WORKLOADS="$L3" \
    bash "$ROOT/bench/issue17_device.sh" "$DIR" > "$OUT/issue19_sweep.txt" 2>&1
sed -n '/^== table/,/^== whole-process/p' "$OUT/issue19_sweep.txt"
echo "== end $(date -u '+%T UTC')"
