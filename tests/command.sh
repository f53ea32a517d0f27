#!/usr/bin/env bash
# The `lapack-ai` command (README, "Ask it what it will do"), and the
# library run as a program:
#  - `info`: the OpenCL devices (PoCL, with fp64 and memory), the CPU
#    library of every routine, the rates and their cache file; with
#    LAPACK_AI_DEVICE=pocl, the device used and what chose it;
#  - `run -- PROGRAM`: a C program calling dgesv_ (linked against the
#    system LAPACK) runs with the library preloaded, its profile printed
#    after its own output, its exit status passed on (and a signal's, and
#    127 for a missing program); LD_PRELOAD kept; a LAPACK_AI_PROFILE of
#    the user's own respected; a program that routes nothing says so;
#  - `calibrate` on PoCL (a fresh cache directory): rates measured,
#    written and shown by `info`; LAPACK_AI_RATES shown as such; without a
#    device, status 1 and why;
#  - `bench --sizes 32,64` on PoCL: both columns, every call on the device,
#    results checked; without a device, the CPU column only;
#  - --help, --version, bad command lines (usage on stderr, status 2), a
#    library that is not there; the installed layout (PREFIX/bin finds
#    PREFIX/lib);
#  - liblapack_ai.so run as a program: one line on stderr, status 1, no
#    crash, no program interpreter, nothing more exported;
#  - `python3 -m lapack_ai` (Debian's NumPy): lapack_ai_info()'s text, the
#    same lines as `lapack-ai info`.
# Builds nothing: run it after `cargo build --release`.
# Usage: tests/command.sh [path/to/liblapack_ai.so]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIB=$(realpath "${1:-$ROOT/target/release/liblapack_ai.so}")
CMD=$(dirname "$LIB")/lapack-ai
WORK=$(mktemp -d /tmp/lapack-ai-command.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
unset LAPACK_AI_PROFILE LAPACK_AI_MONITOR LAPACK_AI_LOG LAPACK_AI_MODE LAPACK_AI_DEVICE LAPACK_AI_RATES \
      LAPACK_AI_LIBRARY LAPACK_AI_RECALIBRATE LAPACK_AI_CPU_LIB
# A cache of this test's own: `calibrate` writes the machine's entry.
export LAPACK_AI_CACHE_DIR=$WORK/cache
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)

passed=0
failed=0
ok()  { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }
# check DESCRIPTION COMMAND...: ok if COMMAND succeeds.
check() { local what=$1; shift; if "$@"; then ok "$what"; else bad "$what"; fi; }
has() { grep -qE -- "$2" "$1"; }

[ -x "$CMD" ] || { echo "no $CMD: build it first (cargo build --release)"; exit 1; }

echo "-- lapack-ai info"
"$CMD" info > "$WORK/info.out" 2> "$WORK/info.err"
rc=$?
check "info: status 0, first line the version" [ $rc -eq 0 -a "$(head -1 "$WORK/info.out")" = "lapack-ai $VERSION" ]
check "info: the library's path" has "$WORK/info.out" "^library: $LIB\$"
check "info: the OpenCL devices, PoCL with fp64 and its memory" \
    has "$WORK/info.out" '^opencl device #[0-9]+: .*\(Portable Computing Language, driver .*\); cpu, fp64, [0-9.]+ GiB'
