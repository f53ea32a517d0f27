#!/usr/bin/env bash
# Every test of lapack-ai, on a fresh Debian 12 / Ubuntu 24.04 machine:
#   1. installs what it needs (tools/deps.sh), builds the library;
#   2. cargo test: unit tests, argument checks against the bundled netlib
#      reference, the export list, the cbindgen header;
#      then cargo clippy --all-targets and cargo doc, without a warning;
#   3. the netlib BLAS/CBLAS/LAPACK test programs, unmodified, with the
#      library preloaded, under each CPU backend (tests/netlib/run_suites.sh);
#   4. a C and a Fortran program that use the library as their only
#      LAPACK (tests/consumers.sh);
#   5. the on-disk cache on PoCL: damaged files, planted links, a
#      directory others can write (tests/cache.sh);
#   6. no wrong answer, no hang, no crash: failures, panics and failed
#      allocations injected in every GPU path, 8 threads at once, fork(),
#      a memory limit (tests/robustness.sh);
#   7. the installed package as a user's project uses it: CMake
#      find_package, pkg-config, the Fortran module, the C API, under ctest
#      (tests/cmake_consumers.sh);
#   8. the profile at exit, the stats API from C and Fortran, the monitor's
#      endpoints, its page in headless Chromium, and the monitor under a
#      flood (tests/stats_monitor.sh);
#   9. the Python package, pip-installed into a virtual environment with
#      NumPy, against NumPy under pytest (tests/python.sh);
#  10. the cost model preloaded into unmodified programs (LAPACK drivers
#      over reference LAPACK and OpenBLAS, Debian's NumPy): a machine
#      without a device remembered, calibrated once, and no class of calls
#      kept on a backend twice slower than the other (tests/cost_model.sh).
# Ends with one line "tests: N passed, N failed" (N: test groups) and a
# non-zero status if anything failed.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/deps.sh

passed=0
failed=0
record() { # record NAME STATUS
    if [ "$2" -eq 0 ]; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "!! $1 failed"; fi
}

echo "== build"
cargo build --release --locked 2>&1 | tail -3

echo "== cargo test"
set +e
# PoCL is installed by tools/deps.sh: the device test must find it.
export LAPACK_AI_TEST_OPENCL=pocl
cargo test --release --locked 2>&1 | tee /tmp/lapack-ai-cargo-test.log | grep -E "^(test |running|test result|error|failures)|panicked"
record "cargo test" "${PIPESTATUS[0]}"

echo "== cargo clippy --all-targets and cargo doc, no warnings"
# The crate is read by its developers: its documentation includes private
# items, and links from public items to private ones are fine there.
lint() {
    command -v cargo-clippy > /dev/null || cargo clippy --version > /dev/null 2>&1 \
        || rustup component add clippy > /dev/null 2>&1 || { echo "cargo clippy is not installed (rustup component add clippy)"; return 1; }
    cargo clippy --release --locked --all-targets -- -D warnings 2>&1 | grep -E "^(warning|error)|^ +--> " | head -40
    [ "${PIPESTATUS[0]}" -eq 0 ] || return 1
    RUSTDOCFLAGS="-D warnings -A rustdoc::private_intra_doc_links" cargo doc --release --locked --no-deps --document-private-items 2>&1 \
        | grep -E "^(warning|error)|^ +--> " | head -40
    [ "${PIPESTATUS[0]}" -eq 0 ]
}
lint
record "clippy and doc" $?

echo "== netlib test programs, preloaded"
tests/netlib/run_suites.sh target/release/liblapack_ai.so
record "netlib suites" $?

echo "== C and Fortran consumers"
tests/consumers.sh target/release/liblapack_ai.so; r=$?; tests/command.sh target/release/liblapack_ai.so && [ $r -eq 0 ]
record "consumers" $?

echo "== on-disk cache: damaged files, planted links, unsafe directories (PoCL)"
tests/cache.sh target/release/liblapack_ai.so
record "cache" $?

echo "== no wrong answer, no hang, no crash: injected faults, threads, fork, a memory limit (PoCL)"
tests/robustness.sh target/release/liblapack_ai.so; r=$?; tests/config_messages.sh target/release/liblapack_ai.so && [ $r -eq 0 ]
record "robustness" $?

echo "== installed package: CMake, pkg-config, Fortran module, C API (ctest)"
tests/cmake_consumers.sh
record "cmake consumers" $?

echo "== profile at exit, stats API, monitor endpoints and page (headless Chromium)"
tests/stats_monitor.sh target/release/liblapack_ai.so
record "stats and monitor" $?

echo "== Python: import lapack_ai against NumPy (pytest, CPU path and PoCL)"
tests/python.sh
record "python" $?

echo "== README snippets are the tested code"
tests/readme_snippets.sh
record "readme snippets" $?

echo "== the cost model in real programs: remembers, calibrates once, learns (PoCL)"
tests/cost_model.sh target/release/liblapack_ai.so
record "cost model" $?
set -e

echo "tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
