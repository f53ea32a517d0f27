#!/usr/bin/env bash
# Issue 15 on a real GPU (the device tool's machine, NVIDIA OpenCL): what
# tests/robustness.sh checks on PoCL, and the time of the main calls with
# this build against the build before issue 15, in one call.
#
# Prepared on the project machine (nothing is built on the device):
#   D=.device15; mkdir -p $D/new $D/old
#   cp target/release/liblapack_ai.so $D/new/
#   cp <build of 7769c86>/liblapack_ai.so $D/old/
#   cc -O2 -I include tests/c/robust.c -L $D/new -llapack_ai \
#      -Wl,-rpath,'$ORIGIN/new' -lpthread -lm -o $D/robust
#   cc -O2 -I include bench/time_calls.c -L $D/new -llapack_ai -o $D/time_calls
# Run there: bash bench/issue15_device.sh .device15 | tee $OUT/issue15.txt
set -u
D=$(realpath "${1:-.device15}")
ROOT=$(pwd)
OPENBLAS=$(ls /lib/x86_64-linux-gnu/libopenblas.so.0 /usr/lib/x86_64-linux-gnu/libopenblas.so.0 2>/dev/null | head -1)
export LAPACK_AI_CACHE_DIR=/tmp/lapack-ai-cache
WORK=$(mktemp -d)
cd "$WORK"
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
echo "openblas: $OPENBLAS"

passed=0 failed=0
ok()  { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }
# every call on the GPU path, small staging and SVD blocks as on PoCL
GPU="LAPACK_AI_MODE=gpu LAPACK_AI_TEST_STAGING=3000 LAPACK_AI_TEST_SVD_BLOCKS=8,0,5 LAPACK_AI_ALPHA_LEVELS=1 LAPACK_AI_ALPHA_MIN_BLOCK=8"
run() { # run NAME TIMEOUT ENV... -- ARGS...
    local name=$1 limit=$2
    shift 2
    local envs=()
    while [ "$1" != -- ]; do envs+=("$1"); shift; done
    shift
    rm -f "$name.log"
    env "${envs[@]}" LAPACK_AI_LOG="$WORK/$name.log" timeout "$limit" "$D/robust" "$@" > "$name.out" 2> "$name.err"
    rc=$?
}

echo "-- robust.c on the GPU"
run clean 120 $GPU -- cases
echo "   $(head -1 clean.log | grep -o -- '-> gpu\[[^]]*\]')"
[ $rc -eq 0 ] && [ "$(grep -c -- '-> gpu\[' clean.log)" -eq "$(grep -c . clean.log)" ] \
    && ok "cases: $(tail -1 clean.out), every call on the GPU" || { bad "cases: status $rc"; tail -3 clean.out clean.err; }
for fault in panic-dgemm@2 lu@2 panic-lu@2 commit-factors@7 commit-factors@130 commit-solution@1 commit-c@3 panic-svd@1 alloc-svd panic-alpha@1; do
    run "f$fault" 120 $GPU LAPACK_AI_FAULT_INJECT=$fault -- cases
    f=$(grep -c 'fell back' "f$fault.log")
    [ $rc -eq 0 ] && [ "$f" -gt 0 ] && ok "$fault: $(tail -1 "f$fault.out"), $f fallbacks, $(grep -c warning "f$fault.err") warnings" \
        || { bad "$fault: status $rc, $f fallbacks"; grep FAIL "f$fault.out" | head -3; head -3 "f$fault.err"; }
done
run threads 300 $GPU -- threads 8 6
grep -q ", 0 mismatches" threads.out && [ $rc -eq 0 ] && ok "$(grep '^threads:' threads.out)" \
    || { bad "threads: status $rc"; grep -E "FAIL|threads:" threads.out | head -5; }
for mode in fork-after fork-before; do
    t0=$SECONDS
    run "$mode" 150 $GPU -- "$mode"
    t=$((SECONDS - t0))
    kids=$(grep -c '^child [0-9]: 12 passed, 0 failed' "$mode.out")
    [ $rc -eq 0 ] && [ "$kids" -eq 4 ] \
        && ok "$mode: 4 children and the parent finished in ${t} s; $(grep -c 'forked child' "$mode.log") calls as forked child, $(grep -c -- '-> gpu\[' "$mode.log") on the GPU" \
        || { bad "$mode: status $rc after ${t} s, $kids children passed"; tail -4 "$mode.out"; }
done

echo "-- Python multiprocessing (fork and spawn) after a GPU call"
python3 - "$ROOT/python/tests/test_lapack_ai.py" > pool.py <<'EOF'
import re, sys
print(re.search(r'FORK_CHILDREN = """(.*?)"""', open(sys.argv[1]).read(), re.S).group(1))
EOF
for method in fork spawn; do
    out=$(PYTHONPATH=$ROOT/python LAPACK_AI_LIBRARY=$D/new/liblapack_ai.so LAPACK_AI_MODE=gpu \
          LAPACK_AI_LOG=$WORK/py.log timeout 200 python3 pool.py $method 2>&1)
    rc=$?
    [ $rc -eq 0 ] && [ "$(grep -c '^child' <<< "$out")" -eq 6 ] \
        && ok "multiprocessing $method: $(grep -c . <<< "$out") lines, worst errors $(grep -o '([^)]*)' <<< "$out" | tr -d '()' | tr ',' '\n' | sort -g | tail -1); $(grep -c 'forked child' py.log) calls as forked child" \
        || { bad "multiprocessing $method: status $rc"; tail -5 <<< "$out"; }
    rm -f py.log
done

[ -n "${SKIP_TIMES:-}" ] && { echo "device: $passed passed, $failed failed"; exit; }
echo "-- time of the main calls: this build (new) against the one before issue 15 (old), LAPACK_AI_MODE=gpu"
for pass in 1 2; do
    for lib in new old; do
        for call in "dgemm 8192" "dgesv 8192" "dgesv 16384" "dgesdd 4096 N" "dgesdd 4096 A"; do
            echo "   $lib: $(LD_LIBRARY_PATH=$D/$lib LAPACK_AI_MODE=gpu LAPACK_AI_CPU_LIB=$OPENBLAS timeout 120 "$D/time_calls" $call 2>&1 | tail -1)"
        done
    done
done
echo "device: $passed passed, $failed failed"
