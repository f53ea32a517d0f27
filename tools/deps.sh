#!/usr/bin/env bash
# Installs what lapack-ai needs on Debian 12 / Ubuntu 24.04, if it is
# missing. Rust (cargo) must already be installed (https://rustup.rs).
#
#   bash tools/deps.sh [test]   everything tools/test.sh needs (the default)
#   bash tools/deps.sh demo     only what tools/demo.sh needs
# (tools/test.sh and tools/demo.sh source it: `source tools/deps.sh demo`.)
#
# demo: building the library (gcc, make, gfortran and CMake for the bundled
# netlib copy, binutils for its symbol renaming) and Debian's Python 3 with
# NumPy, the unmodified program the demo preloads the library into
# (python3-numpy brings the BLAS and LAPACK it runs on). No OpenCL: without
# a device the demo shows every call on the CPU.
# test, in addition: pkg-config and the netlib test programs, OpenBLAS (a
# second CPU backend for the tests), OpenCL (PoCL, for the GPU code paths on
# machines without a GPU), headless Chromium and curl (the monitor's page
# and endpoints), venv (the Python package's tests install NumPy and pytest
# from PyPI into a virtual environment).
set -euo pipefail
deps_for=${1:-test}
build=(gfortran cmake binutils gcc make)
case "$deps_for" in
    demo) packages=("${build[@]}" python3 python3-numpy) ;;
    test) packages=("${build[@]}" pkg-config libblas-test liblapack-test libblas-dev liblapack-dev
                    libtmglib-dev libopenblas0-pthread ocl-icd-opencl-dev ocl-icd-libopencl1 pocl-opencl-icd clinfo
                    python3 python3-venv python3-numpy chromium curl) ;;
    *) echo "usage: bash tools/deps.sh [test|demo] (got '$deps_for')"; exit 2 ;;
esac

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "lapack-ai: installing for the ${deps_for/%test/tests}: ${missing[*]}"
    SUDO=
    if [ "$(id -u)" != 0 ]; then
        command -v sudo >/dev/null || { echo "need root (or sudo) to apt-get install ${missing[*]}"; exit 1; }
        SUDO=sudo
    fi
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if ! command -v cargo >/dev/null; then
    [ -x "$HOME/.cargo/bin/cargo" ] && export PATH=$HOME/.cargo/bin:$PATH
    command -v cargo >/dev/null || { echo "cargo not found: install Rust from https://rustup.rs"; exit 1; }
fi
