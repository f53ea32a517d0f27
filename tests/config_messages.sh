#!/usr/bin/env bash
# What the library says about its configuration (issue 18), in a small C
# program linked against the library:
#  - every variable of README.md's Configuration table gets at least one
#    bad value, and the exact warning: one line on stderr, printed once, a
#    sentence naming the variable and the value, and what is done instead;
#    the program still computes the right product;
#  - a misspelt variable (LAPACK_AI_MOD) gets one warning naming the
#    nearest variable; the variables of README.md and of the project's
#    other programs (LAPACK_AI_LIBRARY, the test hooks) get none;
#  - LAPACK_AI_MODE=gpu on a machine without a usable device warns once,
#    naming the cause (on a machine with PoCL and no GPU: the CPU device is
#    used only when named), and the log's reason names it too;
#  - a LAPACK_AI_DEVICE that names no device: a sentence listing the
#    devices, in the warning, the log and lapack_ai_info() (not Rust's
#    debug form);
#  - LAPACK_AI_PROFILE=yes prints the profile on stderr (no file `yes`).
# Usage: tests/config_messages.sh [path/to/liblapack_ai.so]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIB=$(realpath "${1:-$ROOT/target/release/liblapack_ai.so}")
LIBDIR=$(dirname "$LIB")
WORK=$(mktemp -d /tmp/lapack-ai-config.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
# Whatever the caller's environment holds of ours, the cases set their own.
for v in $(compgen -e | grep -i '^lapack_ai_' || true); do unset "$v"; done
unset OPENCL_DYLIB_PATH
export LAPACK_AI_CACHE_DIR=$WORK/cache

passed=0
failed=0
ok()  { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }

cat > "$WORK/cfg.c" <<'EOF'
/* One small product through the library; "info": lapack_ai_info() too. */
#include <stdio.h>
#include <string.h>
#include "lapack_ai.h"
void dgemm_(const char *, const char *, const int *, const int *, const int *, const double *, const double *,
            const int *, const double *, const int *, const double *, double *, const int *, size_t, size_t);
int main(int argc, char **argv) {
    int n = 3;
    double a[9], b[9], c[9], one = 1.0, zero = 0.0, want = 0.0;
    for (int i = 0; i < 9; i++) { a[i] = i + 1; b[i] = 9 - i; c[i] = -1.0; }
    dgemm_("N", "N", &n, &n, &n, &one, a, &n, b, &n, &zero, c, &n, 1, 1);
    for (int k = 0; k < 3; k++) want += a[1 + 3 * k] * b[k + 3 * 2];
    if (argc > 1 && strcmp(argv[1], "info") == 0) fputs(lapack_ai_info(), stdout);
    printf("product %s\n", c[1 + 3 * 2] == want ? "right" : "WRONG");
    return 0;
}
EOF
cc -O1 -Wall -Wextra -Werror -I "$ROOT/include" "$WORK/cfg.c" -L "$LIBDIR" -llapack_ai -Wl,-rpath,"$LIBDIR" \
    -o "$WORK/cfg" || { bad "the test program does not compile"; exit 1; }
cd "$WORK"

# run NAME ENV... [-- ARGS]: the program with ENV, output in NAME.out and
# NAME.err, the log in NAME.log; sets $rc.
run() {
    local name=$1
    shift
    local envs=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do envs+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    rm -f "$name.log"
    env LAPACK_AI_LOG="$WORK/$name.log" "${envs[@]}" timeout 60 ./cfg "$@" > "$name.out" 2> "$name.err"
    rc=$?
}
# Has NAME.err this warning once, the product right, status 0?
warned() { # warned NAME TEXT
    local n
    n=$(grep -cxF "lapack-ai: warning: $2" "$1.err" || true)
    [ "$n" -eq 1 ] && [ "$rc" -eq 0 ] && grep -q "product right" "$1.out"
}
# check VARIABLE 'TEXT' ENV...: a bad value of VARIABLE (in ENV); the
# case's one warning is TEXT, exactly.
tested=""
check() {
    local name=$1 text=$2
    shift 2
    tested="$tested $name "
    run "$name" "$@"
    if warned "$name" "$text" && [ "$(grep -c 'warning' "$name.err")" -eq 1 ]; then
        ok "$*: $text"
    else
        bad "$*: want 'lapack-ai: warning: $text' once (status $rc), got:"; head -c 600 "$name.err"; echo
    fi
}
# check_re NAME 'REGEX' ENV...: the same for a message holding the system's
# words (an errno text, dlerror).
check_re() {
    local name=$1 re=$2 n
    shift 2
    tested="$tested $name "
    run "$name" "$@"
    n=$(grep -cE "^lapack-ai: warning: $re\$" "$name.err" || true)
    if [ "$n" -eq 1 ] && [ "$(grep -c 'warning' "$name.err")" -eq 1 ] && [ $rc -eq 0 ] && grep -q "product right" "$name.out"; then
        ok "$*: $(grep -m1 warning "$name.err" | cut -c 21-)"
    else
        bad "$*: want one warning matching '$re' (status $rc), got:"; head -c 600 "$name.err"; echo
    fi
}

# Machines: no GPU here (PoCL only), but say what this one has.
POCL=0
command -v clinfo > /dev/null && clinfo -l 2>/dev/null | grep -q "Portable Computing Language" && POCL=1
run probe
if grep -q "set-up: started" probe.log 2>/dev/null; then GPU=1; else GPU=0; fi
echo "-- this machine: PoCL $POCL, a usable GPU $GPU"

echo "-- a bad value of each variable of README.md's Configuration table"
check LAPACK_AI_MODE "LAPACK_AI_MODE=fast is not auto, cpu or gpu; using auto" LAPACK_AI_MODE=fast
check LAPACK_AI_DEVICE "LAPACK_AI_DEVICE=-2 is not a device index (0, 1, ...), a part of a device's name, a comma-separated list of those, or all; using the first GPU with fp64" \
    LAPACK_AI_MODE=cpu LAPACK_AI_DEVICE=-2
check_re LAPACK_AI_LOG "LAPACK_AI_LOG=/nonexistent/dir/x\\.log: cannot open for appending \\(.*\\); logging is off" \
    LAPACK_AI_MODE=cpu LAPACK_AI_LOG=/nonexistent/dir/x.log
check_re LAPACK_AI_CPU_LIB "LAPACK_AI_CPU_LIB=/nonexistent/libx\\.so: cannot load it \\(.*\\); ignoring it" \
    LAPACK_AI_MODE=cpu LAPACK_AI_CPU_LIB=/nonexistent/libx.so
check LAPACK_AI_RATES 'LAPACK_AI_RATES="fast": "fast" is not key=value; calibrating instead' LAPACK_AI_RATES=fast
check LAPACK_AI_RECALIBRATE "LAPACK_AI_RECALIBRATE=please is not 1 or 0; not recalibrating" \
    LAPACK_AI_MODE=cpu LAPACK_AI_RECALIBRATE=please
check LAPACK_AI_LEARN "LAPACK_AI_LEARN=2 is not 1 or 0; learning (the default)" LAPACK_AI_MODE=cpu LAPACK_AI_LEARN=2
check LAPACK_AI_LEARN "LAPACK_AI_LEARN=sometimes is not 1 or 0; not learning (the default with LAPACK_AI_RATES)" \
    LAPACK_AI_MODE=cpu LAPACK_AI_LEARN=sometimes LAPACK_AI_RATES=cpu=10,gpu=100,h2d=10,launch=0.0001
touch "$WORK/a-file"
check LAPACK_AI_CACHE_DIR "cache directory $WORK/a-file (from LAPACK_AI_CACHE_DIR) is not used: it is not a directory; compiled kernels and measured rates are not cached in this process. To fix: set LAPACK_AI_CACHE_DIR to a directory of your own" \
    LAPACK_AI_CACHE_DIR="$WORK/a-file"
check LAPACK_AI_KERNEL "LAPACK_AI_KERNEL=fast is not portable; using the device's best kernel" LAPACK_AI_MODE=cpu LAPACK_AI_KERNEL=fast
check LAPACK_AI_ALPHA_SCHEME "LAPACK_AI_ALPHA_SCHEME=dps49 is not dps48 or strassen49; the cost model picks the scheme" \
    LAPACK_AI_MODE=cpu LAPACK_AI_ALPHA_SCHEME=dps49
check LAPACK_AI_ALPHA_LEVELS "LAPACK_AI_ALPHA_LEVELS=5 is not a number from 0 to 3; the cost model picks the levels" \
    LAPACK_AI_MODE=cpu LAPACK_AI_ALPHA_LEVELS=5
check LAPACK_AI_ALPHA_MIN_BLOCK "LAPACK_AI_ALPHA_MIN_BLOCK=0 is not a positive integer; using 4096 on the GPU and 512 on the CPU" \
    LAPACK_AI_MODE=cpu LAPACK_AI_ALPHA_MIN_BLOCK=0
check LAPACK_AI_ALPHA_ADD_GBS "LAPACK_AI_ALPHA_ADD_GBS=-1 is not a positive number of GB/s; measuring the rate instead" \
    LAPACK_AI_MODE=cpu LAPACK_AI_ALPHA_ADD_GBS=-1
check LAPACK_AI_PROFILE "LAPACK_AI_PROFILE=/nonexistent/dir/p.txt: cannot write the profile there (No such file or directory (os error 2)); printing it on stderr" \
    LAPACK_AI_MODE=cpu LAPACK_AI_PROFILE=/nonexistent/dir/p.txt
grep -q "^lapack-ai profile: pid" LAPACK_AI_PROFILE.err && ok "  ... and the profile is on stderr" \
    || bad "LAPACK_AI_PROFILE=/nonexistent/dir/p.txt: no profile on stderr"
check LAPACK_AI_MONITOR "LAPACK_AI_MONITOR=99999: the port 99999 is out of range (1 to 65535, or 0 for any free port); running without the monitor" \
    LAPACK_AI_MODE=cpu LAPACK_AI_MONITOR=99999
check LAPACK_AI_MONITOR "LAPACK_AI_MONITOR=example.org:80: not an address of the form 127.0.0.1:PORT, [::1]:PORT, localhost:PORT or PORT (host names other than localhost are not looked up); running without the monitor" \
    LAPACK_AI_MODE=cpu LAPACK_AI_MONITOR=example.org:80
check LAPACK_AI_MONITOR "LAPACK_AI_MONITOR=0.0.0.0:9100 is not a loopback address, so other machines could read the monitor; set LAPACK_AI_MONITOR_ALLOW_REMOTE=1 to allow that; running without the monitor" \
    LAPACK_AI_MODE=cpu LAPACK_AI_MONITOR=0.0.0.0:9100
check LAPACK_AI_MONITOR_ALLOW_REMOTE "LAPACK_AI_MONITOR_ALLOW_REMOTE=maybe is not 1 or 0; the monitor listens on loopback addresses only" \
    LAPACK_AI_MODE=cpu LAPACK_AI_MONITOR_ALLOW_REMOTE=maybe
check OPENCL_DYLIB_PATH "OPENCL_DYLIB_PATH=/nonexistent/libOpenCL.so: /nonexistent/libOpenCL.so does not exist; OpenCL is loaded from the next entry of the list, or from libOpenCL.so.1" \
    LAPACK_AI_MODE=cpu OPENCL_DYLIB_PATH=/nonexistent/libOpenCL.so
# Beyond the table: the test hooks and the SVD's timing switch.
check LAPACK_AI_TEST_STAGING "LAPACK_AI_TEST_STAGING=10 is not a number of doubles of at least 64; using staging buffers of the usual size" \
    LAPACK_AI_MODE=cpu LAPACK_AI_TEST_STAGING=10
check LAPACK_AI_SVD_PHASES "LAPACK_AI_SVD_PHASES=maybe is not 1 or 0; not timing the SVD's steps" \
    LAPACK_AI_MODE=cpu LAPACK_AI_SVD_PHASES=maybe

# Every variable of the table has a case above.
table=$(awk '/^## Configuration/ { on = 1; next } /^#/ { on = 0 } on && /^\| `/' "$ROOT/README.md" \
    | grep -o '^| `[A-Z_0-9]*`' | tr -d '|` ')
missing=""
for v in $table; do
    case "$tested" in *" $v "*) ;; *) missing="$missing $v" ;; esac
