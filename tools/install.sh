#!/usr/bin/env bash
# Builds lapack-ai and installs it into a prefix:
#   PREFIX/lib/liblapack_ai.so
#   PREFIX/bin/lapack-ai (the command: info, run, calibrate, bench; it uses
#     ../lib/liblapack_ai.so from its own folder)
#   PREFIX/include/lapack_ai.h, PREFIX/include/lapack_ai.f90 (Fortran module source)
#   PREFIX/lib/cmake/lapack_ai/lapack_aiConfig.cmake (+ ConfigVersion)
#   PREFIX/lib/pkgconfig/lapack_ai.pc
# Usage: bash tools/install.sh [PREFIX]     (default /usr/local)
set -euo pipefail
cd "$(dirname "$0")/.."
PREFIX=$(realpath -m "${1:-/usr/local}")
LIBDIR=lib
VERSION=$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)
MAJOR=${VERSION%%.*}
MINOR=${VERSION#*.}; MINOR=${MINOR%%.*}

cargo build --release --locked 2>&1 | tail -1

subst() { sed -e "s|@PREFIX@|$PREFIX|g" -e "s|@LIBDIR@|$LIBDIR|g" -e "s|@VERSION@|$VERSION|g" \
              -e "s|@MAJOR@|$MAJOR|g" -e "s|@MINOR@|$MINOR|g" "$1" > "$2"; }

install -d "$PREFIX/$LIBDIR/cmake/lapack_ai" "$PREFIX/$LIBDIR/pkgconfig" "$PREFIX/include" "$PREFIX/bin"
install -m 755 target/release/liblapack_ai.so "$PREFIX/$LIBDIR/liblapack_ai.so"
install -m 755 target/release/lapack-ai "$PREFIX/bin/lapack-ai"
install -m 644 include/lapack_ai.h include/lapack_ai.f90 "$PREFIX/include/"
subst cmake/lapack_aiConfig.cmake.in "$PREFIX/$LIBDIR/cmake/lapack_ai/lapack_aiConfig.cmake"
subst cmake/lapack_aiConfigVersion.cmake.in "$PREFIX/$LIBDIR/cmake/lapack_ai/lapack_aiConfigVersion.cmake"
subst cmake/lapack_ai.pc.in "$PREFIX/$LIBDIR/pkgconfig/lapack_ai.pc"
echo "lapack-ai $VERSION installed in $PREFIX"
