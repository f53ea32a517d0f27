#!/usr/bin/env bash
# Issue 17 ("preloading never makes a program slower") on the GPU machine,
# in one call of the device tool: unmodified programs (bench/suite.c, one
# LAPACK driver per process, called as NumPy/SciPy call it) timed
#   none    no preload
#   nvblas  NVIDIA's NVBLAS preloaded (LD_PRELOAD=libnvblas.so)
#   cpu     our library preloaded, LAPACK_AI_MODE=cpu
#   gpu     our library preloaded, LAPACK_AI_MODE=gpu
#   auto    our library preloaded, LAPACK_AI_MODE=auto
#   old     the previous build preloaded, auto (only if DIR/old exists)
# over two CPU LAPACKs (the "variants"):
#   openblas  liblapack.so.3 and libblas.so.3 both the machine's OpenBLAS
#   ref       Debian's reference LAPACK (carried) over OpenBLAS's BLAS, as
#             Debian's default liblapack3 with libopenblas0 is
#
# Prepared on the project machine (nothing is built on the device):
#   D=.device17; rm -rf $D; mkdir -p $D/new $D/reflapack
#   cc -O2 bench/suite.c -o $D/suite -llapack -lblas -lm
#   cp target/release/liblapack_ai.so $D/new/
#   cp <previous build>/liblapack_ai.so $D/old/      # optional, after mkdir $D/old
#   cp -L /usr/lib/x86_64-linux-gnu/lapack/liblapack.so.3 $D/reflapack/
#   cp -L /usr/lib/x86_64-linux-gnu/libgfortran.so.5 \
#         /usr/lib/x86_64-linux-gnu/libquadmath.so.0 $D/reflapack/
# (If DIR is ignored by git, name it in the run's `carry`; untracked and not
# ignored, it travels with the working tree.)
#
# Run there:
#   bash bench/issue17_device.sh .device17 2>&1 | tee $OUT/issue17.txt
#
# Environment:
#   WORKLOADS  "routine:n,n,... routine:n,..." (default below)
#   VARIANTS   "openblas ref" (default)
#   REPS       repetitions per workload (default 2); the table gives the
#              best of them per config. Within a repetition every config
#              runs once (order reversed on even repetitions), so machine
#              drift hits all configs alike.
#   LONG_S     no further repetitions of a workload whose first took more
#              than this many seconds, all configs together (default 20),
#              nor one that would end past STOP_AT
#   STOP_AT    no new workload is started after this many seconds, nor one
#              whose estimated first repetition would end after it
#              (default 480); the table is printed all the same
#   HARD_AT    no process may run past this many seconds (its timeout is
#              cut to fit; default 550)
#   RUN_TIMEOUT  per-process timeout, seconds (default 120)
#   AI_LOG     1 (default): LAPACK_AI_LOG=<logs>/VARIANT-ROUTINE-N-CONFIG.log
#              for our library's configs (a line per routed call, appended
#              over the repetitions); 0: no log (to see what logging costs)
#   NVBLAS     libnvblas.so to preload (default: found in the CUDA toolkit,
#              else in python's nvidia/cublas/lib)
#
# Order: the first size of every routine (each variant), then the second
# sizes, then the third, so that a run cut short by the time budget still
# covers every routine. A config that timed out at one size is not run at
# the larger sizes of that routine and variant (status "skip").
#
# Output (in $OUT if set, else in DIR):
#   issue17_raw.txt    one line per process, written as it goes:
#                      variant routine n config rep seconds status
#                      (seconds: the driver call as the suite timed it, "-"
#                      if none; status ok, info=K, timeout, rc=K, noline,
#                      skip)
#   issue17_wall.txt   the same with the whole process's wall time
#                      (start-up, library initialization, calibration)
#   issue17_table.txt  bench/suite_table.py of the raw file
#   issue17_logs.tgz   LAPACK_AI_LOG of every run of our library, the
#                      calibration runs and NVBLAS's log
set -u
D=$(realpath "${1:?usage: bash bench/issue17_device.sh DIR}")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RES=${OUT:-$D}
mkdir -p "$RES"
RAW=$RES/issue17_raw.txt
WALL=$RES/issue17_wall.txt
TABLE=$RES/issue17_table.txt
: >"$RAW"
: >"$WALL"

