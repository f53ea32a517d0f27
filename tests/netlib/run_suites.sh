#!/usr/bin/env bash
# The netlib BLAS/CBLAS/LAPACK test programs of Debian's libblas-test and
# liblapack-test, unmodified, with liblapack_ai.so preloaded.
#
# Each suite runs first without the library (its own result is the bar),
# then preloaded under each CPU backend configuration:
#   next     the program's own BLAS/LAPACK, found as the next definition
#   openblas LAPACK_AI_CPU_LIB=<libopenblas.so.0>, opened privately
#   bundled  LAPACK_AI_CPU_LIB=bundled, the library's own netlib copy
#   gpu      LAPACK_AI_MODE=gpu LAPACK_AI_DEVICE=pocl: every call that has a
#            GPU path (the Level-3 BLAS and their cblas_ forms in the four
#            precisions, dgesvd_, dgesdd_, dgesv_, dgetrf_, dgetrs_,
#            dpotrf_, dpotrs_, dposv_, dgeqrf_) runs the OpenCL kernels on
#            PoCL: the BLAS suites, the SVD suite (about a minute on 2
#            cores), and xlintstd on the DGE path of dtest.in (the LU
#            routines: 13 s there), on its DPO path (Cholesky) and on its
#            DQR path (the QR factorization: 30 s there). The whole of
#            dtest.in also passes this way (1.15 million dgemm_ calls each
#            paying a PoCL launch: 5 minutes there);
#            LAPACK_AI_FULL_GPU_SUITES=1 runs it too.
#   ilp64    LAPACK_AI_CPU_LIB=$LAPACK_AI_ILP64_LIB: a LAPACK with renamed
#            routines and 64-bit integers (NumPy's wheels' OpenBLAS, whose
#            routines are `scipy_dgesdd_64_`), called through the CPU
#            backend's ILP64 shims; run only when that variable names one
#            (tests/python.sh does, with the wheel it installed).
# CONFIGS=... runs only the configurations named (and the suites that have
# one of them).
# A run passes when it finishes, reports no failure, passes as many test
# groups as the run without the library, and its LAPACK_AI_LOG shows that
# our routines were called (and by which CPU backend).
#
# Usage: tests/netlib/run_suites.sh [path/to/liblapack_ai.so]
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
LIB=$(realpath "${1:-$ROOT/target/release/liblapack_ai.so}")
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
BLASDIR=/usr/lib/$MULTIARCH/blas
LAPACKDIR=/usr/lib/$MULTIARCH/lapack
OPENBLAS=$(ls /usr/lib/$MULTIARCH/openblas-pthread/libopenblas.so.0 /usr/lib/$MULTIARCH/libopenblas.so.0 2>/dev/null | head -1)
WORK=$(mktemp -d /tmp/lapack-ai-netlib.XXXXXX)
trap 'rm -rf "$WORK"' EXIT

[ -f "$LIB" ] || { echo "no library at $LIB: build it first (cargo build --release)"; exit 2; }
for p in "$BLASDIR"/xblat3{s,d,c,z} "$BLASDIR"/x{s,d,c,z}cblat3 "$LAPACKDIR/xeigtstd" "$LAPACKDIR/xlintstd"; do
    [ -x "$p" ] || { echo "missing $p: apt-get install libblas-test liblapack-test"; exit 2; }
done
[ -n "$OPENBLAS" ] || { echo "missing OpenBLAS: apt-get install libopenblas0-pthread"; exit 2; }

# Reference BLAS/LAPACK first: once OpenBLAS is installed, Debian's
# alternatives point libblas.so.3 at it, and xdcblat3 then cannot start
# (it needs reference CBLAS's RowMajorStrg).
export LD_LIBRARY_PATH=$BLASDIR:$LAPACKDIR${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
# OpenBLAS on the 2-core CI machine: keep its thread pool small.
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-2}

passed=0
failed=0
ok()   { passed=$((passed + 1)); echo "  ok   $*"; }
bad()  { failed=$((failed + 1)); echo "  FAIL $*"; }

