#!/usr/bin/env bash
# Programs that use liblapack_ai.so the way users' programs do:
#  - tests/c/consumer.c, through include/lapack_ai.h, linked against the
#    library alone (the machine's OpenBLAS opened by the library, then the bundled CPU path; no xerbla_ in the process);
#  - fortran-tests/consumer_residuals.f90, linked against the library alone,
#    and the same source linked against the system LAPACK and run with the
#    library preloaded;
#  - bad configuration values: one clear message each, the default used, the
#    answers still right;
#  - Debian's NumPy (tests/numpy_client.py) preloaded with the GPU paths
#    forced onto PoCL: cholesky and qr as without the library.
# Each program checks LAPACK-style residuals and prints "N passed, N failed".
# Usage: tests/consumers.sh [path/to/liblapack_ai.so]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIB=$(realpath "${1:-$ROOT/target/release/liblapack_ai.so}")
LIBDIR=$(dirname "$LIB")
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
WORK=$(mktemp -d /tmp/lapack-ai-consumers.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
export LD_LIBRARY_PATH=/usr/lib/$MULTIARCH/blas:/usr/lib/$MULTIARCH/lapack${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}

passed=0
failed=0
ok()  { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }

# expect NAME LOG PROVIDER_REGEX -- COMMAND...: the command exits 0, prints
# "N passed, 0 failed", and every call in its log ran on PROVIDER.
expect() {
    local name=$1 log=$2 provider=$3
    shift 4
    rm -f "$log"
    if ! LAPACK_AI_LOG=$log "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"; then
        bad "$name: failed"; tail -n 20 "$WORK/$name.out" "$WORK/$name.err"; return 1
    fi
    local summary
    summary=$(grep -E '^ *[0-9]+ passed, [0-9]+ failed' "$WORK/$name.out" | tail -1)
    if [ -z "$summary" ] || ! grep -qE ' 0 failed' <<< "$summary"; then
        bad "$name: ${summary:-no summary line}"; tail -n 20 "$WORK/$name.out"; return 1
    fi
    local calls on
    calls=$(grep -c '^lapack-ai: ' "$log" || true)
    on=$(grep -cE -- "-> cpu\[$provider\]" "$log" || true)
    if [ "$calls" -gt 0 ] && [ "$calls" -eq "$on" ]; then
        ok "$name: $(echo $summary); $calls calls logged, all on cpu[$provider]"
    else
        bad "$name: $calls calls logged, $on on cpu[$provider]"; head -3 "$log"; return 1
    fi
}

echo "-- C consumer (library alone)"
cc -O2 -Wall -Wextra -Werror -I "$ROOT/include" "$ROOT/tests/c/consumer.c" \
    -L "$LIBDIR" -llapack_ai -Wl,-rpath,"$LIBDIR" -lm -o "$WORK/c_consumer" || bad "C consumer does not compile"
# Linked against the library alone: the CPU path is the machine's LAPACK
# (OpenBLAS, installed by tools/deps.sh), opened by the library.
expect c-alone "$WORK/c.log" "/[^]]*openblas[^]]*" -- "$WORK/c_consumer"
# ... or its bundled reference, when told so.
if expect c-bundled "$WORK/cb.log" bundled -- env LAPACK_AI_CPU_LIB=bundled "$WORK/c_consumer"; then
    # Illegal arguments with no xerbla_ in the process: reference's message.
    grep -q "On entry to DGEMM parameter number  3 had an illegal value" "$WORK/c-bundled.err" \
        && ok "c-bundled: illegal DGEMM argument reported as reference XERBLA words it" \
        || bad "c-bundled: no XERBLA message for the illegal DGEMM argument"
fi

echo "-- LU on threads with small stacks (library alone: the machine's OpenBLAS)"
cc -O2 -Wall -Werror "$ROOT/tests/c/small_stack.c" -L "$LIBDIR" -llapack_ai -Wl,-rpath,"$LIBDIR" -lpthread -lm \
    -o "$WORK/small_stack" || bad "tests/c/small_stack.c does not compile"
# Threads of 1 and 2 MiB run the LU on the bundled reference, the main
# thread on OpenBLAS; without that, OpenBLAS's LU overflows their stacks.
if LAPACK_AI_LOG=$WORK/ss.log "$WORK/small_stack" > "$WORK/ss.out" 2> "$WORK/ss.err" \
    && grep -q "^7 passed, 0 failed" "$WORK/ss.out" \
    && [ "$(grep -c -- "-> cpu\[bundled: this thread's [0-9]* KiB stack is too small for /[^]]*openblas" "$WORK/ss.log")" = 12 ] \
    && [ "$(grep -c -- "-> cpu\[/[^]]*openblas[^]]*\]" "$WORK/ss.log")" = 2 ]; then
    ok "small stacks: $(cat "$WORK/ss.out"); 12 LU calls logged on the reference (small stacks), 2 on OpenBLAS (main thread)"
else
    bad "small stacks: status $?, $(cat "$WORK/ss.out")"; tail -n 5 "$WORK/ss.err"
fi

echo "-- Fortran consumer"
F90=$ROOT/fortran-tests/consumer_residuals.F90
gfortran -O2 "$F90" -L "$LIBDIR" -llapack_ai -Wl,-rpath,"$LIBDIR" -o "$WORK/f_alone" \
    || bad "Fortran consumer does not compile against the library"
expect fortran-alone "$WORK/fa.log" "/[^]]*openblas[^]]*" -- "$WORK/f_alone"
gfortran -O2 -DWITHOUT_DGESVDOCL "$F90" -L "/usr/lib/$MULTIARCH/lapack" -L "/usr/lib/$MULTIARCH/blas" -llapack -lblas \
    -o "$WORK/f_system" || bad "Fortran consumer does not compile against the system LAPACK"
# The same program as a user's, unmodified, built against the system
# LAPACK (without DGESVDOCL, which only lapack-ai has).
expect fortran-preloaded "$WORK/fp.log" "/usr/lib/$MULTIARCH/(blas|lapack)/lib[a-z]+\.so\.3[0-9.]*" -- \
    env LD_PRELOAD="$LIB" "$WORK/f_system"
# The README's preload line, exactly as a user types it (LIB: the library).
(
    cd "$WORK" && cp f_system your_program && LIB=$LIB && {
# [readme:preload]
LD_PRELOAD=$LIB LAPACK_AI_LOG=stderr ./your_program
# [readme:preload-end]
    } > readme.out 2> readme.err
) && grep -q " 0 failed" "$WORK/readme.out" && grep -q "^lapack-ai: dgesvd_ " "$WORK/readme.err" \
    && ok "README preload line: runs, and logs to stderr" || bad "README preload line failed"

echo "-- SVD accuracy (DGESVDOCL on DLATMS matrices of known singular values)"
# lapack-ai first on the link line (DGESVDOCL, and the DGEMM of the checks,
# resolve to it), then tmglib (DLATMS) and the reference LAPACK/BLAS. Without
# a device (the default here), DGESVDOCL runs the process's DGESVD: the
# reference one.
gfortran -O2 "$ROOT/fortran-tests/svd_accuracy.f90" -L "$LIBDIR" -llapack_ai -Wl,-rpath,"$LIBDIR" \
    -ltmglib -L "/usr/lib/$MULTIARCH/lapack" -L "/usr/lib/$MULTIARCH/blas" -llapack -lblas \
    -o "$WORK/f_svd" || bad "SVD accuracy program does not compile"
expect svd-accuracy "$WORK/svd.log" "/usr/lib/$MULTIARCH/(blas|lapack)/lib[a-z]+\.so\.3[0-9.]*" -- "$WORK/f_svd"
# The GPU SVD on PoCL: with the default blocks (150 x 150 runs the
# two-stage reduction with band 16; the smaller shapes the host DGEBRD),
# and with tiny blocks so that every step (band reduction panels, the
# chase, both back-transformations) runs at these sizes; 8,0,5 adds shapes
# whose n is at most the band (the chase alone).
for blocks in default 3,0,5 8,5,2 8,0,5; do
    log=$WORK/svd-gpu.log
    rm -f "$log"
    sizes=""
    if [ "$blocks" = 8,0,5 ]; then sizes="3x3 9x3 3x9 17x8 2x2"; fi
    if [ "$blocks" = default ]; then unset LAPACK_AI_TEST_SVD_BLOCKS; else export LAPACK_AI_TEST_SVD_BLOCKS=$blocks; fi
    # shellcheck disable=SC2086 # sizes are words
    if LAPACK_AI_MODE=gpu LAPACK_AI_DEVICE=pocl LAPACK_AI_LOG=$log "$WORK/f_svd" $sizes > "$WORK/svd-gpu.out" 2>&1 \
        && grep -qE '^ *[0-9]+ passed, 0 failed' "$WORK/svd-gpu.out"; then
        calls=$(grep -c '^lapack-ai: dgesvdocl_ ' "$log" || true)
        on=$(grep '^lapack-ai: dgesvdocl_ ' "$log" | grep -c -- '-> gpu\[' || true)
        if [ "$calls" -gt 0 ] && [ "$calls" -eq "$on" ]; then
            ok "svd-accuracy on the GPU path (PoCL, blocks $blocks): $(tail -1 "$WORK/svd-gpu.out"); $calls DGESVDOCL calls, all on the GPU"
        else
            bad "svd-accuracy on the GPU path (blocks $blocks): $calls DGESVDOCL calls, $on on the GPU"
        fi
    else
        bad "svd-accuracy on the GPU path (PoCL, blocks $blocks)"; tail -n 20 "$WORK/svd-gpu.out"
    fi
done
# The GPU products of the bidiagonal divide and conquer failing every time
# (LAPACK_AI_FAULT_INJECT=dgemm): their CPU fallback, still a right answer.
if LAPACK_AI_FAULT_INJECT=dgemm LAPACK_AI_TEST_SVD_BLOCKS=8,0,5 LAPACK_AI_MODE=gpu LAPACK_AI_DEVICE=pocl \
    "$WORK/f_svd" 80x80 > "$WORK/svd-inject.out" 2>&1 && grep -qE '^ *[0-9]+ passed, 0 failed' "$WORK/svd-inject.out"; then
    ok "svd-accuracy with every GPU product of DBDSDC failing: $(tail -1 "$WORK/svd-inject.out")"
else
    bad "svd-accuracy with every GPU product of DBDSDC failing"; tail -n 5 "$WORK/svd-inject.out"
fi
unset LAPACK_AI_TEST_SVD_BLOCKS

echo "-- configuration errors"
LAPACK_AI_MODE=fast LAPACK_AI_DEVICE=-2 LAPACK_AI_CPU_LIB=/nonexistent/libx.so \
    "$WORK/c_consumer" > "$WORK/cfg.out" 2> "$WORK/cfg.err"
rc=$?
for v in LAPACK_AI_MODE LAPACK_AI_DEVICE LAPACK_AI_CPU_LIB; do
    n=$(grep -c "lapack-ai: warning: $v" "$WORK/cfg.err" || true)
    [ "$n" -eq 1 ] && ok "bad $v reported once" || { bad "bad $v reported $n times"; cat "$WORK/cfg.err"; }
done
[ $rc -eq 0 ] && grep -q " 0 failed" "$WORK/cfg.out" && ok "bad configuration: defaults used, results right" \
    || bad "bad configuration broke the program (status $rc)"

# Debian's NumPy, unmodified, as a real client of the Cholesky and QR
# routines: numpy.linalg.cholesky (dpotrf_), solve on an SPD matrix (dgesv_),
# qr (dgeqrf_, then dorgqr_ on the CPU) plainly and preloaded with every GPU
# path forced onto PoCL: the same answers to rounding, NumPy's error for a
# matrix that is not positive definite, and the log shows dpotrf_ and
# dgeqrf_ on the GPU.
if /usr/bin/python3 -c 'import numpy' 2> /dev/null; then
    /usr/bin/python3 "$ROOT/tests/numpy_client.py" "$WORK/np-plain.npz" > /dev/null 2>&1
    LD_PRELOAD=$LIB LAPACK_AI_MODE=gpu LAPACK_AI_DEVICE=pocl LAPACK_AI_LOG=$WORK/np.log \
        /usr/bin/python3 "$ROOT/tests/numpy_client.py" "$WORK/np-gpu.npz" > /dev/null 2> "$WORK/np.err"
    cmp=$(/usr/bin/python3 - "$WORK/np-plain.npz" "$WORK/np-gpu.npz" <<'PY'
import sys
import numpy as np
a, b = np.load(sys.argv[1]), np.load(sys.argv[2])
worst, name = 0.0, ""
for k in a.files:
    x, y = a[k], b[k]
    if x.shape != y.shape:
        print(f"{k}: shape {x.shape} vs {y.shape}"); sys.exit(1)
    d = np.abs(x - y).max() / max(np.abs(x).max(), 1e-300) if x.size else 0.0
    if not d <= worst:
        worst, name = d, k
print(f"{worst:.1e} {name}")
sys.exit(0 if worst < 1e-10 else 1)
PY
)
    r=$?
    gpu_calls=""
    for rt in dpotrf_ dgeqrf_; do
        gpu_calls="$gpu_calls $rt:$(grep "^lapack-ai: $rt " "$WORK/np.log" 2>/dev/null | grep -c -- '-> gpu\[')"
    done
    if [ $r -eq 0 ] && ! grep -q -- ':0' <<< "$gpu_calls"; then
        ok "Debian's NumPy preloaded, GPU paths on PoCL: cholesky, solve, qr as without the library (largest relative difference $cmp); on the GPU:$gpu_calls"
    else
        bad "Debian's NumPy preloaded: difference ${cmp:-none computed}, on the GPU:$gpu_calls"; tail -n 5 "$WORK/np.err"
    fi
fi

echo "consumers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