WORKLOADS=${WORKLOADS:-"dgemm:256,1024,4096 dgeqrf:256,1024,4096 dpotrf:256,1024,4096 dgetrf:256,1024,4096 dsyevd:256,1024,4096 dgels:256,1024,4096 dsytrf:256,1024,4096 dsyev:256,1024,2048 dgeqp3:256,1024,2048 dgesdd:256,1024,2048 dgesvd:256,1024,2048 dgelsd:256,1024,2048 dgeev:256,1024,2048"}
VARIANTS=${VARIANTS:-"openblas ref"}
REPS=${REPS:-2}
LONG_S=${LONG_S:-20}
STOP_AT=${STOP_AT:-480}
HARD_AT=${HARD_AT:-550}
RUN_TIMEOUT=${RUN_TIMEOUT:-120}
AI_LOG=${AI_LOG:-1}
SECONDS=0

SUITE=$D/suite
NEW=$D/new/liblapack_ai.so
OLD=$D/old/liblapack_ai.so
[ -x "$SUITE" ] || { echo "no executable $SUITE (see the header of $0)"; exit 2; }
[ -f "$NEW" ] || { echo "no $NEW (see the header of $0)"; exit 2; }
HAVE_OLD=0
[ -f "$OLD" ] && HAVE_OLD=1

TMPD=$(mktemp -d /tmp/issue17.XXXXXX)
LOGS=$TMPD/logs
mkdir -p "$LOGS"

now_ns() { date +%s%N; }

echo "== issue 17: real workloads, preloaded and not ($(date -u '+%Y-%m-%d %H:%M:%S UTC'))"
echo "   machine: $(nproc) cores, $(uname -r)"
if command -v nvidia-smi >/dev/null 2>&1; then
    nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader 2>/dev/null | sed 's/^/   gpu: /'
else
    echo "   gpu: no nvidia-smi"
fi
echo "   suite: $SUITE"
echo "   new:   $NEW ($(stat -c %s "$NEW") bytes)"
if [ $HAVE_OLD = 1 ]; then echo "   old:   $OLD ($(stat -c %s "$OLD") bytes)"; else echo "   old:   none (no $OLD)"; fi

# ---- the CPU libraries ------------------------------------------------------
OPENBLAS=$(ls /lib/x86_64-linux-gnu/libopenblas.so.0 /usr/lib/x86_64-linux-gnu/libopenblas.so.0 2>/dev/null | head -1)
if [ -z "$OPENBLAS" ]; then
    echo "no OpenBLAS at /lib/x86_64-linux-gnu/libopenblas.so.0 or /usr/lib/x86_64-linux-gnu/libopenblas.so.0"
    exit 2
fi
OPENBLAS=$(realpath "$OPENBLAS")
echo "   openblas: $OPENBLAS"

mkdir -p "$TMPD/openblas" "$TMPD/ref"
ln -s "$OPENBLAS" "$TMPD/openblas/liblapack.so.3"
ln -s "$OPENBLAS" "$TMPD/openblas/libblas.so.3"
HAVE_REF=0
if [ -f "$D/reflapack/liblapack.so.3" ]; then
    HAVE_REF=1
    ln -s "$D/reflapack/liblapack.so.3" "$TMPD/ref/liblapack.so.3"
    ln -s "$OPENBLAS" "$TMPD/ref/libblas.so.3"
    # The machine's own gfortran runtime if it has one (its OpenBLAS needs
    # it, and a newer one serves the older LAPACK); else the carried one.
    for lib in libgfortran.so.5 libquadmath.so.0; do
        if ! ldconfig -p 2>/dev/null | grep -q "^[[:space:]]*$lib "; then
            if [ -f "$D/reflapack/$lib" ]; then
                ln -s "$D/reflapack/$lib" "$TMPD/ref/$lib"
                echo "   ref: the machine has no $lib: using the carried one"
            fi
        fi
    done
fi