# suite NAME PROGRAM INPUT SUMMARY PASS_REGEX FAIL_REGEX ROUTINES...
# SUMMARY: the file the program writes its summary to ("-" = stdout).
run_one() {
    local dir=$1 program=$2 input=$3 summary=$4
    mkdir -p "$dir"
    (cd "$dir" && timeout 900 "$program" < "$input" > stdout.txt 2> stderr.txt; echo $? > rc.txt)
    if [ "$summary" = - ]; then cp "$dir/stdout.txt" "$dir/summary.txt"; else cp "$dir/$summary" "$dir/summary.txt" 2>/dev/null || : > "$dir/summary.txt"; fi
}

suite() {
    local configs=$1 name=$2 program=$3 input=$4 summary=$5 pass_re=$6 fail_re=$7
    shift 7
    local routines=("$@")
    if [ -n "${CONFIGS:-}" ]; then
        local c kept=
        for c in $configs; do case " $CONFIGS " in *" $c "*) kept="$kept $c" ;; esac; done
        [ -n "$kept" ] || return 0
        configs=$kept
    fi
    echo "== $name ($(basename "$program") < $(basename "$input"))"
    run_one "$WORK/$name/plain" "$program" "$input" "$summary"
    local want
    want=$(grep -Ec "$pass_re" "$WORK/$name/plain/summary.txt")
    if [ "$want" -eq 0 ]; then
        bad "$name without the library: no passing test group; cannot compare"
        return
    fi
    local cfg
    for cfg in $configs; do
        local dir=$WORK/$name/$cfg cpu_lib= mode=auto device=
        case $cfg in
            openblas) cpu_lib=$OPENBLAS ;;
            bundled) cpu_lib=bundled ;;
            ilp64) cpu_lib=$LAPACK_AI_ILP64_LIB ;;
            gpu) mode=gpu; device=pocl ;;
        esac
        mkdir -p "$dir"
        # Forced to the GPU, DTRSM's recursion goes down to blocks of 2 rows,
        # so that it runs on the suites' small matrices.
        LD_PRELOAD=$LIB LAPACK_AI_LOG=$dir/calls.log LAPACK_AI_CPU_LIB=$cpu_lib LAPACK_AI_MODE=$mode \
            LAPACK_AI_DEVICE=$device LAPACK_AI_TEST_TRSM_BLOCK=${device:+2} run_one "$dir" "$program" "$input" "$summary"
        local got rc fails
        rc=$(cat "$dir/rc.txt")
        got=$(grep -Ec "$pass_re" "$dir/summary.txt")
        fails=$(grep -Eci "$fail_re" "$dir/summary.txt")
        local label="$name [$cfg]"
        if [ "$rc" != 0 ]; then
            bad "$label: exit status $rc"; tail -n 5 "$dir/stderr.txt" "$dir/stdout.txt"; continue
        fi
        if [ "$fails" -ne 0 ] || [ "$got" -ne "$want" ]; then
            bad "$label: $got of $want test groups passed, $fails failure lines"
            grep -Ei "$fail_re" "$dir/summary.txt" | head -10
            continue
        fi
        ok "$label: $got of $want test groups passed"
        local r want_provider
        case $cfg in
            next) want_provider="cpu\[/" ;;
            openblas) want_provider="cpu\[$(realpath "$OPENBLAS")\]" ;;
            bundled) want_provider="cpu\[bundled\]" ;;
            ilp64) want_provider="cpu\[$(realpath "$LAPACK_AI_ILP64_LIB") ([^,]*, 64-bit integers)\]" ;;
            gpu) want_provider="gpu\[[^]]*\] (LAPACK_AI_MODE=gpu)" ;;
        esac
        for r in "${routines[@]}"; do
            local calls on_backend
            calls=$(grep -c "^lapack-ai: $r " "$dir/calls.log" 2>/dev/null || true)
            on_backend=$(grep "^lapack-ai: $r " "$dir/calls.log" 2>/dev/null | grep -c -- "-> $want_provider" || true)
            local no_path=0
            if [ "$cfg" = gpu ]; then
                # Forced to the GPU, a call the GPU has no path for (DTRSM;
                # DSYRK with ALPHA = 0: nothing to multiply) runs on the CPU
                # and says so; every routine but those of CPU_ONLY must
                # still have run on the GPU.
                no_path=$(grep "^lapack-ai: $r " "$dir/calls.log" 2>/dev/null | grep -c -- "-> cpu\[[^]]*\] (no GPU path)" || true)
                if [ "$on_backend" -eq 0 ] && [[ " $CPU_ONLY " != *" $r "* ]]; then
                    bad "$label: no call of $r ran on the GPU"
                fi
            fi
            if [ "${calls:-0}" -gt 0 ] && [ $((on_backend + no_path)) -eq "$calls" ]; then
                ok "$label: log shows $calls calls of $r, all on the expected backend$([ "$no_path" -gt 0 ] && echo " ($no_path without a GPU path, on the CPU)")"
            else
                bad "$label: log shows ${calls:-0} calls of $r, $on_backend on backend /$want_provider/"
                grep "^lapack-ai: $r " "$dir/calls.log" | head -3
            fi
        done
        rm -f "$dir/calls.log"
    done
}

