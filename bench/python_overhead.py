"""What `import lapack_ai` costs over calling the C API directly.

For each routine and size n: the C API called directly through ctypes on
buffers prepared beforehand (column-major inputs, a preallocated output;
destroyed inputs restored outside the timed region), against the Python
function on ordinary NumPy arrays, timed alternately, the fastest of the runs (the least disturbed on a shared machine).
"Python - C" is the end-to-end difference (noisy on a shared machine); the
robust figure is "wrapper": the Python function with the library call
replaced by a no-op (everything it does besides computing: checks, copies,
allocations), plus one ctypes call of the routine with nothing to do
(argument conversion, the library's entry), as a share of the C API time.

    LAPACK_AI_CPU_LIB=/usr/lib/x86_64-linux-gnu/libopenblas.so.0 \
        target/python-venv/bin/python bench/python_overhead.py [--sizes 512,1024,2048] [--reps 7] [--svd-max 512]
"""

import argparse
import ctypes
import os
import platform
import statistics
import sys
import time

import numpy as np

import lapack_ai
from lapack_ai import _clib

ROW, COL = 101, 102
NO_TRANS = 111


def timed(f):
    t = time.perf_counter()
    f()
    return time.perf_counter() - t


def int_refs(*values):
    ints = (ctypes.c_int * len(values))(*values)
    return ints, [ctypes.addressof(ints) + i * ctypes.sizeof(ctypes.c_int) for i in range(len(values))]


class Case:
    """One routine at one size: `direct()` calls the C API, `restore()`
    undoes what it destroyed (untimed), `python()` is the module's call,
    `trivial()` a ctypes call of the same routine with nothing to do.
    "+copies" adds to the C API call the copies (memcpy into buffers of the
    same layout) that a C caller needs to keep inputs the routine destroys,
    which the Python call (NumPy's semantics) makes too."""

    def __init__(self, name, symbol, direct, restore, python, trivial):
        # The Python call copies inputs that the routine destroys (NumPy's
        # semantics): compare it also with the C API plus those copies.
        self.copies = "overwrite" not in name and not name.startswith("matmul")
        self.name, self.symbol = name, symbol
        self.direct, self.restore, self.python, self.trivial = direct, restore, python, trivial


def cases(n, rng, svd_max):
    a = rng.standard_normal((n, n)) + n * np.eye(n)
    b = rng.standard_normal((n, n))
    af, bf = np.asfortranarray(a), np.asfortranarray(b)

    # matmul: cblas_dgemm on column-major A and B into a preallocated C.
    gemm = _clib.function("cblas_dgemm")
    c = np.empty((n, n), order="F")
    yield Case("matmul C-order", "cblas_dgemm",
               lambda: gemm(COL, NO_TRANS, NO_TRANS, n, n, n, 1.0, af.ctypes.data, n, bf.ctypes.data, n, 0.0,
                            c.ctypes.data, n),
               lambda: None, lambda: lapack_ai.matmul(a, b),
               lambda: gemm(COL, NO_TRANS, NO_TRANS, 0, 0, 0, 1.0, af.ctypes.data, 1, bf.ctypes.data, 1, 0.0,
                            c.ctypes.data, 1))
    yield Case("matmul F-order", "cblas_dgemm",
               lambda: gemm(COL, NO_TRANS, NO_TRANS, n, n, n, 1.0, af.ctypes.data, n, bf.ctypes.data, n, 0.0,
                            c.ctypes.data, n),
               lambda: None, lambda: lapack_ai.matmul(af, bf),
               lambda: gemm(COL, NO_TRANS, NO_TRANS, 0, 0, 0, 1.0, af.ctypes.data, 1, bf.ctypes.data, 1, 0.0,
                            c.ctypes.data, 1))

    # solve: dgesv_ with n right-hand sides; A and B restored before each call.
    gesv = _clib.function("dgesv_")
    wa, wb = np.empty((n, n), order="F"), np.empty((n, n), order="F")
    ipiv = np.empty(n, np.intc)
    ints, p = int_refs(n, n, n, n, 0)
    zeros, z = int_refs(0, 0, 1, 1, 0)

    def restore_solve():  # memcpy: the buffers have the sources' layout
        wa[...] = af
        wb[...] = bf

    yield Case("solve C-order", "dgesv_",
               lambda: gesv(p[0], p[1], wa.ctypes.data, p[2], ipiv.ctypes.data, wb.ctypes.data, p[3], p[4]),
               restore_solve, lambda: lapack_ai.solve(a, b),
               lambda: gesv(z[0], z[1], wa.ctypes.data, z[2], ipiv.ctypes.data, wb.ctypes.data, z[3], z[4]))
    fa, fb = np.empty((n, n), order="F"), np.empty((n, n), order="F")

    def restore_both():
        restore_solve()
        fa[...] = af
        fb[...] = bf

    yield Case("solve F-order", "dgesv_",
               lambda: gesv(p[0], p[1], wa.ctypes.data, p[2], ipiv.ctypes.data, wb.ctypes.data, p[3], p[4]),
               restore_solve, lambda: lapack_ai.solve(af, bf),
               lambda: gesv(z[0], z[1], wa.ctypes.data, z[2], ipiv.ctypes.data, wb.ctypes.data, z[3], z[4]))
    yield Case("solve F, overwrite", "dgesv_",
               lambda: gesv(p[0], p[1], wa.ctypes.data, p[2], ipiv.ctypes.data, wb.ctypes.data, p[3], p[4]),
               restore_both, lambda: lapack_ai.solve(fa, fb, overwrite_a=True, overwrite_b=True),
               lambda: gesv(z[0], z[1], wa.ctypes.data, z[2], ipiv.ctypes.data, wb.ctypes.data, z[3], z[4]))

    # svd, all vectors, of B (B restored before each call): dgesdd_ (the
    # default driver, NumPy's) with its workspace allocated beforehand, and
    # lapack_ai_dgesvdocl (lapack_driver="gesvd") up to n = svd_max.
    gesdd = _clib.function("dgesdd_")
    s, u, vt = np.empty(n), np.empty((n, n), order="F"), np.empty((n, n), order="F")
    iwork = np.empty(8 * n, np.intc)
    sdd_ints, q = int_refs(n, n, n, n, n, -1, 0)
    sdd_zero, qz = int_refs(0, 0, 1, 1, 1, 1, 0)
    jobz = ctypes.c_char(b"A")
    query = np.empty(1)
    gesdd(ctypes.addressof(jobz), q[0], q[1], wb.ctypes.data, q[2], s.ctypes.data, u.ctypes.data, q[3],
          vt.ctypes.data, q[4], query.ctypes.data, q[5], iwork.ctypes.data, q[6], 1)
    sdd_ints[5] = int(query[0])
    work = np.empty(sdd_ints[5])

    def gesdd_direct():
        gesdd(ctypes.addressof(jobz), q[0], q[1], wb.ctypes.data, q[2], s.ctypes.data, u.ctypes.data, q[3],
              vt.ctypes.data, q[4], work.ctypes.data, q[5], iwork.ctypes.data, q[6], 1)
        assert sdd_ints[6] == 0

    def gesdd_trivial():
        gesdd(ctypes.addressof(jobz), qz[0], qz[1], wb.ctypes.data, qz[2], s.ctypes.data, u.ctypes.data, qz[3],
              vt.ctypes.data, qz[4], work.ctypes.data, qz[5], iwork.ctypes.data, qz[6], 1)

    yield Case("svd C-order", "dgesdd_", gesdd_direct, restore_solve, lambda: lapack_ai.svd(b), gesdd_trivial)
    yield Case("svd F, overwrite", "dgesdd_", gesdd_direct, restore_both, lambda: lapack_ai.svd(fb, overwrite_a=True),
               gesdd_trivial)
    if n > svd_max:
        return
    svd = _clib.function("lapack_ai_dgesvdocl")
    superb = np.empty(n)

    def gesvd_direct():
        info = svd(COL, b"A", b"A", n, n, wb.ctypes.data, n, s.ctypes.data, u.ctypes.data, n, vt.ctypes.data, n,
                   superb.ctypes.data)
        assert info == 0

    def gesvd_trivial():
        svd(COL, b"A", b"A", 0, 0, wb.ctypes.data, 1, s.ctypes.data, u.ctypes.data, 1, vt.ctypes.data, 1,
            superb.ctypes.data)

    yield Case("svd gesvd C-order", "lapack_ai_dgesvdocl", gesvd_direct, restore_solve,
               lambda: lapack_ai.svd(b, lapack_driver="gesvd"), gesvd_trivial)
    yield Case("svd gesvd F, overwrite", "lapack_ai_dgesvdocl", gesvd_direct, restore_both,
               lambda: lapack_ai.svd(fb, overwrite_a=True, lapack_driver="gesvd"), gesvd_trivial)


