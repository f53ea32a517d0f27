#!/usr/bin/env bash
# Issue 16 (the reorganisation) on a real GPU, in one call of the device
# tool: the robustness checks of issue 15 with the reorganised build
# (bench/issue15_device.sh without its timings), then the main calls timed
# with the build before the reorganisation (8e60870, "old") and after
# ("new"), alternating, three passes, so that the difference can be read
# against the run-to-run spread.
#
# Prepared on the project machine (nothing is built on the device):
#   D=.device16; mkdir -p $D/new $D/old
#   cp target/release/liblapack_ai.so $D/new/
#   cp <build of 8e60870>/liblapack_ai.so $D/old/
#   cc -O2 -I include tests/c/robust.c -L $D/new -llapack_ai \
#      -Wl,-rpath,'$ORIGIN/new' -lpthread -lm -o $D/robust
#   cc -O2 -I include bench/time_calls.c -L $D/new -llapack_ai -o $D/time_calls
# Run there: bash bench/issue16_device.sh .device16 | tee $OUT/issue16.txt
set -u
D=$(realpath "${1:-.device16}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OPENBLAS=$(ls /lib/x86_64-linux-gnu/libopenblas.so.0 /usr/lib/x86_64-linux-gnu/libopenblas.so.0 2>/dev/null | head -1)
export LAPACK_AI_CACHE_DIR=/tmp/lapack-ai-cache

echo "== robustness on the GPU (bench/issue15_device.sh, new build)"
SKIP_TIMES=1 bash "$ROOT/bench/issue15_device.sh" "$D"

echo "== time of the main calls, old (8e60870) and new, LAPACK_AI_MODE=gpu, CPU LAPACK $OPENBLAS"
for pass in 1 2 3; do
    for lib in old new; do
        for call in "dgemm 8192" "dgesv 8192" "dgesv 16384" "dgesdd 4096 A"; do
            echo "   pass $pass $lib: $(LD_LIBRARY_PATH=$D/$lib LAPACK_AI_MODE=gpu LAPACK_AI_CPU_LIB=$OPENBLAS \
                timeout 120 "$D/time_calls" $call 2>&1 | tail -1)"
        done
    done
done