# A variant's library directory, first on the search path; the path the
# script was given follows it (the GPU driver's libraries may be found there).
BASE_LDP=${LD_LIBRARY_PATH:-}
vdir() { echo "$TMPD/$1${BASE_LDP:+:$BASE_LDP}"; }

# Keep only the variants that exist and run a small call.
KEPT=""
for v in $VARIANTS; do
    case $v in
    openblas) ;;
    ref) if [ $HAVE_REF = 0 ]; then echo "   variant ref: skipped (no $D/reflapack/liblapack.so.3)"; continue; fi ;;
    *) echo "   variant $v: unknown (openblas or ref), skipped"; continue ;;
    esac
    if out=$(env -u LD_PRELOAD LD_LIBRARY_PATH="$(vdir $v)" timeout 60 "$SUITE" dsyevd 64 2>&1); then
        echo "   variant $v: $(LD_LIBRARY_PATH=$(vdir $v) ldd "$SUITE" 2>/dev/null | grep -E 'liblapack|libblas|libgfortran' | awk '{printf "%s => %s; ", $1, $3}')"
        KEPT="$KEPT $v"
    else
        echo "   variant $v: does not run, skipped: $(echo "$out" | tail -2 | tr '\n' ' ')"
    fi
done
VARIANTS=$KEPT
[ -n "$VARIANTS" ] || { echo "no variant runs"; exit 2; }

# ---- NVBLAS -----------------------------------------------------------------
NVBLAS=${NVBLAS:-}
[ -n "$NVBLAS" ] || for f in /usr/local/cuda/lib64/libnvblas.so /usr/local/cuda/lib64/libnvblas.so.* \
    /usr/local/cuda*/lib64/libnvblas.so* /usr/local/cuda*/targets/*/lib/libnvblas.so*; do
    [ -f "$f" ] && { NVBLAS=$f; break; }
done
if [ -z "$NVBLAS" ]; then
    SP=$(python3 -c 'import site; print(" ".join(site.getsitepackages() + [site.getusersitepackages()]))' 2>/dev/null)
    for sp in $SP /opt/*/.venv/lib/python3*/site-packages /usr/local/lib/python3*/dist-packages \
        /usr/lib/python3/dist-packages; do
        f=$(ls "$sp"/nvidia/cublas/lib/libnvblas.so* "$sp"/nvidia/cu*/lib/libnvblas.so* 2>/dev/null | head -1)
        [ -n "$f" ] && { NVBLAS=$f; break; }
    done
fi
HAVE_NVBLAS=0
NVDIR=""
if [ -n "$NVBLAS" ]; then
    NVDIR=$(dirname "$NVBLAS")
    cat >"$TMPD/nvblas.conf" <<EOF
NVBLAS_LOGFILE $TMPD/nvblas.log
NVBLAS_CPU_BLAS_LIB $OPENBLAS
NVBLAS_GPU_LIST ALL
EOF
    export NVBLAS_CONFIG_FILE=$TMPD/nvblas.conf
    # A library the loader cannot preload is ignored with a message and the
    # program runs on: that is a failed probe too.
    if out=$(env -u LD_PRELOAD LD_LIBRARY_PATH="$(vdir openblas):$NVDIR" LD_PRELOAD="$NVBLAS" \
        timeout 60 "$SUITE" dgemm 1024 2>&1) && ! grep -q 'cannot be preloaded' <<<"$out"; then
        HAVE_NVBLAS=1
        echo "   nvblas: $NVBLAS (probe: $(echo "$out" | tail -1); its log: $(head -c 300 "$TMPD/nvblas.log" 2>/dev/null | tr '\n' ' '))"
    else
        echo "   nvblas: $NVBLAS does not run, config skipped: $(echo "$out" | tail -3 | tr '\n' ' ')"
    fi
else
    echo "   nvblas: unavailable (no libnvblas.so in the CUDA toolkit or python's nvidia/cublas), config skipped"
fi

CONFIGS="none"
[ $HAVE_NVBLAS = 1 ] && CONFIGS="$CONFIGS nvblas"
CONFIGS="$CONFIGS cpu gpu auto"
[ $HAVE_OLD = 1 ] && CONFIGS="$CONFIGS old"
echo "   configs: $CONFIGS; variants:$VARIANTS; reps $REPS; budget: no new workload after ${STOP_AT}s, none past ${HARD_AT}s"