ILP64=
[ -n "${LAPACK_AI_ILP64_LIB:-}" ] && ILP64=ilp64
# The Level-3 BLAS of each precision: every routine interposed.
blas3_routines() {
    case $1 in
        s|d) echo "${1}gemm_ ${1}symm_ ${1}syrk_ ${1}syr2k_ ${1}trmm_ ${1}trsm_" ;;
        c|z) echo "${1}gemm_ ${1}symm_ ${1}hemm_ ${1}syrk_ ${1}herk_ ${1}syr2k_ ${1}her2k_ ${1}trmm_ ${1}trsm_" ;;
    esac
}
# faults P: xblat3P forced to the GPU with its paths failing after the first
# tile of a product (tiny staging: many tiles), then panicking before any:
# every call finishes on the CPU (ZGEMM's in-place path the tiles the device
# left, the others from the caller's untouched arrays), the suite passes as
# many test groups as without the library, and each routine fell back in
# one of the two runs (?TRSM's products on these small matrices have one
# tile each: it falls back in the second).
faults() {
    local p=$1 inj r dir got want fails fell count
    local -A fell_total=()
    want=$(grep -Ec 'PASSED THE (TESTS OF ERROR-EXITS|COMPUTATIONAL TESTS)' "$WORK/blas3_$p/plain/summary.txt" 2>/dev/null)
    for inj in dgemm@1 panic-dgemm; do
        dir=$WORK/blas3_$p-fault-$inj; mkdir -p "$dir"
        LD_PRELOAD=$LIB LAPACK_AI_LOG=$dir/calls.log LAPACK_AI_MODE=gpu LAPACK_AI_DEVICE=pocl LAPACK_AI_TEST_STAGING=64 \
            LAPACK_AI_TEST_TRSM_BLOCK=2 LAPACK_AI_FAULT_INJECT=$inj run_one "$dir" "$BLASDIR/xblat3$p" "$BLASDIR/${p}blat3.in" ${p}blat3.out
        got=$(grep -Ec 'PASSED THE (TESTS OF ERROR-EXITS|COMPUTATIONAL TESTS)' "$dir/summary.txt")
        fails=$(grep -Ec 'FAIL|[*]{5}' "$dir/summary.txt")
        fell=""
        for r in $(blas3_routines "$p"); do
            count=$(grep "^lapack-ai: $r " "$dir/calls.log" | grep -c 'fell back to cpu')
            fell_total[$r]=$(( ${fell_total[$r]:-0} + count ))
            fell="$fell $r:$count"
        done
        if [ "$(cat "$dir/rc.txt")" = 0 ] && [ "${want:-0}" -gt 0 ] && [ "$got" = "$want" ] && [ "$fails" = 0 ]; then
            ok "blas3_$p [gpu, LAPACK_AI_FAULT_INJECT=$inj]: $got of $want test groups passed; calls finished on the CPU:$fell"
        else
            bad "blas3_$p [gpu, LAPACK_AI_FAULT_INJECT=$inj]: status $(cat "$dir/rc.txt"), $got of ${want:-?} passed, $fails failure lines, fell back:$fell"
        fi
        rm -f "$dir/calls.log"
    done
    for r in "${!fell_total[@]}"; do
        [ "${fell_total[$r]}" -gt 0 ] || bad "blas3_$p with faults: no call of $r fell back to the CPU"
    done
}
# Routines without a GPU path yet: forced to the GPU, they run on the CPU.
CPU_ONLY=""
for p in d s c z; do
    # shellcheck disable=SC2046
    suite "next openblas bundled gpu $ILP64" blas3_$p "$BLASDIR/xblat3$p" "$BLASDIR/${p}blat3.in" ${p}blat3.out \
        'PASSED THE (TESTS OF ERROR-EXITS|COMPUTATIONAL TESTS)' 'FAIL|[*]{5}' $(blas3_routines $p)
    if [ -z "${CONFIGS:-}" ] || [[ " $CONFIGS " == *" gpu "* ]]; then
        faults $p
    fi
    # CBLAS: every Level-3 routine of the precision interposed.
    # shellcheck disable=SC2046
    suite "next openblas bundled gpu $ILP64" cblas3_$p "$BLASDIR/x${p}cblat3" "$BLASDIR/${p}in3" - \
        'PASSED THE' 'FAIL|[*]{5}|WAS CALLED' $(blas3_routines $p | sed -E 's/([a-z0-9]+)_/cblas_\1/g')