done
[ -n "$table" ] && [ -z "$missing" ] && ok "each of the $(echo $table | wc -w) variables of README.md's table has a bad value tested" \
    || bad "variables of README.md's table without a bad value tested:${missing:- (the table was not found)}"

echo "-- yes means stderr"
mkdir -p "$WORK/cwd" && (cd "$WORK/cwd" && LAPACK_AI_MODE=cpu LAPACK_AI_PROFILE=yes "$WORK/cfg" > out 2> err)
[ ! -e "$WORK/cwd/yes" ] && grep -q "^lapack-ai profile: pid" "$WORK/cwd/err" && ! grep -q warning "$WORK/cwd/err" \
    && ok "LAPACK_AI_PROFILE=yes: the profile on stderr, no file named yes" \
    || bad "LAPACK_AI_PROFILE=yes: $(ls "$WORK/cwd"), $(head -c 300 "$WORK/cwd/err")"
(cd "$WORK/cwd" && LAPACK_AI_MODE=cpu LAPACK_AI_LOG=true "$WORK/cfg" > out 2> err)
[ ! -e "$WORK/cwd/true" ] && grep -q "^lapack-ai: dgemm_ .* -> cpu\[" "$WORK/cwd/err" \
    && ok "LAPACK_AI_LOG=true: the log on stderr, no file named true" \
    || bad "LAPACK_AI_LOG=true: $(ls "$WORK/cwd"), $(head -c 300 "$WORK/cwd/err")"

