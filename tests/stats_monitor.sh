#!/usr/bin/env bash
# What the library did, seen as a user sees it (README, "What it did"):
#  - the profile at exit (LAPACK_AI_PROFILE=1 and =FILE with %p), printed
#    once, from C after exit() and from Fortran after STOP, with the counts
#    of a scripted sequence of calls;
#  - lapack_ai_stats_json from C and the Fortran module's wrappers;
#  - the monitor (LAPACK_AI_MONITOR) of a running program: /metrics and
#    /api/stats scraped over loopback, counts rising; a port already in use
#    and a non-loopback address each give one message and the program runs
#    on without the monitor;
#  - the monitor's page in headless Chromium: its charts redraw with new
#    data (the page counts redraws whose pixels changed) and a screenshot
#    is taken (kept as target/stats-monitor/monitor.png);
#  - the monitor under the probe that starved its first version
#    (tests/monitor_flood.py): 8 slow-loris and 500 idle connections, and
#    100 requests all answered within seconds; a head trickled byte by byte
#    closed at its deadline; a request that names another Host (DNS
#    rebinding) refused, the same with the monitor's Host answered.
# Usage: tests/stats_monitor.sh [path/to/liblapack_ai.so]
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
LIB=$(realpath "${1:-$ROOT/target/release/liblapack_ai.so}")
LIBDIR=$(dirname "$LIB")
WORK=$(mktemp -d /tmp/lapack-ai-stats.XXXXXX)
ARTIFACTS=$ROOT/target/stats-monitor
mkdir -p "$ARTIFACTS"
LOAD_PID=
cleanup() {
    [ -n "$LOAD_PID" ] && kill "$LOAD_PID" 2>/dev/null && wait "$LOAD_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
unset LAPACK_AI_PROFILE LAPACK_AI_MONITOR LAPACK_AI_MONITOR_ALLOW_REMOTE LAPACK_AI_LOG LAPACK_AI_MODE

passed=0
failed=0
ok()  { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }

# row FILE ROUTINE: the profile row of ROUTINE, columns separated by one space.
row() { grep -E "^$2 " "$1" | tr -s ' '; }
# monitor_port FILE: the port of the "monitor on" line in FILE, a program's
# stderr (waits up to 10 s for it; nothing if it does not come).
monitor_port() {
    local p
    for _ in $(seq 100); do
        p=$(sed -n 's|^lapack-ai: monitor on http://127\.0\.0\.1:\([0-9]*\)/ .*|\1|p' "$1")
        [ -n "$p" ] && { echo "$p"; return; }
        sleep 0.1
    done
}

echo "-- C: lapack_ai_stats_json, profile after exit()"
cc -O2 -Wall -Wextra -Werror -I "$ROOT/include" "$ROOT/tests/c/stats_consumer.c" \
    -L "$LIBDIR" -llapack_ai -Wl,-rpath,"$LIBDIR" -o "$WORK/stats_c" || bad "stats_consumer.c does not compile"
LAPACK_AI_PROFILE=1 "$WORK/stats_c" > "$WORK/c.out" 2> "$WORK/c.err"
rc=$?
grep -q "^11 passed, 0 failed" "$WORK/c.out" && [ $rc -eq 0 ] \
    && ok "C: lapack_ai_stats_json agrees with the calls made (11 checks)" \
    || { bad "C: status $rc"; cat "$WORK/c.out"; }
n=$(grep -c "^lapack-ai profile: pid " "$WORK/c.err")
[ "$n" -eq 1 ] && ok "C: profile printed once after exit()" || { bad "C: profile printed $n times"; cat "$WORK/c.err"; }
# routine calls gpu cpu fallback ...
[ "$(row "$WORK/c.err" dgemm_ | cut -d' ' -f1-5)" = "dgemm_ 2 0 2 0" ] \
    && [ "$(row "$WORK/c.err" cblas_dgemm | cut -d' ' -f1-5)" = "cblas_dgemm 1 0 1 0" ] \
    && [ "$(row "$WORK/c.err" dgesv_ | cut -d' ' -f1-5)" = "dgesv_ 1 0 1 0" ] \
    && ! grep -qE "^dgesvd_ " "$WORK/c.err" \
    && ok "C: profile rows: dgemm_ 2, cblas_dgemm 1, dgesv_ 1, nothing else" \
    || { bad "C: profile rows"; cat "$WORK/c.err"; }

# %p: the process id; the file is appended to, once per run.
LAPACK_AI_PROFILE="$WORK/profile-%p.txt" "$WORK/stats_c" > /dev/null 2> "$WORK/c2.err" &
pid=$!
wait $pid
if [ -f "$WORK/profile-$pid.txt" ] && [ "$(grep -c "^lapack-ai profile: pid $pid," "$WORK/profile-$pid.txt")" -eq 1 ] \
    && [ "$(row "$WORK/profile-$pid.txt" dgemm_ | cut -d' ' -f1-2)" = "dgemm_ 2" ] && ! grep -q profile "$WORK/c2.err"; then
    ok "C: LAPACK_AI_PROFILE=FILE-%p writes profile-$pid.txt, once, not stderr"
else
    bad "C: no profile in profile-$pid.txt"; ls "$WORK"; cat "$WORK/c2.err"
fi
LAPACK_AI_PROFILE=0 "$WORK/stats_c" > /dev/null 2> "$WORK/c3.err"
grep -q "lapack-ai profile" "$WORK/c3.err" && bad "C: LAPACK_AI_PROFILE=0 printed a profile" \
    || ok "C: LAPACK_AI_PROFILE=0: no profile"

echo "-- Fortran: the module's lapack_ai_stats(), profile after STOP"
gfortran -O2 -J "$WORK" "$ROOT/include/lapack_ai.f90" "$ROOT/fortran-tests/stats_api.f90" \
    -L "$LIBDIR" -llapack_ai -Wl,-rpath,"$LIBDIR" -o "$WORK/stats_f" || bad "stats_api.f90 does not compile"
LAPACK_AI_PROFILE=stderr "$WORK/stats_f" > "$WORK/f.out" 2> "$WORK/f.err"
rc=$?
grep -qE "^ *[0-9]+ passed, 0 failed" "$WORK/f.out" && [ $rc -eq 0 ] \
    && ok "Fortran: $(grep -E 'passed, ' "$WORK/f.out" | tr -s ' ')" || { bad "Fortran: status $rc"; cat "$WORK/f.out"; }
n=$(grep -c "^lapack-ai profile: pid " "$WORK/f.err")
[ "$n" -eq 1 ] && [ "$(row "$WORK/f.err" dgemm_ | cut -d' ' -f1-5)" = "dgemm_ 3 0 3 0" ] \
    && ok "Fortran: profile printed once after STOP, dgemm_ 3 calls" || { bad "Fortran: profile ($n)"; cat "$WORK/f.err"; }

echo "-- monitor of a running program"
# DGEMMs of 16..64, changing every 2 s; with PoCL and these rates the cost
# model sends 16 to the CPU and the larger ones to the (CPU-emulated) GPU,
# so that every chart has data.
LAPACK_AI_MONITOR=127.0.0.1:0 LAPACK_AI_DEVICE=pocl LAPACK_AI_RATES=cpu=0.5,gpu=1000,h2d=10,launch=0.0001 \
    "$WORK/stats_c" load 90 > "$WORK/load.out" 2> "$WORK/load.err" &
LOAD_PID=$!
port=$(monitor_port "$WORK/load.err")
if [ -z "$port" ]; then
    bad "monitor: no 'monitor on' line"; cat "$WORK/load.err"
else
    ok "monitor: serving on 127.0.0.1:$port (port 0: the system chose)"
    URL=http://127.0.0.1:$port
    calls() { curl -sf --max-time 5 "$URL/metrics" | awk '/^lapack_ai_calls_total\{routine="dgemm_"/ { s += $2 } END { print s + 0 }'; }
    gpu_calls() { curl -sf --max-time 5 "$URL/metrics" | awk '/^lapack_ai_calls_total\{routine="dgemm_",backend="gpu"/ { print $2 }'; }
    # Until the load reaches the sizes that go to the GPU (2 s) and PoCL
    # has built the kernel (longer on a cold cache): at most 60 s.
    for _ in $(seq 120); do
        [ "$(gpu_calls)" -gt 0 ] 2>/dev/null && break
        sleep 0.5
    done
    first=$(calls)
    sleep 1.5
    second=$(calls)
    [ "$first" -gt 0 ] && [ "$second" -gt "$first" ] \
        && ok "monitor: /metrics counts dgemm_ calls as they happen ($first, then $second)" \
        || bad "monitor: /metrics dgemm_ calls $first then $second"
    curl -sf --max-time 5 "$URL/metrics" > "$WORK/metrics.txt"
    grep -q '^# TYPE lapack_ai_calls_total counter$' "$WORK/metrics.txt" \
        && grep -qE '^lapack_ai_transfer_bytes_total\{routine="dgemm_",direction="host_to_device"\} [1-9][0-9]*$' "$WORK/metrics.txt" \
        && grep -qE '^lapack_ai_calls_total\{routine="dgemm_",backend="gpu"\} [1-9][0-9]*$' "$WORK/metrics.txt" \
        && ok "monitor: /metrics in Prometheus text format, GPU calls and bytes to the GPU counted" \
        || { bad "monitor: /metrics"; cat "$WORK/metrics.txt"; }
    api=$(curl -sf --max-time 5 -D "$WORK/api.headers" "$URL/api/stats")
    grep -qi '^content-type: application/json' "$WORK/api.headers" && grep -q "\"pid\":$LOAD_PID," <<< "$api" \
        && ok "monitor: /api/stats is the JSON of the running process" || { bad "monitor: /api/stats"; echo "$api"; }
    code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$URL/nowhere")
    [ "$code" = 404 ] && ok "monitor: unknown path: 404" || bad "monitor: unknown path gave $code"

    # The same port again, from another process: a message, and it runs on.
    LAPACK_AI_MONITOR=127.0.0.1:$port "$WORK/stats_c" > "$WORK/busy.out" 2> "$WORK/busy.err"
    rc=$?
    [ $rc -eq 0 ] && grep -q "^11 passed, 0 failed" "$WORK/busy.out" \
        && [ "$(grep -c "lapack-ai: warning: LAPACK_AI_MONITOR=127.0.0.1:$port: cannot listen: port $port is already in use" "$WORK/busy.err")" -eq 1 ] \
        && ok "monitor: port in use: one clear message, the program runs on" \
        || { bad "monitor: port in use (status $rc)"; cat "$WORK/busy.err"; }

    echo "-- the page in headless Chromium"
    # Virtual time: 10 s of the page's timers, its fetches answered for
    # real. It polls twice a second and counts redraws that changed pixels.
    chrome() { chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1280,1000 \
        --virtual-time-budget=10000 "$@" 2> "$WORK/chromium.err"; }
    if ! command -v chromium > /dev/null; then
        bad "chromium is not installed (tools/deps.sh installs it)"
    else
        body=$(chrome --dump-dom "$URL/" | grep -o '<body[^>]*>')
        samples=$(sed -n 's/.*data-samples="\([0-9]*\)".*/\1/p' <<< "$body")
        changes=$(sed -n 's/.*data-chart-changes="\([0-9]*\)".*/\1/p' <<< "$body")
        [ "${samples:-0}" -ge 5 ] && [ "${changes:-0}" -ge 4 ] \
            && ok "page: $samples updates, charts redrawn with different pixels $changes times" \
            || { bad "page: samples=${samples:-none} chart changes=${changes:-none}"; tail -5 "$WORK/chromium.err"; }
        rm -f "$ARTIFACTS/monitor.png"
        chrome --screenshot="$ARTIFACTS/monitor.png" "$URL/" > /dev/null
        size=$(stat -c %s "$ARTIFACTS/monitor.png" 2>/dev/null || echo 0)
        [ "$(head -c 8 "$ARTIFACTS/monitor.png" 2>/dev/null | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ] \
            && [ "$size" -gt 20000 ] \
            && ok "page: screenshot target/stats-monitor/monitor.png ($size bytes)" \
            || bad "page: no screenshot ($size bytes)"
    fi
fi
if [ -n "$LOAD_PID" ]; then
    kill "$LOAD_PID" 2>/dev/null
    wait "$LOAD_PID" 2>/dev/null
    LOAD_PID=
fi

echo "-- the monitor under a flood; Host"
# The probe that starved the first monitor (a thread per connection, at
# most 8, a timeout per read): tests/monitor_flood.py. Then DNS rebinding:
# a page's request names the page's host, and must be refused.
LAPACK_AI_MONITOR=127.0.0.1:0 LAPACK_AI_MODE=cpu \
    "$WORK/stats_c" load 40 > "$WORK/flood-load.out" 2> "$WORK/flood-load.err" &
LOAD_PID=$!
port=$(monitor_port "$WORK/flood-load.err")
if [ -z "$port" ]; then
    bad "flood: no 'monitor on' line"; cat "$WORK/flood-load.err"
else
    timeout 60 python3 "$ROOT/tests/monitor_flood.py" "$port" > "$WORK/flood.out" 2>&1
    rc=$?
    while read -r verdict text; do
        case $verdict in
            PASS) ok "$text" ;;
            FAIL) bad "$text" ;;
        esac
    done < "$WORK/flood.out"
    [ $rc -eq 0 ] || grep -q '^FAIL ' "$WORK/flood.out" \
        || { bad "flood: tests/monitor_flood.py ended with status $rc"; cat "$WORK/flood.out"; }

    URL=http://127.0.0.1:$port
    # host_code HOST: the status of GET /api/stats with that Host ("": no
    # Host at all); the body is left in $WORK/host.body.
    host_code() { curl -s -o "$WORK/host.body" -w '%{http_code}' --max-time 5 -H "Host:${1:+ $1}" "$URL/api/stats"; }
    c=$(host_code "evil.example:$port")
    [ "$c" = 421 ] && ! grep -q '"pid"' "$WORK/host.body" \
        && ok "Host: evil.example:$port (DNS rebinding): 421, no counters" \
        || { bad "Host: evil.example:$port gave $c"; head -c 300 "$WORK/host.body"; echo; }
    c=$(host_code "127.0.0.1:$port")
    [ "$c" = 200 ] && grep -q "\"pid\":$LOAD_PID," "$WORK/host.body" \
        && ok "Host: 127.0.0.1:$port, the same request otherwise: 200 and the counters" \
        || bad "Host: 127.0.0.1:$port gave $c"
    c1=$(host_code "LOCALHOST:$port") c2=$(host_code "[::1]:$port") c3=$(host_code localhost)
    c4=$(host_code "localhost:$((port ^ 1))") c5=$(host_code "") c6=$(host_code "localhost.evil.example:$port")
    [ "$c1 $c2 $c3 $c4 $c5 $c6" = "200 200 200 200 400 421" ] \
        && ok "Host: LOCALHOST:$port, [::1]:$port, localhost, a tunnel's port: 200; none: 400; localhost.evil.example: 421" \
        || bad "Host: LOCALHOST:$port $c1, [::1]:$port $c2, localhost $c3, another port $c4, none $c5, localhost.evil.example $c6"
fi
if [ -n "$LOAD_PID" ]; then
    kill "$LOAD_PID" 2>/dev/null
    wait "$LOAD_PID" 2>/dev/null
    LOAD_PID=
fi

echo "-- addresses that are not loopback are refused"
LAPACK_AI_MONITOR=0.0.0.0:0 "$WORK/stats_c" > "$WORK/remote.out" 2> "$WORK/remote.err"
rc=$?
[ $rc -eq 0 ] && grep -q "^11 passed, 0 failed" "$WORK/remote.out" \
    && grep -q 'lapack-ai: warning: LAPACK_AI_MONITOR=0.0.0.0:0 is not a loopback address.*LAPACK_AI_MONITOR_ALLOW_REMOTE=1' "$WORK/remote.err" \
    && ! grep -q "monitor on" "$WORK/remote.err" \
    && ok "monitor: 0.0.0.0 refused with a message, the program runs on" \
    || { bad "monitor: 0.0.0.0 (status $rc)"; cat "$WORK/remote.err"; }

echo "stats and monitor: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