done
suite "next openblas bundled gpu $ILP64" svd "$LAPACKDIR/xeigtstd" "$LAPACKDIR/svd.in" - \
    'passed' 'fail|exceed|illegal' dgesvd_ dgesdd_ dgemm_
suite "next openblas bundled $ILP64" lin "$LAPACKDIR/xlintstd" "$LAPACKDIR/dtest.in" - \
    'passed' 'fail|exceed|illegal' dgesv_ dgetrf_ dgetrs_ dpotrf_ dpotrs_ dposv_ dgeqrf_ dgemm_
# dtest.in's header (sizes, thresholds) and its DGE line only: the general
# matrices' LU routines (DGETRF, DGETRS, DGESV and their checks).
(head -n 16 "$LAPACKDIR/dtest.in"; grep '^DGE ' "$LAPACKDIR/dtest.in") > "$WORK/dtest_ge.in"
suite "gpu" lin_ge "$LAPACKDIR/xlintstd" "$WORK/dtest_ge.in" - \
    'passed' 'fail|exceed|illegal' dgesv_ dgetrf_ dgetrs_ dgemm_
# Its DPO line: the symmetric positive definite matrices' Cholesky routines
# (DPOTRF, DPOTRS, DPOSV and the reference's DPOTRI, DPOCON, DPORFS and
# DPOSVX around them), every DPOTRF, DPOTRS and DPOSV forced to the GPU path.
(head -n 16 "$LAPACKDIR/dtest.in"; grep '^DPO ' "$LAPACKDIR/dtest.in") > "$WORK/dtest_po.in"
suite "gpu" lin_po "$LAPACKDIR/xlintstd" "$WORK/dtest_po.in" - \
    'passed' 'fail|exceed|illegal' dpotrf_ dpotrs_ dposv_
# Its DQR line: the QR routines (DGEQRF, and the reference's DGEQRFP,
# DORGQR, DORMQR and DGEQRS around it), every DGEQRF forced to the GPU
# path.
(head -n 16 "$LAPACKDIR/dtest.in"; grep '^DQR ' "$LAPACKDIR/dtest.in") > "$WORK/dtest_qr.in"
suite "gpu" lin_qr "$LAPACKDIR/xlintstd" "$WORK/dtest_qr.in" - \
    'passed' 'fail|exceed|illegal' dgeqrf_
if [ "${LAPACK_AI_FULL_GPU_SUITES:-0}" = 1 ]; then
    suite "gpu" lin_gpu_full "$LAPACKDIR/xlintstd" "$LAPACKDIR/dtest.in" - \
        'passed' 'fail|exceed|illegal' dgesv_ dgetrf_ dgetrs_ dgemm_
fi

echo "netlib suites: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
