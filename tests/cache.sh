#!/usr/bin/env bash
# The on-disk cache (src/runtime/cache.rs) as a user's program meets it, on PoCL
# (tests/c/cache_consumer.c: DGEMM in all four transpose pairs, checked
# against a triple loop on the CPU):
#  - a first run builds the DGEMM programs into a cache directory that does
#    not exist yet: it is created with mode 0700, its files 0600;
#  - every cache file damaged (truncated, emptied, bytes flipped in header,
#    key and payload; two rounds): the next run computes right products on
#    the GPU, does not abort, and writes every file anew; the run after
#    loads them as they are;
#  - a link planted at the rates file's name: calibrations
#    (LAPACK_AI_MODE=auto, then with LAPACK_AI_RECALIBRATE=1) leave the
#    link's target as it was;
#  - a cache directory that others can write: one warning that names it,
#    nothing written there, right products.
# Usage: tests/cache.sh [path/to/liblapack_ai.so]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIB=$(realpath "${1:-$ROOT/target/release/liblapack_ai.so}")
LIBDIR=$(dirname "$LIB")
WORK=$(mktemp -d /tmp/lapack-ai-cache.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
unset LAPACK_AI_MODE LAPACK_AI_RATES LAPACK_AI_RECALIBRATE LAPACK_AI_LOG LAPACK_AI_KERNEL LAPACK_AI_FAULT_INJECT \
    LAPACK_AI_TEST_STAGING LAPACK_AI_TEST_DEVICE_DOUBLES LAPACK_AI_PROFILE LAPACK_AI_MONITOR
export LAPACK_AI_DEVICE=pocl

passed=0
failed=0
ok()  { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }

cc -O2 -Wall -Wextra -Werror -I "$ROOT/include" "$ROOT/tests/c/cache_consumer.c" \
    -L "$LIBDIR" -llapack_ai -Wl,-rpath,"$LIBDIR" -lm -o "$WORK/prog" || { bad "cache_consumer.c does not compile"; exit 1; }

CACHE=$WORK/home/cache
# run NAME VAR=VALUE...: the program with the cache in $CACHE and the
# variables given; output in $WORK/NAME.{out,err,log}; its status.
run() {
    local name=$1
    shift
    env LAPACK_AI_CACHE_DIR="$CACHE" LAPACK_AI_LOG="$WORK/$name.log" "$@" "$WORK/prog" \
        > "$WORK/$name.out" 2> "$WORK/$name.err"
}
# right NAME STATUS [gpu]: ran to the end with the four products right (and
# all four on the GPU).
right() {
    if [ "$2" -ne 0 ] || ! grep -q '^4 passed, 0 failed$' "$WORK/$1.out"; then
        bad "$1: status $2"; tail -n 5 "$WORK/$1.out" "$WORK/$1.err"; return 1
    fi
    if [ "${3:-}" = gpu ] && [ "$(grep -c -- '-> gpu\[' "$WORK/$1.log")" -ne 4 ]; then
        bad "$1: not all four products ran on the GPU"; cat "$WORK/$1.log"; return 1
    fi
    return 0
}
files() { find "$CACHE" -maxdepth 1 -type f | sort; }
# flip FILE OFFSET: inverts the byte at OFFSET.
flip() {
    local b
    b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
    printf "\\$(printf %03o $((b ^ 0xff)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}
# state: name, inode and checksum of every cache file.
state() { for f in $(files); do echo "$f $(stat -c %i "$f") $(cksum < "$f")"; done; }
# loaded_state: the same for the kernel programs; for the rates file, what
# it says but the GPU's set-up time (`first_use`), which a run rewrites when
# its own start took more than twice or less than half as long (model.rs:
# set_first_use), as a start under load can: the entry is then loaded and
# updated, not rebuilt.
loaded_state() {
    local f
    for f in $(files); do
        case $(basename "$f") in
            rates-*) echo "$f $(grep -a -E '^(device|absent|rates|constant|learned) ' "$f" | cksum)" ;;
            *) echo "$f $(stat -c %i "$f") $(cksum < "$f")" ;;
        esac
    done
}

echo "-- a fresh cache directory"
run first LAPACK_AI_MODE=gpu
rc=$?
if right first $rc gpu; then
    ok "first run: 4 products right, on the GPU (PoCL), kernels built"
