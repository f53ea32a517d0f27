#!/usr/bin/env bash
# The cost of the counters behind the profile and the monitor (issue 9):
# bench/stats_overhead.c on many small DGEMMs, this tree's library against
# a baseline build without counters (default: ac5e7fb, main before them),
# both in one process, called in alternating blocks, over the system BLAS
# (OpenBLAS, one thread). Two runs per size:
#   profile  LAPACK_AI_PROFILE set (counters, and the table at exit);
#   monitor  LAPACK_AI_MONITOR serving, scraped (/api/stats and /metrics)
#            every 500 ms during the run.
# Usage: bench/stats_overhead.sh [BASELINE_REV]   (SIZES="8 16 32 64",
#        ROUNDS=300 for profile runs, MONITOR_ROUNDS=3000)
# Results and how to read them: bench/RESULTS.md, "Profiling overhead".
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BASE_REV=${1:-ac5e7fb}
SIZES=${SIZES:-8 16 32 64}
ROUNDS=${ROUNDS:-300}
MONITOR_ROUNDS=${MONITOR_ROUNDS:-3000}
WORK=${LAPACK_AI_BENCH_DIR:-/tmp/lapack-ai-stats-bench}
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
BLAS=${LAPACK_AI_CPU_LIB:-/usr/lib/$MULTIARCH/openblas-pthread/libblas.so.3}
mkdir -p "$WORK"

echo "== build: this tree, and the baseline $BASE_REV"
(cd "$ROOT" && cargo build --release --locked 2>&1 | tail -1)
if [ ! -f "$WORK/base-$BASE_REV/target/release/liblapack_ai.so" ]; then
    rm -rf "$WORK/base-$BASE_REV" && mkdir -p "$WORK/base-$BASE_REV"
    git -C "$ROOT" archive "$BASE_REV" | tar -x -C "$WORK/base-$BASE_REV"
    (cd "$WORK/base-$BASE_REV" && cargo build --release --locked 2>&1 | tail -1)
fi
BASE=$WORK/base-$BASE_REV/target/release/liblapack_ai.so
NEW=$ROOT/target/release/liblapack_ai.so
cc -O2 "$ROOT/bench/stats_overhead.c" -ldl -lpthread -o "$WORK/stats_overhead"

echo "== machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== BLAS: $BLAS (OPENBLAS_NUM_THREADS=1)"
export OPENBLAS_NUM_THREADS=1 LAPACK_AI_CPU_LIB=$BLAS
unset LAPACK_AI_LOG LAPACK_AI_MODE LAPACK_AI_PROFILE LAPACK_AI_MONITOR
# CALLS per block: about 4 MFLOP of work, at least 20 calls.
calls() { local c=$((4000000 / ($1 * $1 * $1))); echo $((c < 20 ? 20 : c)); }

echo "== profile: LAPACK_AI_PROFILE=$WORK/profile-%p.txt"
for n in $SIZES; do
    LAPACK_AI_PROFILE="$WORK/profile-%p.txt" "$WORK/stats_overhead" "$n" "$(calls "$n")" "$ROUNDS" "$BASE" "$NEW"
done

echo "== monitor: LAPACK_AI_MONITOR=127.0.0.1:PORT, scraped every 500 ms"
for n in $SIZES; do
    # A port picked at random; another if it is taken.
    for _ in 1 2 3 4 5; do
        port=$((20000 + RANDOM % 20000))
        LAPACK_AI_MONITOR=127.0.0.1:$port SCRAPE_PORT=$port "$WORK/stats_overhead" "$n" "$(calls "$n")" \
            "$MONITOR_ROUNDS" "$BASE" "$NEW" > "$WORK/monitor.out" 2> "$WORK/monitor.err"
        grep -q "cannot listen" "$WORK/monitor.err" || break
    done
    cat "$WORK/monitor.out"
    grep -v "monitor on" "$WORK/monitor.err" || true
done
