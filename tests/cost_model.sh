#!/usr/bin/env bash
# The cost model (issue 17), with the library preloaded into unmodified
# programs: bench/suite.c (one LAPACK driver per process, over Debian's
# reference LAPACK and over OpenBLAS) and Debian's NumPy
# (bench/numpy_suite.py).
#
#   1. Without a device chosen on a machine without a GPU, the first
#      process looks for OpenCL devices and remembers that there is none;
#      the next ones do not load OpenCL at all (LD_DEBUG=libs), and say why
#      in the log.
#   2. With PoCL chosen (LAPACK_AI_DEVICE=pocl), auto mode: the first
#      process calibrates, the later ones do not; every routed call's log
#      line shows its class, both predictions and the measured time; and
#      after the first three calls of a class, no call took more than twice
#      what the cost model predicted for the other backend (set-up
#      included), over two passes of the suite (the second starts from what
#      the first learned).
#   3. The profile counts the mispredicted calls; the answers are right
#      (each workload checks INFO).
#
# Usage: tests/cost_model.sh path/to/liblapack_ai.so
set -u
LIB=$(realpath "$1")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$WORK"' EXIT
passed=0 failed=0
ok()  { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }
unset LAPACK_AI_MODE LAPACK_AI_RATES LAPACK_AI_RECALIBRATE LAPACK_AI_LOG LAPACK_AI_DEVICE LAPACK_AI_PROFILE \
      LAPACK_AI_FAULT_INJECT LAPACK_AI_TEST_STAGING LAPACK_AI_CPU_LIB LAPACK_AI_LEARN

cat > "$WORK/check.py" <<'EOF'
import re, sys
line_re = re.compile(r"-> (cpu|gpu)\[.*\(cost model (\S+): cpu ([\d.]+) ms, gpu ([\d.]+) ms(?: \+ ([\d.]+) ms to set the GPU up)?\) ([\d.]+) ms.*, predicted ([\d.]+) ms$")
seen, routed, checked, bad, unparsed, per_class = {}, 0, 0, [], 0, {}
min_checked = int(sys.argv[1])
for path in sys.argv[2:]:
    for line in open(path):
        # The call that starts the GPU pays its set-up by design (charged in
        # its prediction); a fallback's time is the GPU's attempt and the CPU's.
        if "(cost model " not in line or "fell back" in line or ("-> gpu[" in line and "to set the GPU up" in line):
            continue
        m = line_re.search(line.strip())
        if not m:
            unparsed += 1
            continue
        routed += 1
        backend, cls, cpu, gpu, start, measured, predicted = m.groups()
        cpu, gpu, measured = float(cpu), float(gpu), float(measured)
        start = float(start or 0)
        other = gpu + start if backend == "cpu" else cpu
        seen[cls] = seen.get(cls, 0) + 1
        # After three calls of the class, and over 0.2 ms (below, the timer
        # and the scheduler of a busy 2-core machine decide).
        if seen[cls] > 3 and measured >= 0.2:
            checked += 1
            per_class.setdefault(cls, []).append(measured > 2 * other)
            if measured > 2 * other:
                bad.append(line.strip()[:400])
# Calls of a class can be slowed by the machine (another process on the 2
# cores, a page fault), a few in a row; the model fails when a class keeps
# going to the slower backend: most of its calls, four at least.
failing = {c: v for c, v in per_class.items() if sum(v) >= 4 and 2 * sum(v) > len(v)}
out = sys.stdout
print(f"{routed} calls routed by the cost model in {len(seen)} classes; {checked} after their class's third call "
      f"and over 0.2 ms, of which {len(bad)} took more than twice the other backend's prediction; "
      f"classes that kept doing so: {len(failing)}", file=out)
for c, v in failing.items():
    print(f"    {c}: {sum(v)} of {len(v)}", file=out)
for b in bad[:10]:
    print("   ", b, file=out)
if unparsed:
    print(f"{unparsed} cost-model lines not understood", file=out)
sys.exit(0 if checked >= min_checked and not failing and not unparsed else 1)
EOF

cc -O2 "$ROOT/bench/suite.c" -o "$WORK/suite" -llapack -lblas -lm || { echo "cannot build bench/suite.c"; exit 1; }
ARCH=/usr/lib/x86_64-linux-gnu
OPENBLAS=$(ls $ARCH/libopenblas.so.0 $ARCH/openblas-pthread/libopenblas.so.0 2>/dev/null | head -1)
mkdir -p "$WORK/ref" "$WORK/openblas"
ln -s "$ARCH/lapack/liblapack.so.3" "$WORK/ref/liblapack.so.3"
ln -s "$OPENBLAS" "$WORK/ref/libblas.so.3"
ln -s "$OPENBLAS" "$WORK/openblas/liblapack.so.3"
ln -s "$OPENBLAS" "$WORK/openblas/libblas.so.3"