# ---- calibration: the first process on this machine -------------------------
export LAPACK_AI_CACHE_DIR=$TMPD/cache
mkdir -m 700 "$LAPACK_AI_CACHE_DIR"
CACHE_OLD=$TMPD/cache-old
mkdir -m 700 "$CACHE_OLD"

# One process: prints "LINE|WALL_SECONDS|RC"; the arguments are env settings,
# then the command (timeout ... suite ROUTINE N).
timed_process() {
    local t0 t1 line rc
    t0=$(now_ns)
    line=$(env -u LD_PRELOAD -u LAPACK_AI_MODE -u LAPACK_AI_LOG "$@" 2>>"$TMPD/stderr" </dev/null)
    rc=$?
    t1=$(now_ns)
    echo "$(echo "$line" | tail -1)|$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.6f", (b - a) / 1e9 }')|$rc"
}

calib() {
    local label=$1 lib=$2 cache=$3 log=$4 r
    r=$(timed_process LD_LIBRARY_PATH="$(vdir openblas)" LD_PRELOAD="$lib" LAPACK_AI_MODE=auto \
        LAPACK_AI_CACHE_DIR="$cache" LAPACK_AI_LOG="$LOGS/$log" timeout 120 "$SUITE" dgemm 2048)
    IFS='|' read -r line wall rc <<<"$r"
    printf '   %-58s %s (rc %s), process %.3f s\n' "$label:" "${line:-no line}" "$rc" "$wall"
    [ "$rc" = 0 ] || tail -3 "$TMPD/stderr" | sed 's/^/      stderr: /'
}
echo "== calibration (LAPACK_AI_MODE=auto, suite dgemm 2048, OpenBLAS, cache $LAPACK_AI_CACHE_DIR)"
calib "first process on this machine (calibration)" "$NEW" "$LAPACK_AI_CACHE_DIR" calibration-new-1.log
calib "second process (rates and kernels cached)" "$NEW" "$LAPACK_AI_CACHE_DIR" calibration-new-2.log
if [ $HAVE_OLD = 1 ]; then
    calib "old build, first process (own cache)" "$OLD" "$CACHE_OLD" calibration-old-1.log
    calib "old build, second process" "$OLD" "$CACHE_OLD" calibration-old-2.log
fi
grep -h -m1 'dgemm_' "$LOGS/calibration-new-2.log" 2>/dev/null | cut -c1-240 | sed 's/^/   new, second process: /'

# ---- the suite --------------------------------------------------------------
# run_one VARIANT ROUTINE N CONFIG REP -> appends to RAW and WALL; prints
# "SECONDS|WALL|STATUS".
run_one() {
    local v=$1 r=$2 n=$3 c=$4 rep=$5
    local left=$((HARD_AT - SECONDS)) tmo=$RUN_TIMEOUT
    [ "$left" -lt "$tmo" ] && tmo=$left
    if [ "$tmo" -lt 5 ]; then
        echo "-|-|budget"
        return
    fi
    local vd
    vd=$(vdir "$v")
    local -a envs
    case $c in
    none) envs=(LD_LIBRARY_PATH="$vd") ;;
    nvblas) envs=(LD_LIBRARY_PATH="$vd:$NVDIR" LD_PRELOAD="$NVBLAS" NVBLAS_CONFIG_FILE="$NVBLAS_CONFIG_FILE") ;;
    cpu | gpu | auto) envs=(LD_LIBRARY_PATH="$vd" LD_PRELOAD="$NEW" LAPACK_AI_MODE=$c) ;;
    old) envs=(LD_LIBRARY_PATH="$vd" LD_PRELOAD="$OLD" LAPACK_AI_MODE=auto LAPACK_AI_CACHE_DIR="$CACHE_OLD") ;;
    esac
    if [ "$AI_LOG" = 1 ] && [ "$c" != none ] && [ "$c" != nvblas ]; then
        envs+=(LAPACK_AI_LOG="$LOGS/$v-$r-$n-$c.log")
    fi
    : >"$TMPD/stderr"
    local res line wall rc secs status info
    res=$(timed_process "${envs[@]}" timeout -k 5 "$tmo" "$SUITE" "$r" "$n")
    IFS='|' read -r line wall rc <<<"$res"
    secs=-
    if [[ $line =~ ^$r\ $n\ ([0-9]+\.[0-9]+)\ (-?[0-9]+)$ ]]; then
        secs=${BASH_REMATCH[1]}
        info=${BASH_REMATCH[2]}
    else
        info=""
    fi
    case $rc in
    0) status=ok ;;
    1) status="info=${info:-?}" ;;
    124 | 137) status=timeout ;;
    *) status="rc=$rc" ;;
    esac
    [ "$rc" = 0 ] && [ "$secs" = - ] && status=noline
    echo "$v $r $n $c $rep $secs $status" >>"$RAW"
    echo "$v $r $n $c $rep $wall $status" >>"$WALL"
    if [ "$status" != ok ]; then
        echo "   !! $v $r $n $c rep $rep: $status; stderr: $(head -c 600 "$TMPD/stderr" | head -3 | tr '\n' ' ')" >&2
    fi
    echo "$secs|$wall|$status"
}

