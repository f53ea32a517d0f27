#!/usr/bin/env bash
# Bytes each Level-3 call moves between host and device, as the library's
# own counters report them (the profile's "to GPU MB" and "from GPU MB"),
# one process per call of bench/suite.c, forced to the GPU on PoCL: a
# machine-independent check of what a change to the engine's transfers
# does (issue 19: singles and complex arrays sent as stored). Times on
# PoCL are not GPU times, and are not printed.
#
# Usage: bench/native_bytes.sh SUITE LIB [N]   (SUITE: bench/suite.c built
# as its header says; LIB: a liblapack_ai.so)
set -u
SUITE=$(realpath "${1:?usage: native_bytes.sh SUITE LIB [N]}")
LIB=$(realpath "${2:?usage: native_bytes.sh SUITE LIB [N]}")
N=${3:-512}
P=$(mktemp /tmp/native-bytes.XXXXXX)
echo "routine n to_gpu_MB from_gpu_MB"
for r in dgemm sgemm cgemm zgemm ssyrk dsyrk cherk zherk strsm ztrsm ssymm zhemm; do
    LD_PRELOAD=$LIB LAPACK_AI_MODE=gpu LAPACK_AI_DEVICE=pocl LAPACK_AI_PROFILE=$P "$SUITE" "$r" "$N" > /dev/null 2>&1
    awk -v r="${r}_" -v n="$N" '$1 == r { print $1, n, $(NF-2), $(NF-1) }' "$P"
done
rm -f "$P"