echo "-- no device chosen, no GPU: looked for once, then remembered"
export LAPACK_AI_CACHE_DIR=$WORK/cache-none
for i in 1 2; do
    LD_LIBRARY_PATH=$WORK/ref LD_PRELOAD=$LIB LAPACK_AI_LOG=$WORK/none$i.log LD_DEBUG=libs \
        "$WORK/suite" dgetrf 300 > "$WORK/none$i.out" 2> "$WORK/none$i.err"
    echo $? > "$WORK/none$i.rc"
done
if grep -q "^lapack-ai: set-up: started" "$WORK/none1.log"; then
    echo "  (skipped: this machine has a GPU: $(grep -o 'set-up: started [^(]*' "$WORK/none1.log"))"
elif grep -q "^lapack-ai: set-up: no usable OpenCL device" "$WORK/none1.log" && grep -q "libOpenCL" "$WORK/none1.err"; then
    ok "first process: looked for devices, found none, said so in the log"
else
    bad "first process: $(head -c 300 "$WORK/none1.log")"
fi
if grep -q "^lapack-ai: set-up: started" "$WORK/none1.log"; then
    :
elif [ "$(cat "$WORK/none2.rc")" = 0 ] && ! grep -q "libOpenCL" "$WORK/none2.err" \
    && grep -q "as an earlier process found" "$WORK/none2.log" && ! grep -q "set-up:" "$WORK/none2.log"; then
    ok "second process: OpenCL not loaded, the log says why ($(grep -c '^lapack-ai: [a-z_]* ' "$WORK/none2.log") calls)"
else
    bad "second process loaded OpenCL or did not say why: $(grep -c libOpenCL "$WORK/none2.err") libOpenCL lines; $(head -c 300 "$WORK/none2.log")"
fi
LD_LIBRARY_PATH=$WORK/ref LD_PRELOAD=$LIB LAPACK_AI_MODE=gpu LAPACK_AI_LOG=$WORK/none3.log \
    "$WORK/suite" dgetrf 300 > /dev/null 2>&1
grep -q "^lapack-ai: set-up: started" "$WORK/none1.log" || { grep -q -- "-> cpu\[.*(no GPU with fp64 among the OpenCL devices" "$WORK/none3.log" \
    && ok "LAPACK_AI_MODE=gpu looks again (and finds none)" || bad "gpu mode: $(head -c 300 "$WORK/none3.log")"; }

