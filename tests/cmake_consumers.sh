#!/usr/bin/env bash
# The installed package as users' build systems see it:
#  - tools/install.sh into a temporary prefix;
#  - fortran-tests/ (a standalone CMake project: find_package(lapack_ai),
#    lapack_ai::lapack_ai, lapack_ai::fortran, the system LAPACK with the
#    library preloaded, the C API) configured, built and run with ctest,
#    once on Debian's reference BLAS/LAPACK and once on whatever the
#    system's alternatives select (OpenBLAS when installed);
#  - pkg-config: tests/c/consumer.c compiled and linked with
#    `pkg-config --cflags --libs lapack_ai` alone, and run;
#  - the version rules of lapack_aiConfigVersion.cmake: 0.2 is met; 0.1
#    (before 1.0 a minor version may break compatibility), 0.3, 2.0 (and
#    the like) are refused.
# Ends with "cmake consumers: N passed, N failed"; exit status 1 on failure.
# Usage: tests/cmake_consumers.sh
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
MULTIARCH=$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
REFERENCE_LIBS=/usr/lib/$MULTIARCH/blas:/usr/lib/$MULTIARCH/lapack
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' "$ROOT/Cargo.toml" | head -1)
WORK=$(mktemp -d /tmp/lapack-ai-cmake-consumers.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
PREFIX=$WORK/prefix
BUILD=$WORK/build
# The log checks expect the CPU LAPACK found in the process, and each test
# sets its own log.
unset LAPACK_AI_LOG LAPACK_AI_CPU_LIB

passed=0
failed=0
ok()  { passed=$((passed + 1)); echo "  ok   $*"; }
bad() { failed=$((failed + 1)); echo "  FAIL $*"; }
finish() {
    echo "cmake consumers: $passed passed, $failed failed"
    [ "$failed" -eq 0 ]
    exit
}

echo "-- install into $PREFIX"
if bash "$ROOT/tools/install.sh" "$PREFIX" > "$WORK/install.out" 2>&1; then
    ok "tools/install.sh"
else
    bad "tools/install.sh"; tail -n 20 "$WORK/install.out"; finish
fi
missing=""
for f in lib/liblapack_ai.so include/lapack_ai.h include/lapack_ai.f90 lib/pkgconfig/lapack_ai.pc \
         lib/cmake/lapack_ai/lapack_aiConfig.cmake lib/cmake/lapack_ai/lapack_aiConfigVersion.cmake; do
    [ -f "$PREFIX/$f" ] || missing="$missing $f"
done
[ -z "$missing" ] && ok "installed files present" || bad "not installed:$missing"

echo "-- fortran-tests against the installed package"
if cmake -S "$ROOT/fortran-tests" -B "$BUILD" -DCMAKE_PREFIX_PATH="$PREFIX" > "$WORK/configure.out" 2>&1; then
    ok "configure fortran-tests (find_package(lapack_ai 0.2 CONFIG REQUIRED))"
    if cmake --build "$BUILD" -j "$(nproc)" > "$WORK/build.out" 2>&1; then
        ok "build fortran-tests"
        # run_ctest SLUG DESCRIPTION [VAR=VALUE...]: ctest in the build tree.
        run_ctest() {
            local out=$WORK/ctest-$1.out what=$2
            shift 2
            if (cd "$BUILD" && env "$@" ctest --output-on-failure) > "$out" 2>&1; then
                ok "ctest, $what: $(grep -E 'tests passed' "$out")"
            else
                bad "ctest, $what"; cat "$out"
            fi
        }
        run_ctest reference "reference BLAS/LAPACK" \
            LD_LIBRARY_PATH="$REFERENCE_LIBS${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
        run_ctest default "the system's default BLAS/LAPACK" LD_LIBRARY_PATH="${LD_LIBRARY_PATH:-}"
    else
        bad "build fortran-tests"; tail -n 30 "$WORK/build.out"
    fi
else
    bad "configure fortran-tests"; tail -n 30 "$WORK/configure.out"
fi

echo "-- pkg-config"
export PKG_CONFIG_PATH=$PREFIX/lib/pkgconfig
pc_version=$(pkg-config --modversion lapack_ai 2>&1)
[ "$pc_version" = "$VERSION" ] && ok "pkg-config --modversion lapack_ai: $pc_version" \
    || bad "pkg-config --modversion lapack_ai: '$pc_version', expected $VERSION"
if flags=$(pkg-config --cflags --libs lapack_ai) \
    && cc -O2 -Wall -Wextra -Werror -DLAPACK_AI_EXPECTED_VERSION="\"$VERSION\"" "$ROOT/tests/c/consumer.c" \
          $flags -lm -o "$WORK/c_pkgconfig" > "$WORK/pc-build.out" 2>&1; then
    ok "cc tests/c/consumer.c \$(pkg-config --cflags --libs lapack_ai): $flags"
    # Nothing but the library is linked: it runs on the machine's LAPACK
    # (OpenBLAS, installed by tools/deps.sh), which it opens itself.
    LAPACK_AI_LOG=$WORK/pc.log LD_LIBRARY_PATH="$REFERENCE_LIBS" "$WORK/c_pkgconfig" > "$WORK/pc.out" 2> "$WORK/pc.err"
    rc=$?
    summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$WORK/pc.out" | tail -1)
    if [ $rc -eq 0 ] && [[ "$summary" == *" 0 failed" ]] \
        && grep -q '^lapack-ai: dgesvdocl_ .*-> cpu\[/[^]]*openblas[^]]*\]' "$WORK/pc.log"; then
        ok "pkg-config build runs: $summary; $(grep -vc '^lapack-ai: set-up: ' "$WORK/pc.log") calls logged, on the machine's OpenBLAS"
    else
        bad "pkg-config build: status $rc, '${summary:-no summary}'"; tail -n 20 "$WORK/pc.out" "$WORK/pc.err"
    fi
else
    bad "pkg-config build of tests/c/consumer.c"; cat "$WORK/pc-build.out"
fi

echo "-- find_package(lapack_ai <version>)"
mkdir -p "$WORK/version"
cat > "$WORK/version/CMakeLists.txt" <<'EOF'
cmake_minimum_required(VERSION 3.16)
project(lapack_ai_version_check LANGUAGES C)
separate_arguments(request UNIX_COMMAND "${REQUEST}")
find_package(lapack_ai ${request} CONFIG)
if(lapack_ai_FOUND)
  get_target_property(lib lapack_ai::lapack_ai IMPORTED_LOCATION)
  if(NOT EXISTS "${lib}" OR NOT EXISTS "${LAPACK_AI_FORTRAN_MODULE_SOURCE}")
    message(FATAL_ERROR "found, but ${lib} or ${LAPACK_AI_FORTRAN_MODULE_SOURCE} missing")
  endif()
endif()
message(STATUS "RESULT found=${lapack_ai_FOUND} version=${lapack_ai_VERSION}")
EOF
# version_case REQUEST WANT: WANT is 1 (accepted) or 0 (refused).
version_case() {
    local request=$1 want=$2 out result
    out=$WORK/version-${request// /_}.out
    rm -rf "$WORK/version/build"
    cmake -S "$WORK/version" -B "$WORK/version/build" -DCMAKE_PREFIX_PATH="$PREFIX" "-DREQUEST=$request" \
        > "$out" 2>&1
    result=$(sed -n 's/^-- RESULT found=\([01]\).*/\1/p' "$out")
    case "$result:$want" in
        1:1) ok "find_package(lapack_ai $request) accepted ($(sed -n 's/^-- RESULT .*version=//p' "$out"))" ;;
        0:0) ok "find_package(lapack_ai $request) refused" ;;
        *)   bad "find_package(lapack_ai $request): found='$result', expected $want"; tail -n 20 "$out" ;;
    esac
}
version_case "" 1
version_case "0.2" 1
version_case "0.1" 0
version_case "$VERSION" 1
version_case "$VERSION EXACT" 1
version_case "0.3" 0
version_case "2.0" 0
version_case "1.0" 0
version_case "0.0" 0
version_case "${VERSION%.*}.99" 0

finish