echo "-- variables that are not the library's"
check LAPACK_AI_MOD "LAPACK_AI_MOD is not a variable of lapack-ai, and is ignored; did you mean LAPACK_AI_MODE?" \
    LAPACK_AI_MODE=cpu LAPACK_AI_MOD=gpu
check lapack_ai_mode "lapack_ai_mode is ignored: variable names are upper case (LAPACK_AI_MODE)" \
    LAPACK_AI_MODE=cpu lapack_ai_mode=gpu
check_re LAPACK_AI_XYZZY_PLUGH "LAPACK_AI_XYZZY_PLUGH is not a variable of lapack-ai, and is ignored \\(the nearest is LAPACK_AI_[A-Z_]*; README\\.md, \"Configuration\", lists them\\)" \
    LAPACK_AI_MODE=cpu LAPACK_AI_XYZZY_PLUGH=1
# Good values of every variable of the table, the Python package's and the
# test suite's own: not a word.
run good LAPACK_AI_MODE=cpu LAPACK_AI_DEVICE=pocl LAPACK_AI_CPU_LIB=bundled \
    LAPACK_AI_RATES=cpu=10,gpu=100,h2d=10,launch=0.0001 LAPACK_AI_RECALIBRATE=0 LAPACK_AI_LEARN=1 \
    LAPACK_AI_KERNEL=portable LAPACK_AI_ALPHA_SCHEME=dps48 LAPACK_AI_ALPHA_LEVELS=1 LAPACK_AI_ALPHA_MIN_BLOCK=64 \
    LAPACK_AI_ALPHA_ADD_GBS=5 LAPACK_AI_PROFILE="$WORK/profile-%p.txt" LAPACK_AI_MONITOR=127.0.0.1:0 \
    LAPACK_AI_MONITOR_ALLOW_REMOTE=0 OPENCL_DYLIB_PATH=libOpenCL.so.1 LAPACK_AI_LIBRARY="$LIB" \
    LAPACK_AI_TEST_OPENCL=pocl LAPACK_AI_FAULT_INJECT= LAPACK_AI_TEST_SEED=1 LAPACK_AI_LU_LEAF=32