# The workloads in size order: rank 1 of every routine, then rank 2, ...
declare -a ORDER=()
maxrank=0
for w in $WORKLOADS; do
    IFS=, read -ra sizes <<<"${w#*:}"
    [ "${#sizes[@]}" -gt "$maxrank" ] && maxrank=${#sizes[@]}
done
for ((rank = 0; rank < maxrank; rank++)); do
    for w in $WORKLOADS; do
        r=${w%%:*}
        IFS=, read -ra sizes <<<"${w#*:}"
        n=${sizes[$rank]:-}
        [ -n "$n" ] || continue
        for v in $VARIANTS; do ORDER+=("$v $r $n"); done
    done
done

declare -A TIMEDOUT=()   # "v r c" -> n at which it timed out
declare -A PREV=()       # "v r" -> "n0 wall base k" of the last size's first repetition
STOPPED=""
echo "== ${#ORDER[@]} workloads (${WORKLOADS})"
for wl in "${ORDER[@]}"; do
    read -r v r n <<<"$wl"
    if [ "$SECONDS" -ge "$STOP_AT" ]; then
        STOPPED="$STOPPED|$v $r $n"
        continue
    fi
    # Estimated first repetition from the last size of this routine: each of
    # the k configs that will run took its wall time there (start-up and
    # library initialization included), plus the extra work of the larger
    # size at the CPU baseline's pace (base: none's seconds there, n^3).
    if [ -n "${PREV[$v $r]:-}" ]; then
        read -r n0 w0 b0 k0 <<<"${PREV[$v $r]}"
        est=$(awk -v n=$n -v n0=$n0 -v w=$w0 -v b=$b0 -v k=$k0 \
            'BEGIN { x = (n / n0) ^ 3 - 1; if (x < 0) x = 0; printf "%d", w + k * b * x + 0.5 }')
        if [ $((SECONDS + est)) -gt "$STOP_AT" ]; then
            echo "   [$(printf '%4d' $SECONDS)s] $v $r $n: skipped, one repetition estimated at ${est}s (from n=$n0), past the ${STOP_AT}s budget"
            STOPPED="$STOPPED|$v $r $n (estimated ${est}s)"
            continue
        fi
    fi
    declare -A BEST=()
    spent=0   # first repetition: wall seconds of all its processes
    kept=0    # ... of those that did not time out
    k=0       # ... how many of those
    base=""   # none's seconds (else the fastest config's)
    base_none=0
    for ((rep = 1; rep <= REPS; rep++)); do
        if [ "$rep" -gt 1 ]; then
            awk -v s=$spent -v l=$LONG_S 'BEGIN { exit !(s > l) }' && break
            # another repetition must fit the budget too
            awk -v t=$SECONDS -v s=$spent -v l=$STOP_AT 'BEGIN { exit !(t + s > l) }' && break
        fi
        cfgs=$CONFIGS
        [ $((rep % 2)) = 0 ] && cfgs=$(echo "$CONFIGS" | tr ' ' '\n' | tac | tr '\n' ' ')
        for c in $cfgs; do
            if [ -n "${TIMEDOUT[$v $r $c]:-}" ]; then
                # It timed out at a smaller size of this routine.
                echo "$v $r $n $c $rep - skip" >>"$RAW"
                echo "$v $r $n $c $rep - skip" >>"$WALL"
                BEST[$c]="skip"
                continue
            fi
            IFS='|' read -r secs wall status <<<"$(run_one "$v" "$r" "$n" "$c" "$rep")"
            if [ "$status" = budget ]; then
                BEST[$c]=${BEST[$c]:-budget}
                continue
            fi
            [ "$status" = timeout ] && TIMEDOUT[$v $r $c]=$n
            if [ "$rep" = 1 ]; then
                spent=$(awk -v a=$spent -v w=$wall 'BEGIN { printf "%.6f", a + w }')
                if [ "$status" != timeout ]; then
                    kept=$(awk -v a=$kept -v w=$wall 'BEGIN { printf "%.6f", a + w }')
                    k=$((k + 1))
                fi
                if [ "$status" = ok ]; then
                    if [ "$c" = none ]; then
                        base=$secs
                        base_none=1
                    elif [ "$base_none" = 0 ] && { [ -z "$base" ] || awk -v a=$secs -v b=$base 'BEGIN { exit !(a < b) }'; }; then
                        base=$secs
                    fi
                fi
            fi
            if [ "$status" = ok ]; then
                b=${BEST[$c]:-}
                if [ -z "$b" ] || ! [[ $b =~ ^[0-9] ]] || awk -v a="$secs" -v b="$b" 'BEGIN { exit !(a < b) }'; then
                    BEST[$c]=$secs
                fi
            elif [ -z "${BEST[$c]:-}" ] || ! [[ ${BEST[$c]} =~ ^[0-9] ]]; then
                BEST[$c]=$status
            fi
        done
    done
    [ -n "$base" ] && PREV[$v $r]="$n $kept $base $k"
    line=""
    for c in $CONFIGS; do line="$line $c ${BEST[$c]:--}"; done
    echo "   [$(printf '%4d' $SECONDS)s] $v $r $n:$line"
    unset BEST
done

# ---- the table --------------------------------------------------------------
echo "== table (best of up to $REPS repetitions, seconds of the driver call as the program timed it)"
if command -v python3 >/dev/null 2>&1; then
    python3 "$ROOT/bench/suite_table.py" "$RAW" --logs "$LOGS" | tee "$TABLE"
    echo "== whole-process wall time (start-up, library initialization included), same layout"
    python3 "$ROOT/bench/suite_table.py" "$WALL" | tee -a "$TABLE"
else
    echo "(no python3: raw lines in $RAW)"
    cat "$RAW"
fi
if [ -n "$STOPPED" ]; then
    echo "== not run (time budget):"
    echo "$STOPPED" | tr '|' '\n' | grep . | sed 's/^/   /'
fi
if [ -s "$TMPD/nvblas.log" ]; then
    echo "== nvblas log (last lines)"
    tail -5 "$TMPD/nvblas.log" | sed 's/^/   /'
    cp "$TMPD/nvblas.log" "$LOGS/" 2>/dev/null
fi
tar -C "$TMPD" -czf "$RES/issue17_logs.tgz" logs 2>/dev/null
sz=$(stat -c %s "$RES/issue17_logs.tgz" 2>/dev/null || echo 0)
if [ "$sz" -gt 15000000 ]; then
    # Too large to come back from the device: keep the auto logs only.
    tar -C "$TMPD" -czf "$RES/issue17_logs.tgz" $(cd "$TMPD" && ls logs/*-auto.log logs/calibration-* 2>/dev/null)
    echo "   logs: all logs were $sz bytes compressed; kept the auto and calibration logs only"
fi
echo "== raw: $RAW; table: $TABLE; logs: $RES/issue17_logs.tgz"
echo "== elapsed: ${SECONDS} s"
rm -rf "$TMPD"
