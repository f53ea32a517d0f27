"""One NumPy workload per process, for issue 17 (preloading lapack-ai never
makes a program slower): the NumPy counterpart of bench/suite.c.

    python3 bench/numpy_suite.py WORKLOAD N

WORKLOAD (N x N float64 operands, NumPy's own LAPACK/BLAS underneath):
    eigh    numpy.linalg.eigh(a), a symmetric           (dsyevd JOBZ=V UPLO=L)
    qr      numpy.linalg.qr(a, mode="reduced")          (dgeqrf + dorgqr)
    lstsq   numpy.linalg.lstsq(a, b, rcond=None), one right-hand side (dgelsd)
    inv     numpy.linalg.inv(a)                         (dgesv)
    det     numpy.linalg.det(a)                         (dgetrf)
    svd     numpy.linalg.svd(a), full_matrices=True     (dgesdd JOBZ=A)
    matmul  a @ b                                       (dgemm)

The inputs come from numpy.random.default_rng with a seed fixed by the
workload and N, uniform in [-1, 1); they are made before the clock starts,
and only the one call is timed (time.perf_counter). Prints one line,
    WORKLOAD N SECONDS 0
and exits 0; exits 2 on a usage error.

Example, preloaded (the program is unmodified):
    LD_PRELOAD=target/release/liblapack_ai.so LAPACK_AI_LOG=/dev/stderr \\
        python3 bench/numpy_suite.py eigh 1024
"""

import sys
import time

WORKLOADS = ("eigh", "qr", "lstsq", "inv", "det", "svd", "matmul")


def usage(why):
    sys.stderr.write(
        "numpy_suite: %s\nusage: python3 bench/numpy_suite.py WORKLOAD N\n"
        "  WORKLOAD: one of %s\n  N: matrix order, >= 1\n" % (why, " ".join(WORKLOADS))
    )
    return 2


def main(argv):
    if len(argv) != 3:
        return usage("expected two arguments")
    work = argv[1]
    if work not in WORKLOADS:
        return usage("unknown workload '%s'" % work[:64])
    try:
        n = int(argv[2])
    except ValueError:
        n = 0
    if n < 1:
        return usage("N must be an integer >= 1")

    import numpy as np

    seed = 17_000_000 + 1000 * WORKLOADS.index(work) + n
    rng = np.random.default_rng(seed)
    a = rng.uniform(-1.0, 1.0, size=(n, n))
    if work == "eigh":
        a = np.ascontiguousarray(np.tril(a) + np.tril(a, -1).T)
    b = None
    if work == "lstsq":
        b = rng.uniform(-1.0, 1.0, size=n)
    elif work == "matmul":
        b = rng.uniform(-1.0, 1.0, size=(n, n))

    call = {
        "eigh": lambda: np.linalg.eigh(a),
        "qr": lambda: np.linalg.qr(a, mode="reduced"),
        "lstsq": lambda: np.linalg.lstsq(a, b, rcond=None),
        "inv": lambda: np.linalg.inv(a),
        "det": lambda: np.linalg.det(a),
        "svd": lambda: np.linalg.svd(a),
        "matmul": lambda: a @ b,
    }[work]
    t0 = time.perf_counter()
    call()
    t1 = time.perf_counter()

    sys.stdout.write("%s %d %.6f 0\n" % (work, n, t1 - t0))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
