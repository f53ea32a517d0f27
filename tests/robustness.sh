#!/usr/bin/env bash
# No wrong answer, no hang, no crash (issue 15), with tests/c/robust.c (every
# routine, LAPACK-style residuals) on PoCL and on the CPU:
#  - failures injected inside every GPU path (LAPACK_AI_FAULT_INJECT,
#    src/engine/opencl/fault.rs): errors before and after parts of the result were
#    written, panics, failed host allocations, copies back that fail
#    midway (the LU's factors too: the CPU finishes the factorization from
#    the columns written): the right answers, one warning per routine and
#    cause;
#  - 8 threads calling every routine at once, on the CPU (reference and
#    OpenBLAS), on PoCL (gpu and auto mode) and with failures injected:
#    the single-threaded results;
#  - fork() after a GPU call and before any call: the children and the
#    parent finish, with the right answers (a child of a process that
#    loaded OpenCL runs on the CPU);
#  - a memory limit (ulimit -d) under which the GPU SVD's host copy cannot
#    be allocated: the call finishes on the CPU instead of aborting.
# Usage: tests/robustness.sh [path/to/liblapack_ai.so]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIB=$(realpath "${1:-$ROOT/target/release/liblapack_ai.so}")
LIBDIR=$(dirname "$LIB")
WORK=$(mktemp -d /tmp/lapack-ai-robust.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
unset LAPACK_AI_FAULT_INJECT LAPACK_AI_MODE LAPACK_AI_DEVICE LAPACK_AI_LOG LAPACK_AI_CPU_LIB LAPACK_AI_PROFILE \
      LAPACK_AI_MONITOR LAPACK_AI_ALPHA_LEVELS LAPACK_AI_ALPHA_MIN_BLOCK LAPACK_AI_TEST_STAGING LAPACK_AI_TEST_SVD_BLOCKS
# Kernels built once for the whole script, in a cache of its own.
export LAPACK_AI_CACHE_DIR=$WORK/cache
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
OPENBLAS=$(ls /usr/lib/"$MULTIARCH"/openblas-pthread/libopenblas.so.0 2>/dev/null | head -1)

passed=0
failed=0
ok()  { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }

cc -O2 -Wall -Wextra -Werror -I "$ROOT/include" "$ROOT/tests/c/robust.c" -L "$LIBDIR" -llapack_ai \
    -Wl,-rpath,"$LIBDIR" -lpthread -lm -o "$WORK/robust" || { bad "tests/c/robust.c does not compile"; exit 1; }
cd "$WORK"

# On PoCL, every call on the GPU path: small staging (many C tiles) and
# SVD blocks (every step of the two-stage SVD on these sizes).
GPU="LAPACK_AI_MODE=gpu LAPACK_AI_DEVICE=pocl LAPACK_AI_TEST_STAGING=3000 LAPACK_AI_TEST_SVD_BLOCKS=8,0,5"
# DGEMM_ALPHA's evaluator too (one level of its scheme on 130 x 97).
ALPHA="LAPACK_AI_ALPHA_LEVELS=1 LAPACK_AI_ALPHA_MIN_BLOCK=8"

# run NAME ENV... -- ARGS...: robust ARGS with ENV, log in NAME.log, output
# in NAME.out and NAME.err, at most 300 s; sets $rc.
run() {
    local name=$1
    shift
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    rm -f "$name.log"
    env "${envs[@]}" LAPACK_AI_LOG="$WORK/$name.log" timeout 300 ./robust "$@" > "$name.out" 2> "$name.err"
    rc=$?
}

# the summary line, the fallbacks logged, the warnings (all / distinct)
summary() { tail -1 "$1.out"; }
fallbacks() { grep -c 'fell back' "$1.log" 2>/dev/null || true; }
warnings() { grep -c 'warning' "$1.err" || true; }
distinct() { grep 'warning' "$1.err" | sort -u | wc -l; }

echo "-- failures injected inside the GPU paths (PoCL)"
run clean $GPU $ALPHA -- cases
gpu_calls=$(grep -c -- '-> gpu\[' clean.log 2>/dev/null || true)
calls=$(grep -vc '^lapack-ai: set-up: ' clean.log 2>/dev/null || true)
[ $rc -eq 0 ] && [ "$calls" -gt 0 ] && [ "$gpu_calls" -eq "$calls" ] \
    && ok "no fault: $(summary clean), $gpu_calls of $calls calls on the GPU" \
    || { bad "no fault: status $rc, $gpu_calls of $calls calls on the GPU"; tail -5 clean.out clean.err; }
for fault in dgemm dgemm@2 panic-dgemm panic-dgemm@2 lu lu@1 lu@2 panic-lu panic-lu@1 svd svd@1 panic-svd \
             panic-svd@1 alloc-svd alpha alpha@1 panic-alpha panic-alpha@1 panic-lu@2 commit-factors@0 \
             commit-factors@7 commit-factors@130 commit-solution@0 commit-solution@1 commit-c@0 commit-c@3 \
             "panic-dgemm@1,lu@2,panic-svd@1,alpha@1"; do
    name=fault-${fault//[@,]/-}
    run "$name" $GPU $ALPHA LAPACK_AI_FAULT_INJECT="$fault" -- cases
    f=$(fallbacks "$name") w=$(warnings "$name") d=$(distinct "$name")
    if [ $rc -eq 0 ] && [ "$f" -gt 0 ] && [ "$w" -eq "$d" ] && ! grep -q "did not complete" "$name.err"; then
        ok "$fault: $(summary "$name"), $f calls fell back to the CPU, $w warnings"
    else
        bad "$fault: status $rc, $f fallbacks, $w warnings ($d distinct)"; grep -h FAIL "$name.out" | head -5; head -5 "$name.err"
    fi
done

# DGEMM_ALPHA's CPU evaluator without host memory: one plain DGEMM.
run alloc-host LAPACK_AI_MODE=cpu $ALPHA LAPACK_AI_FAULT_INJECT=alloc-alpha-host -- cases
[ $rc -eq 0 ] && grep -q "plain GEMM (no host memory" alloc-host.log \
    && ok "alloc-alpha-host: $(summary alloc-host), DGEMM_ALPHA on the CPU as one plain DGEMM" \
    || { bad "alloc-alpha-host: status $rc"; grep alpha alloc-host.log | head -2; }

# Recalibrating: the rates an earlier run of this script measured are kept
# for the machine, and this one must measure (and fail to).
run alloc-probe LAPACK_AI_MODE=cpu LAPACK_AI_RECALIBRATE=1 $ALPHA LAPACK_AI_FAULT_INJECT=alloc-alpha-probe -- cases
[ $rc -eq 0 ] && grep -q "plain GEMM (no measured CPU rates" alloc-probe.log \
    && ok "alloc-alpha-probe: $(summary alloc-probe), DGEMM_ALPHA without the memory to measure the CPU: one plain DGEMM" \
    || { bad "alloc-alpha-probe: status $rc"; grep alpha alloc-probe.log | head -2; }

# One warning per routine and cause: 8 threads, 6 rounds, every DGEMM
# failing after two tiles.
run warn-once $GPU LAPACK_AI_FAULT_INJECT=dgemm@2 -- threads 8 6
n=$(grep -c 'GPU dgemm_ failed' warn-once.err || true)
f=$(grep -c '^lapack-ai: dgemm_ .*fell back' warn-once.log || true)
[ $rc -eq 0 ] && [ "$n" -eq 1 ] && [ "$f" -gt 8 ] \
    && ok "dgemm@2 under 8 threads: $f fallbacks of dgemm_, 1 warning" \
    || { bad "dgemm@2 under 8 threads: status $rc, $f fallbacks, $n warnings"; head -5 warn-once.err; }

echo "-- 8 threads calling every routine at once, against the single-threaded results"
threads() { # threads NAME ENV...
    local name=$1
    shift
    run "$name" "$@" -- threads 8 6
    local line
    line=$(grep '^threads:' "$name.out")
    [ $rc -eq 0 ] && grep -q ", 0 mismatches" <<< "$line" \
        && ok "$name: $line, $(grep -vc '^lapack-ai: set-up: ' "$name.log") calls logged" \
        || { bad "$name: status $rc: $line"; grep -h FAIL "$name.out" | head -5; tail -3 "$name.err"; }
}
threads threads-cpu LAPACK_AI_MODE=cpu
if [ -n "$OPENBLAS" ]; then
    threads threads-openblas LAPACK_AI_MODE=cpu LAPACK_AI_CPU_LIB="$OPENBLAS"
else
    bad "OpenBLAS not found (tools/deps.sh installs libopenblas0-pthread)"
fi
threads threads-gpu $GPU $ALPHA
# auto: the threads' first calls race for the calibration, so a call may
# run on the GPU in one run and on the CPU in the other; the comparison is
# bit for bit, which holds between the PoCL paths and the bundled reference
# (this program's CPU path before the library opened the machine's
# OpenBLAS), not between them and OpenBLAS (1e-13 apart).
threads threads-auto LAPACK_AI_DEVICE=pocl LAPACK_AI_CPU_LIB=bundled
threads threads-faults $GPU LAPACK_AI_FAULT_INJECT="panic-dgemm@1,lu@2,panic-svd@1"

echo "-- fork()"
run fork-after $GPU -- fork-after
children=$(grep -c '^child [0-9]: 12 passed, 0 failed' fork-after.out || true)
forked=$(grep -c 'forked child' fork-after.log || true)
[ $rc -eq 0 ] && [ "$children" -eq 4 ] && [ "$forked" -ge 40 ] \
    && ok "fork after a GPU call: 4 children finished ($forked calls on the CPU: forked child), $(summary fork-after) in the parent" \
    || { bad "fork after a GPU call: status $rc, $children children passed, $forked calls as forked child"; tail -5 fork-after.out; }
run fork-before $GPU -- fork-before
children=$(grep -c '^child [0-9]: 12 passed, 0 failed' fork-before.out || true)
on_gpu=$(grep -c -- '-> gpu\[' fork-before.log || true)
[ $rc -eq 0 ] && [ "$children" -eq 4 ] && [ "$on_gpu" -ge 50 ] \
    && ok "fork before any call: 4 children finished, each with OpenCL of its own ($on_gpu calls on the GPU in all)" \
    || { bad "fork before any call: status $rc, $children children passed, $on_gpu GPU calls"; tail -5 fork-before.out; }

echo "-- a memory limit (ulimit -d) under which the GPU path cannot allocate"
# A 40000 x 200 values-only SVD: the GPU path first copies A (61 MiB); the
# CPU path needs little more than A. Below some limit PoCL itself cannot
# run (it aborts on its own failed allocations): such limits are skipped,
# and at least one limit must reach this library's fallback. An abort of
# this library's own ("memory allocation of N bytes failed") fails.
reached=0
for limit in 150000 175000 200000 250000; do
    ( ulimit -d $limit; LAPACK_AI_MODE=gpu LAPACK_AI_DEVICE=pocl LAPACK_AI_LOG="$WORK/mem.log" \
        timeout 300 ./robust svd-values 40000 200 > mem.out 2> mem.err )
    rc=$?
    if grep -q "memory allocation of" mem.err; then
        bad "ulimit -d $limit: the library aborted: $(grep -m1 'memory allocation' mem.err)"
    elif [ $rc -eq 0 ] && grep -q "fell back" mem.log 2>/dev/null; then
        reached=$((reached + 1))
        ok "ulimit -d $limit: $(grep -o 'failed ([^;]*' mem.err | head -1): finished on the CPU, $(summary mem)"
    elif [ $rc -eq 0 ]; then
        echo "  --   ulimit -d $limit: enough memory, ran on $(grep -o -- '-> [a-z]*' mem.log | head -1)"
    else
        echo "  --   ulimit -d $limit: PoCL itself cannot run (status $rc: $(head -c 100 mem.err | tr '\n' ' '))"
    fi
    rm -f mem.log
done
[ $reached -gt 0 ] && ok "a memory limit reached the fallback at $reached of 4 limits" \
    || bad "no memory limit reached the fallback"

echo "robustness: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