check "info: the device and what chose it" has "$WORK/info.out" '^device choice: the first OpenCL GPU with fp64'
missing=
for r in dgemm_ dgesv_ dgetrf_ dgetrs_ dgesvd_ dgesdd_; do has "$WORK/info.out" "^cpu $r: ." || missing="$missing $r"; done
check "info: the CPU library of every routine${missing:+ (missing:$missing)}" [ -z "$missing" ]
check "info: the rates and why there are none (no GPU here)" has "$WORK/info.out" '^rates: none \(no usable OpenCL device'
check "info: the cache file of the rates" has "$WORK/info.out" "^rates cache: $WORK/cache/rates-[0-9a-f]{16}\.cache \("
check "info: nothing on stderr" [ ! -s "$WORK/info.err" ]
"$CMD" > "$WORK/bare.out" 2>&1
check "no command is info" [ "$(head -1 "$WORK/bare.out")" = "lapack-ai $VERSION" ]
LAPACK_AI_DEVICE=pocl "$CMD" info > "$WORK/pocl.out" 2>&1
check "info, LAPACK_AI_DEVICE=pocl: PoCL used, chosen by the variable, rates not measured yet" \
    eval 'has "$WORK/pocl.out" "^device: #[0-9]+ .*Portable Computing Language" &&
          has "$WORK/pocl.out" "^device choice: LAPACK_AI_DEVICE=pocl\$" &&
          has "$WORK/pocl.out" "^opencl device #.*; used\$" &&
          has "$WORK/pocl.out" "^rates: none \(not measured yet"'

echo "-- lapack-ai calibrate"
LAPACK_AI_DEVICE=pocl "$CMD" calibrate > "$WORK/cal.out" 2> "$WORK/cal.err"
rc=$?
rates=$(sed -n 's/^rates: \(cpu=[^ ]*\) .*/\1/p' "$WORK/cal.out")
check "calibrate on PoCL: status 0, the measured rates" \
    eval '[ $rc -eq 0 ] && [[ "$rates" =~ ^cpu=[0-9.e-]+,gpu=[0-9.e-]+,h2d=[0-9.e-]+,launch=[0-9.e-]+$ ]]'
[ $rc -eq 0 ] || cat "$WORK/cal.out" "$WORK/cal.err"
check "calibrate: the rates written to the cache" eval 'ls "$WORK"/cache/rates-*.cache > /dev/null 2>&1 && has "$WORK/cal.out" "^rates cache: .*\(written"'
LAPACK_AI_DEVICE=pocl "$CMD" info > "$WORK/pocl2.out" 2>&1
check "info shows the rates calibrate measured, and the device's set-up time" \
    eval 'has "$WORK/pocl2.out" "^rates: $rates \(GFLOP/s, GFLOP/s, GB/s, s; measured on #" && has "$WORK/pocl2.out" "^gpu set-up: [0-9.]+ s"'
LAPACK_AI_DEVICE=pocl LAPACK_AI_RATES=cpu=10,gpu=20,h2d=3,launch=0.001 "$CMD" calibrate > "$WORK/fixed.out" 2>&1
check "calibrate with LAPACK_AI_RATES: those rates, said to be set" has "$WORK/fixed.out" '^rates: cpu=10.00,gpu=20.00,h2d=3.000,launch=1.000e-3 .*set by LAPACK_AI_RATES'
"$CMD" calibrate > "$WORK/nodev.out" 2> "$WORK/nodev.err"
rc=$?
check "calibrate without a device: status 1, says why" eval '[ $rc -eq 1 ] && has "$WORK/nodev.err" "nothing to measure: no usable OpenCL device"'

echo "-- lapack-ai run"
cat > "$WORK/solve.c" <<'EOF'
/* Solves one system with the program's own LAPACK; exits with argv[1]. */
#include <stdio.h>
#include <stdlib.h>
void dgesv_(const int *n, const int *nrhs, double *a, const int *lda, int *ipiv, double *b, const int *ldb, int *info);
int main(int argc, char **argv) {
    int n = 200, nrhs = 1, info = -1;
    double *a = malloc(sizeof(double) * n * n), *b = malloc(sizeof(double) * n);
    int *ipiv = malloc(sizeof(int) * n);
    for (int j = 0; j < n; j++) {
        for (int i = 0; i < n; i++) a[j * n + i] = i == j ? n : 1.0 / (1 + i + j);
        b[j] = 1.0;
    }
    dgesv_(&n, &nrhs, a, &n, ipiv, b, &n, &info);
    printf("solve: info %d\n", info);
    return info != 0 ? 99 : argc > 1 ? atoi(argv[1]) : 0;
}
EOF
cc -O2 -o "$WORK/solve" "$WORK/solve.c" -llapack || bad "solve.c does not compile"
"$CMD" run -- "$WORK/solve" 3 > "$WORK/run.out" 2>&1
rc=$?
out_line=$(grep -n '^solve: info 0$' "$WORK/run.out" | cut -d: -f1)
profile_line=$(grep -n '^lapack-ai profile: pid [0-9]' "$WORK/run.out" | cut -d: -f1)
check "run: the program's status (3) passed on" [ $rc -eq 3 ]
check "run: the profile, after the program's output, counts its dgesv_" \
    eval '[ -n "$out_line" ] && [ -n "$profile_line" ] && [ "$out_line" -lt "$profile_line" ] && grep -qE "^dgesv_ +1 " "$WORK/run.out"'
