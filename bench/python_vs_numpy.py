"""`import lapack_ai` against NumPy itself, in one process, on a machine's CPU.

A user who installs NumPy with pip and then `lapack_ai` must not get a
slower `svd`, `solve` or `matmul` than NumPy's own where the GPU is not
used. This times each pair alternately (lapack_ai's function, then
NumPy's, on the same input), the median of `--reps` runs of each, and
prints the ratio lapack_ai / NumPy with the CPU library the library's CPU
path resolved to (from `lapack_ai.info()`).

    LAPACK_AI_MODE=cpu target/python-venv/bin/python bench/python_vs_numpy.py [--n 1000] [--reps 7]

Without LAPACK_AI_MODE=cpu the library may route a call to a GPU (the
comparison is then the GPU against NumPy's CPU).
"""

import argparse
import os
import platform
import statistics
import time

import numpy as np

import lapack_ai


def timed(f):
    t0 = time.perf_counter()
    f()
    return time.perf_counter() - t0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--n", type=int, default=1000)
    p.add_argument("--reps", type=int, default=7)
    args = p.parse_args()
    n = args.n
    rng = np.random.default_rng(20261207)
    a = rng.standard_normal((n, n))
    b = rng.standard_normal((n, n))
    pairs = [
        ("svd", lambda: lapack_ai.svd(a), lambda: np.linalg.svd(a)),
        ("solve", lambda: lapack_ai.solve(a, b), lambda: np.linalg.solve(a, b)),
        ("matmul", lambda: lapack_ai.matmul(a, b), lambda: np.matmul(a, b)),
    ]
    info = lapack_ai.info()
    cpu = info["cpu"].get("dgesdd_", "?")
    print(f"# {platform.node()} {platform.machine()}, {os.cpu_count()} cpus, numpy {np.__version__}, "
          f"lapack_ai {info['version']}, "
          f"mode {os.environ.get('LAPACK_AI_MODE', 'auto')}, n={n}, median of {args.reps}")
    print(f"# cpu dgesdd_: {cpu}")
    print(f"{'call':8} {'lapack_ai s':>12} {'numpy s':>10} {'ratio':>7}")
    worst = 0.0
    for name, ours, theirs in pairs:
        ours(), theirs()  # first calls: resolution, thread pools
        t_ours, t_theirs = [], []
        for _ in range(args.reps):
            t_ours.append(timed(ours))
            t_theirs.append(timed(theirs))
        mo, mt = statistics.median(t_ours), statistics.median(t_theirs)
        worst = max(worst, mo / mt)
        print(f"{name:8} {mo:12.4f} {mt:10.4f} {mo / mt:7.2f}")
    print(f"# worst ratio {worst:.2f}")


if __name__ == "__main__":
    main()