[ $rc -eq 0 ] && ! grep -q warning good.err && grep -q "product right" good.out && ls "$WORK"/profile-*.txt > /dev/null 2>&1 \
    && ok "good values of every variable, and the project's other variables: no warning" \
    || { bad "good values: status $rc:"; head -c 600 good.err; echo; }

echo "-- LAPACK_AI_MODE=gpu without a usable device (LAPACK_AI_DEVICE unset)"
if [ $GPU -eq 1 ]; then
    echo "  (skipped: this machine has a GPU: $(grep -o 'set-up: started [^(]*' probe.log))"
else
    run gpu-mode LAPACK_AI_MODE=gpu
    if [ $POCL -eq 1 ]; then
        cause="no GPU with fp64 among the OpenCL devices; CPU OpenCL devices are used only when named: LAPACK_AI_DEVICE=pocl for #0 [^;]* \\(Portable Computing Language\\)"
    else
        cause="no OpenCL (library|driver): .*"
    fi
    n=$(grep -cE "^lapack-ai: warning: LAPACK_AI_MODE=gpu, but every call runs on the CPU: $cause\$" gpu-mode.err || true)
    [ "$n" -eq 1 ] && [ "$(grep -c warning gpu-mode.err)" -eq 1 ] && [ $rc -eq 0 ] \
        && ok "one warning: $(cut -c 21- gpu-mode.err)" \
        || { bad "gpu mode without a device: want one warning naming the cause (status $rc):"; head -c 600 gpu-mode.err; echo; }
    grep -qE -- "^lapack-ai: dgemm_ .* -> cpu\[[^]]*\] \($cause\) [0-9.]+ ms" gpu-mode.log \
        && ok "the log's reason names the cause" \
        || { bad "the log's reason: $(grep -m1 'dgemm_' gpu-mode.log)"; }
fi