def wrapper_alone(case, reps=200):
    """Seconds the Python function spends outside the library call: the call
    replaced by a no-op returning 0 (success)."""
    real = _clib._bound[case.symbol]
    _clib._bound[case.symbol] = lambda *args: 0
    try:
        runs = []
        for _ in range(reps):
            case.restore()
            runs.append(timed(case.python))
        return min(runs)
    finally:
        _clib._bound[case.symbol] = real


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="512,1024,2048")
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--svd-max", type=int, default=512, help="largest n for the (slow) DGESVD driver")
    parser.add_argument("--only", default="", help="run only cases whose name contains this")
    args = parser.parse_args()
    rng = np.random.default_rng(20261125)
    info = lapack_ai.info()
    print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}  {platform.node()}  {os.cpu_count()} CPUs  "
          f"Python {platform.python_version()}  NumPy {np.__version__}  load {os.getloadavg()[0]:.1f}")
    print(f"# lapack-ai {info['version']}  mode {info['mode']}  device {info['device']}")
    print(f"# CPU LAPACK: {info['cpu']['dgemm_']}  reps {args.reps} (min)")
    print(f"{'case':<22} {'n':>5} {'C API ms':>9} {'+copies':>9} {'Python ms':>9} {'Py-C':>8} {'Py-C+cp':>8} "
          f"{'wrapper us':>10} {'ctypes us':>9} {'overhead':>9}")
    for n in [int(x) for x in args.sizes.split(",")]:
        for case in cases(n, rng, args.svd_max):
            if args.only not in case.name:
                continue
            case.restore()
            case.direct()  # warm-up: first-call resolution, page faults
            case.python()
            direct, copies, python = [], [], []
            for _ in range(args.reps):
                copies.append(timed(case.restore))
                direct.append(timed(case.direct))
                case.restore()
                python.append(timed(case.python))
            td, tp = min(direct), min(python)
            tdc = min(c + d for c, d in zip(copies, direct)) if case.copies else td
            tw = wrapper_alone(case)
            tt = min(timed(case.trivial) for _ in range(1000))
            print(f"{case.name:<22} {n:>5} {td * 1e3:>9.2f} {tdc * 1e3:>9.2f} {tp * 1e3:>9.2f} {(tp - td) / td:>+8.2%} "
                  f"{(tp - tdc) / tdc:>+8.2%} {tw * 1e6:>10.1f} {tt * 1e6:>9.1f} {(tw + tt) / td:>9.3%}", flush=True)


if __name__ == "__main__":
    sys.exit(main())
