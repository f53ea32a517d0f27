"""Debian's NumPy as a real client of the Cholesky and QR routines: run by
tests/consumers.sh twice, plainly and with liblapack_ai.so preloaded (every
GPU path forced onto PoCL); each run prints its results to a file, and the
test compares the two to rounding. Nothing here knows about lapack-ai.

Usage: python3 numpy_client.py OUT.npz"""
import sys

import numpy as np

rng = np.random.default_rng(20)
out = {}
for n in (1, 33, 130, 300):
    b = rng.standard_normal((n, n))
    spd = b @ b.T + n * np.eye(n)
    out[f"chol{n}"] = np.linalg.cholesky(spd)
    out[f"solve{n}"] = np.linalg.solve(spd, rng.standard_normal((n, 3)))
for m, n in ((1, 1), (40, 17), (17, 40), (250, 200), (200, 250)):
    a = rng.standard_normal((m, n))
    q, r = np.linalg.qr(a)
    out[f"q{m}x{n}"], out[f"r{m}x{n}"] = q, r
    out[f"rraw{m}x{n}"] = np.linalg.qr(a, mode="r")
# Not positive definite: NumPy raises, as it does without the library.
try:
    np.linalg.cholesky(-np.eye(5))
    out["notpd"] = np.array([0.0])
except np.linalg.LinAlgError:
    out["notpd"] = np.array([1.0])
np.savez(sys.argv[1], **out)
print("done")
