#!/usr/bin/env bash
# Installs what building and testing lapack-ai needs on Debian 12 / Ubuntu
# 24.04, if it is missing: a Fortran compiler and CMake (the bundled netlib
# copy), binutils (symbol renaming), the netlib test programs, OpenBLAS (a
# second CPU backend for the tests), OpenCL (PoCL, for the GPU code paths on
# machines without a GPU), headless Chromium and curl (the monitor's page
# and endpoints), Python with venv (the Python package's tests install
# NumPy and pytest from PyPI into a virtual environment), and Debian's NumPy
# (the demo, and the cost model's test preloads the library into it).
# Rust (cargo) must already be installed (https://rustup.rs).
set -euo pipefail
packages=(gfortran cmake binutils gcc make pkg-config libblas-test liblapack-test libblas-dev liblapack-dev
          libtmglib-dev libopenblas0-pthread ocl-icd-opencl-dev ocl-icd-libopencl1 pocl-opencl-icd clinfo
          python3 python3-venv python3-numpy chromium curl)

missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "lapack-ai: installing ${missing[*]}"
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