fi
n=$(files | wc -l)
modes=$(for f in $(files); do stat -c %a "$f"; done | sort -u | tr '\n' ' ')
dirmode=$(stat -c %a "$CACHE" 2>/dev/null)
[ "$n" -ge 4 ] && [ "$dirmode" = 700 ] && [ "$modes" = "600 " ] \
    && ok "cache directory created 0700, its $n files 0600" \
    || bad "cache directory mode ${dirmode:-none}, $n files, modes: $modes"

echo "-- damaged cache files"
for round in 1 2; do
    i=0
    damage=
    for f in $(files); do
        size=$(stat -c %s "$f")
        case $((i % 4)),$round in
            0,1) truncate -s $((size / 2)) "$f"; what="truncated to half" ;;
            1,1) : > "$f"; what="emptied" ;;
            2,1) flip "$f" $((size / 2)); flip "$f" $((size - 1)); what="bytes flipped in the payload" ;;
            3,1) flip "$f" 9; what="a byte flipped in the header" ;;
            0,2) truncate -s 31 "$f"; what="truncated in the header" ;;
            1,2) flip "$f" 200; what="a byte flipped in the key" ;;
            2,2) truncate -s $((size - 1)) "$f"; what="last byte cut" ;;
            3,2) printf 'x' >> "$f"; what="a byte appended" ;;
        esac
        damage="${damage:+$damage; }$(basename "$f"): $what"
        i=$((i + 1))
    done
    before=$(state)
    run damaged$round LAPACK_AI_MODE=gpu
    rc=$?
    right damaged$round $rc gpu && ok "round $round, every file damaged ($damage): 4 products right, on the GPU, no abort"
    after=$(state)
    after_loaded=$(loaded_state)
    # Every file written anew: no line of the damaged state is left.
    left=$(comm -12 <(echo "$before") <(echo "$after"))
    [ -z "$left" ] && [ "$(files | wc -l)" -eq "$n" ] \
        && ok "round $round: all $n files written anew" \
        || { bad "round $round: files left as they were:"; echo "$left"; }
    run reloaded$round LAPACK_AI_MODE=gpu
    rc=$?
    right reloaded$round $rc gpu && [ "$(loaded_state)" = "$after_loaded" ] \
        && ok "round $round: the next run loads them as they are (same inodes and contents; the rates file's set-up time aside)" \
        || { bad "round $round: the files written anew were not loaded as they are"; diff <(echo "$after_loaded") <(loaded_state); }
done

echo "-- a link at the rates file's name"
CACHE=$WORK/links/cache
run calibrate LAPACK_AI_MODE=auto
rc=$?
right calibrate $rc
rates=$(find "$CACHE" -maxdepth 1 -type f -name 'rates-*' | head -1)
if [ -z "$rates" ]; then
    bad "auto mode wrote no rates file"; ls -la "$CACHE"
else
    echo "do not overwrite" > "$WORK/victim"
    for recalibrate in 0 1; do
        rm -f "$rates"
        ln -s "$WORK/victim" "$rates"
        run link$recalibrate LAPACK_AI_MODE=auto LAPACK_AI_RECALIBRATE=$recalibrate
        rc=$?
        right link$recalibrate $rc && [ "$(cat "$WORK/victim")" = "do not overwrite" ] && [ -f "$rates" ] && [ ! -L "$rates" ] \
            && ok "LAPACK_AI_RECALIBRATE=$recalibrate: calibrated, the link's target untouched, the link replaced by the rates" \
            || { bad "LAPACK_AI_RECALIBRATE=$recalibrate: the link's target now reads: $(head -c 200 "$WORK/victim")"; }
    done
fi

echo "-- a cache directory that others can write"
SHARED=$WORK/shared
mkdir -m 777 "$SHARED"
chmod 777 "$SHARED"
CACHE=$SHARED run shared LAPACK_AI_MODE=gpu
rc=$?
warnings=$(grep -c "^lapack-ai: warning: cache directory $SHARED .*writable by group or others" "$WORK/shared.err")
right shared $rc gpu && [ "$warnings" -eq 1 ] && [ -z "$(ls -A "$SHARED")" ] \
    && ok "refused with one warning, nothing written, 4 products right" \
    || { bad "shared directory: $warnings warnings, $(ls -A "$SHARED" | wc -l) entries"; cat "$WORK/shared.err"; }

echo "cache: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