echo "-- PoCL, auto mode: calibrated once, learns, never 2x off the other backend once learned"
export LAPACK_AI_CACHE_DIR=$WORK/cache-pocl LAPACK_AI_DEVICE=pocl
WORKLOADS="dgemm:96,600 dgetrf:300,700 dpotrf:800 dgeqrf:600 dsyevd:500 dgesdd:400 dgesvd:250 dgels:600 dgelsd:400 dsytrf:600 dgeev:300 dgeqp3:500 dsyev:400"
answers=0 runs=0
for pass in 1 2; do
    for variant in ref openblas; do
        for w in $WORKLOADS; do
            routine=${w%%:*}
            for n in ${w#*:}; do
                n=${n//,/ }
                for size in $n; do
                    runs=$((runs + 1))
                    LD_LIBRARY_PATH=$WORK/$variant LD_PRELOAD=$LIB LAPACK_AI_LOG=$WORK/pocl$pass.log \
                        LAPACK_AI_PROFILE=$WORK/profile$pass.txt timeout 300 "$WORK/suite" "$routine" "$size" \
                        >> "$WORK/pocl$pass.out" 2>> "$WORK/pocl$pass.err" && answers=$((answers + 1))
                done
            done
        done
    done
    for size in 200 500; do
        for w in eigh qr lstsq inv det svd matmul; do
            runs=$((runs + 1))
            LD_PRELOAD=$LIB LAPACK_AI_LOG=$WORK/pocl$pass.log LAPACK_AI_PROFILE=$WORK/profile$pass.txt \
                timeout 300 /usr/bin/python3 "$ROOT/bench/numpy_suite.py" "$w" "$size" \
                >> "$WORK/pocl$pass.out" 2>> "$WORK/pocl$pass.err" && answers=$((answers + 1))
        done
    done
done
[ "$answers" -eq "$runs" ] && ok "$runs workloads, every INFO 0" \
    || { bad "$((runs - answers)) of $runs workloads failed"; tail -5 "$WORK/pocl1.err" "$WORK/pocl2.err"; }
# One calibration per CPU library (reference LAPACK's and OpenBLAS's BLAS
# found at different paths, NumPy's through the alternatives link): the
# machine's entry is keyed by it.
calibrations=$(grep -c "cost model calibrated" "$WORK/pocl1.log")
[ "$calibrations" -ge 1 ] && [ "$calibrations" -le 3 ] && ! grep -q "cost model calibrated" "$WORK/pocl2.log" \
    && ok "calibrated once per CPU library ($calibrations), by the first process of each: $(grep -o 'calibrated in [0-9.]* s' "$WORK/pocl1.log" | tr '\n' ' ')" \
    || bad "calibrations: $calibrations in pass 1, $(grep -c "cost model calibrated" "$WORK/pocl2.log") in pass 2"

learned() { # learned MIN LOG...: the check of point 2 on these logs, on at least MIN calls
    python3 "$WORK/check.py" "$@"
}
learned 100 "$WORK/pocl1.log" "$WORK/pocl2.log" > "$WORK/check.txt" && ok "$(cat "$WORK/check.txt")" || { bad "learning check:"; cat "$WORK/check.txt"; }

echo "-- a model wrong from the start (a GPU rate 100x too high) is corrected by learning, and only by it"
unset LAPACK_AI_CACHE_DIR
for learn in 1 0; do
    export LAPACK_AI_CACHE_DIR=$WORK/cache-wrong$learn
    for w in "dgetrf 700" "dgeqrf 600" "dgemm 400" "dgetrf 700" "dgeqrf 600" "dgemm 400"; do
        LD_LIBRARY_PATH=$WORK/ref LD_PRELOAD=$LIB LAPACK_AI_LOG=$WORK/wrong$learn.log LAPACK_AI_LEARN=$learn \
            LAPACK_AI_PROFILE=$WORK/wrongprofile$learn.txt \
            LAPACK_AI_RATES=cpu=20,gpu=2000,h2d=50,launch=0.00001 timeout 300 "$WORK/suite" $w > /dev/null 2>&1
    done
done
learned 20 "$WORK/wrong1.log" > "$WORK/check1.txt" && ok "learning: $(cat "$WORK/check1.txt")" \
    || { bad "learning did not correct the wrong rates:"; cat "$WORK/check1.txt"; }
learned 20 "$WORK/wrong0.log" > "$WORK/check0.txt" && bad "LAPACK_AI_LEARN=0: the check passed, so it cannot fail: $(head -1 "$WORK/check0.txt")" \
    || ok "LAPACK_AI_LEARN=0: the check fails as it must ($(grep -o 'classes that kept doing so: [0-9]*' "$WORK/check0.txt"))"

# The profile's last column: calls measured at more than twice (or less
# than half) their prediction. The wrong model mispredicts, call after call
# without learning, a few times with it.
mispred() { awk '$1 ~ /_$/ && $NF ~ /^[0-9]+$/ {s += $NF} END {print s + 0}' "$1"; }
m0=$(mispred "$WORK/wrongprofile0.txt") m1=$(mispred "$WORK/wrongprofile1.txt")
grep -q "mispred" "$WORK/profile2.txt" && [ "$m0" -gt 0 ] && [ "$m1" -lt "$m0" ] \
    && ok "the profile counts mispredicted calls: wrong rates $m0 without learning, $m1 with; the suite's passes $(mispred "$WORK/profile1.txt") and $(mispred "$WORK/profile2.txt")" \
    || bad "mispredicted calls: $m0 without learning, $m1 with; $(head -3 "$WORK/profile2.txt")"

echo "-- a short program never starts the GPU for nothing"
for w in "dgetrf 64" "dgemm 128" "dpotrf 200"; do
    LD_LIBRARY_PATH=$WORK/ref LD_PRELOAD=$LIB LAPACK_AI_CACHE_DIR=$WORK/cache-pocl LAPACK_AI_LOG=$WORK/short.log \
        LAPACK_AI_PROFILE=$WORK/short-profile.txt "$WORK/suite" $w > /dev/null 2>&1
done
! grep -q "set-up: started" "$WORK/short.log" && [ "$(grep -c "device not used" "$WORK/short-profile.txt")" -eq 3 ] \
    && ok "3 short programs, $(grep -c "to set the GPU up" "$WORK/short.log") calls charged the GPU's start-up, none started it" \
    || bad "a short program started the GPU: $(grep "set-up:" "$WORK/short.log" | head -2)"

echo "cost model: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