echo "-- LAPACK_AI_MODE=gpu without OpenCL: no driver, no library"
mkdir -p "$WORK/no-vendors"
run no-driver LAPACK_AI_MODE=gpu OCL_ICD_VENDORS="$WORK/no-vendors"
cause="no OpenCL driver: the OpenCL library finds no platform (no driver is registered in /etc/OpenCL/vendors; install the GPU's OpenCL driver)"
if grep -q "no OpenCL library" no-driver.err; then
    echo "  --   (no OpenCL library on this machine)"
elif warned no-driver "LAPACK_AI_MODE=gpu, but every call runs on the CPU: $cause" \
    && grep -qF -- "($cause)" no-driver.log; then
    ok "no driver registered: warning and log say so"
else
    bad "no driver registered (status $rc):"; cat no-driver.err; grep -m1 dgemm_ no-driver.log
fi
# Without the loader: hidden in a mount namespace of our own (needs root).
OCL=$(ldconfig -p 2>/dev/null | grep -m1 'libOpenCL.so.1 ' | sed 's/.*=> //')
if [ -n "$OCL" ] && unshare -m true 2>/dev/null; then
    unshare -m sh -c "mount --bind /dev/null '$OCL' && LAPACK_AI_MODE=gpu LAPACK_AI_LOG='$WORK/no-library.log' \
        ./cfg > no-library.out 2> no-library.err"
    rc=$?
    cause="no OpenCL library: libOpenCL.so.1 cannot be loaded (install an OpenCL ICD loader, such as ocl-icd-libopencl1, and the GPU's OpenCL driver)"
    warned no-library "LAPACK_AI_MODE=gpu, but every call runs on the CPU: $cause" && grep -qF -- "($cause)" no-library.log \
        && ok "no OpenCL library: warning and log say so" \
        || { bad "no OpenCL library (status $rc):"; cat no-library.err; grep -m1 dgemm_ no-library.log; }
else
    echo "  --   (no OpenCL library to hide, or no mount namespace: not checked)"
fi

echo "-- a LAPACK_AI_DEVICE that names no device"
for spec in nonexistent 7 0,nonexistent; do
    item=${spec#0,}
    [ "$spec" = "$item" ] && head="LAPACK_AI_DEVICE=$spec" || head="LAPACK_AI_DEVICE=$spec: $item"
    if [ $POCL -eq 1 ]; then
        why="$head matches no OpenCL device; the devices are: #0 [^;]* \\(Portable Computing Language, driver [^)]*\\)"
    else
        why="LAPACK_AI_DEVICE=$spec(: no OpenCL (library|driver): .*| matches no OpenCL device; there are none)"
    fi
    run "device-$item" LAPACK_AI_DEVICE=$spec -- info
    n=$(grep -cE "^lapack-ai: warning: $why; every call runs on the CPU\$" "device-$item.err" || true)
    [ "$n" -eq 1 ] && [ "$(grep -c warning "device-$item.err")" -eq 1 ] && [ $rc -eq 0 ] \
        && grep -qE "^device: none \($why\)\$" "device-$item.out" \
        && grep -qE -- "-> cpu\[[^]]*\] \($why\) [0-9.]+ ms" "device-$item.log" \
        && ! grep -qE 'Name\(|Index\(' "device-$item.err" "device-$item.out" "device-$item.log" \
        && ok "LAPACK_AI_DEVICE=$spec: warning, log and lapack_ai_info(): $(cut -c 21- "device-$item.err")" \
        || { bad "LAPACK_AI_DEVICE=$spec (status $rc):"; cat "device-$item.err"; grep '^device' "device-$item.out"; grep -m1 dgemm_ "device-$item.log"; }
done

echo "-- all at once: each warning once, the product right"
# (a cache of its own: a device that an earlier process found missing is
# not looked for again in auto mode, and not warned about again)
run all LAPACK_AI_CACHE_DIR="$WORK/cache-all" LAPACK_AI_MODE=fast LAPACK_AI_KERNEL=fast LAPACK_AI_ALPHA_LEVELS=9 LAPACK_AI_MONITOR=70000 LAPACK_AI_MOD=1 \
    LAPACK_AI_DEVICE=nonexistent
n=$(grep -c warning all.err || true)
d=$(grep warning all.err | sort -u | wc -l)
[ $rc -eq 0 ] && [ "$n" -eq 6 ] && [ "$d" -eq 6 ] && grep -q "product right" all.out \
    && ok "6 bad settings: 6 warnings, the product right" \
    || { bad "6 bad settings: status $rc, $n warnings ($d distinct):"; cat all.err; }

echo "config messages: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