[ $rc -eq 3 ] && [ -n "$profile_line" ] || cat "$WORK/run.out"
"$CMD" run "$WORK/solve" > /dev/null 2>&1
check "run without --: status 0" [ $? -eq 0 ]
LAPACK_AI_PROFILE=$WORK/mine-%p.txt "$CMD" run -- "$WORK/solve" > "$WORK/own.out" 2>&1
check "run: a LAPACK_AI_PROFILE of the user's own is used, not printed" \
    eval '! has "$WORK/own.out" "^lapack-ai profile" && cat "$WORK"/mine-*.txt | grep -q "^lapack-ai profile"'
LD_PRELOAD=libm.so.6 "$CMD" run -- sh -c 'echo "preload=$LD_PRELOAD"' > "$WORK/preload.out" 2>&1
check "run: the library prepended to LD_PRELOAD" has "$WORK/preload.out" "^preload=$LIB:libm.so.6\$"
check "run: a program that routes no call says so" has "$WORK/preload.out" "made no call that liblapack_ai.so routes"
"$CMD" run -- sh -c 'kill -TERM $$' > /dev/null 2>&1
check "run: a program killed by SIGTERM gives 128 + 15" [ $? -eq 143 ]
"$CMD" run -- "$WORK/no-such-program" > /dev/null 2> "$WORK/missing.err"
rc=$?
check "run: a missing program gives 127 and a message" eval '[ $rc -eq 127 ] && has "$WORK/missing.err" "cannot run"'

echo "-- lapack-ai bench"
LAPACK_AI_DEVICE=pocl "$CMD" bench --sizes 32,64 > "$WORK/bench.out" 2> "$WORK/bench.err"
rc=$?
rows=$(grep -cE '^(dgemm_|dgesv_|dgetrf_|dgesdd_) +(32|64) +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+ +[0-9.]+x$' "$WORK/bench.out")
check "bench on PoCL: status 0, 8 rows with both columns and the ratio, every GPU call on the device" \
    eval '[ $rc -eq 0 ] && [ "$rows" -eq 8 ] && ! has "$WORK/bench.out" "ran on the CPU|fell back|WRONG"'
[ $rc -eq 0 ] && [ "$rows" -eq 8 ] || cat "$WORK/bench.out" "$WORK/bench.err"
"$CMD" bench --sizes 48 --routines dgesvd,dgemm_ > "$WORK/bench2.out" 2>&1
rc=$?
rows=$(grep -cE '^(dgemm_|dgesvd_) +48 +[0-9.]+ +[0-9.]+$' "$WORK/bench2.out")
check "bench without a device: says so, the CPU column only" \
    eval '[ $rc -eq 0 ] && [ "$rows" -eq 2 ] && has "$WORK/bench2.out" "^gpu: none \(.*; CPU column only$"'
[ $rc -eq 0 ] && [ "$rows" -eq 2 ] || cat "$WORK/bench2.out"
"$CMD" bench --sizes 0 > /dev/null 2>&1
check "bench --sizes 0: status 2" [ $? -eq 2 ]
"$CMD" bench --routines dpotrf_ > /dev/null 2>&1
check "bench --routines dpotrf_: status 2" [ $? -eq 2 ]

