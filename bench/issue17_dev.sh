#!/usr/bin/env bash
# Issue 17 on the 2-core dev machine (no GPU): what a short program pays
# for preloading the library, the issue's second table. One LAPACK driver
# per process (bench/suite.c over the system LAPACK, Debian's OpenBLAS),
# timed inside the program (the driver call) and as a whole process:
#   none         without the library
#   old          the build before issue 17 (OLD=path/to/liblapack_ai.so)
#   new          this build, no device chosen (none usable here: remembered
#                after the first process)
#   new-pocl     this build, LAPACK_AI_DEVICE=pocl (calibrated by the first
#                process, then remembered)
# The first process of each cached config is run (and shown) apart.
# Usage: OLD=.device17/old/liblapack_ai.so bash bench/issue17_dev.sh [REPS]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
NEW=$ROOT/target/release/liblapack_ai.so
OLD=${OLD:-}
REPS=${1:-7}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cc -O2 "$ROOT/bench/suite.c" -o "$WORK/suite" -llapack -lblas -lm
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "blas: $(readlink -f /usr/lib/x86_64-linux-gnu/libblas.so.3)"
# one CONFIG WORKLOAD...: prints "inner wall" seconds
one() {
    local config=$1; shift
    local envs=()
    case $config in
        none) ;;
        old) envs=(LD_PRELOAD=$OLD LAPACK_AI_CACHE_DIR=$WORK/cache-old) ;;
        old-pocl) envs=(LD_PRELOAD=$OLD LAPACK_AI_CACHE_DIR=$WORK/cache-old LAPACK_AI_DEVICE=pocl) ;;
        new) envs=(LD_PRELOAD=$NEW LAPACK_AI_CACHE_DIR=$WORK/cache-new) ;;
        new-pocl) envs=(LD_PRELOAD=$NEW LAPACK_AI_CACHE_DIR=$WORK/cache-new LAPACK_AI_DEVICE=pocl) ;;
    esac
    local t0=$EPOCHREALTIME
    local out
    out=$(env "${envs[@]}" "$WORK/suite" "$@")
    local t1=$EPOCHREALTIME
    echo "$(cut -d' ' -f3 <<< "$out") $(echo "$t1 - $t0" | bc -l)"
}
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
configs="none new new-pocl"
[ -n "$OLD" ] && configs="none old old-pocl new new-pocl"
echo "first process of each config (cache empty): driver call s, whole process s"
for w in "dgetrf 1200" "dsyevd 700"; do
    for c in $configs; do
        [ "$c" = none ] && continue
        echo "  $w $c: $(one $c $w)"
    done
done
echo "later processes: median of $REPS (driver call s / whole process s)"
printf "  %-12s" workload; for c in $configs; do printf " %21s" "$c"; done; echo
for w in "dgetrf 1200" "dsyevd 700" "dgetrf 256" "dgemm 64"; do
    declare -A inner=() wall=()
    for r in $(seq "$REPS"); do
        for c in $configs; do
            read -r i t <<< "$(one $c $w)"
            inner[$c]+="$i "; wall[$c]+="$t "
        done
    done
    printf "  %-12s" "$w"
    for c in $configs; do
        printf " %10.4f / %8.4f" "$(tr ' ' '\n' <<< "${inner[$c]}" | grep . | median)" "$(tr ' ' '\n' <<< "${wall[$c]}" | grep . | median)"
    done
    echo
done