echo "-- help, version, bad command lines"
"$CMD" --help > "$WORK/help.out" 2>&1
rc=$?
check "--help: status 0, the usage" eval '[ $rc -eq 0 ] && has "$WORK/help.out" "^  lapack-ai run \[--\] PROGRAM"'
"$CMD" --version > "$WORK/version.out" 2>&1
check "--version: the command's and the library's" \
    eval '[ "$(head -1 "$WORK/version.out")" = "lapack-ai $VERSION" ] && has "$WORK/version.out" "^library: $LIB \($VERSION\)\$"'
"$CMD" frobnicate > "$WORK/unknown.out" 2> "$WORK/unknown.err"
rc=$?
check "an unknown command: status 2, the usage on stderr, nothing on stdout" \
    eval '[ $rc -eq 2 ] && [ ! -s "$WORK/unknown.out" ] && has "$WORK/unknown.err" "unknown command .frobnicate." && has "$WORK/unknown.err" "^usage:"'
"$CMD" info extra > /dev/null 2>&1
check "info with an argument: status 2" [ $? -eq 2 ]
LAPACK_AI_LIBRARY=$WORK/nothing.so "$CMD" info > /dev/null 2> "$WORK/nolib.err"
rc=$?
check "LAPACK_AI_LIBRARY naming no file: status 1, says so" eval '[ $rc -eq 1 ] && has "$WORK/nolib.err" "LAPACK_AI_LIBRARY=$WORK/nothing.so"'
mkdir -p "$WORK/prefix/bin" "$WORK/prefix/lib"
cp "$CMD" "$WORK/prefix/bin/" && cp "$LIB" "$WORK/prefix/lib/"
"$WORK/prefix/bin/lapack-ai" info > "$WORK/installed.out" 2>&1
check "installed layout: PREFIX/bin/lapack-ai uses PREFIX/lib/liblapack_ai.so" has "$WORK/installed.out" "^library: $WORK/prefix/lib/liblapack_ai.so\$"

echo "-- liblapack_ai.so run as a program"
"$LIB" > "$WORK/exec.out" 2> "$WORK/exec.err"
rc=$?
check "status 1 (no crash), one line on stderr, nothing on stdout" \
    eval '[ $rc -eq 1 ] && [ "$(wc -l < "$WORK/exec.err")" -eq 1 ] && [ ! -s "$WORK/exec.out" ]'
check "the line says what to do" has "$WORK/exec.err" "^liblapack_ai.so $VERSION is a library, not a program: preload it .*lapack-ai info"
check "no program interpreter; the entry point not exported" \
    eval '! readelf -lW "$LIB" | grep -q INTERP && ! nm -D --defined-only "$LIB" | grep -q exec_entry'

echo "-- python3 -m lapack_ai"
if /usr/bin/python3 -c 'import numpy' 2> /dev/null; then
    LAPACK_AI_LIBRARY=$LIB PYTHONPATH=$ROOT/python /usr/bin/python3 -m lapack_ai > "$WORK/py.out" 2> "$WORK/py.err"
    rc=$?
    keys() { grep -v '^note: ' "$1" | cut -d: -f1; }
    check "python -m lapack_ai: status 0, the version and the library" \
        eval '[ $rc -eq 0 ] && [ "$(head -1 "$WORK/py.out")" = "lapack-ai $VERSION" ] && has "$WORK/py.out" "^library: $LIB\$"'
    check "python -m lapack_ai: the lines of lapack-ai info" [ "$(keys "$WORK/py.out")" = "$(keys "$WORK/info.out")" ]
    [ $rc -eq 0 ] || cat "$WORK/py.err"
    LAPACK_AI_LIBRARY=$LIB PYTHONPATH=$ROOT/python /usr/bin/python3 -m lapack_ai --frobnicate > /dev/null 2>&1
    check "python -m lapack_ai with an unknown argument: status 2" [ $? -eq 2 ]
else
    echo "  skip python -m lapack_ai: /usr/bin/python3 has no NumPy"
fi

echo "command: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
