"""The workload the quick start preloads lapack-ai into: plain NumPy, as a
user would write it. Nothing here knows about lapack-ai; the library is
put under it with LD_PRELOAD by tools/demo.sh, and its log (stderr) shows
where each BLAS/LAPACK call went and how long it took."""
import time

import numpy as np

rng = np.random.default_rng(2026)


def timed(what, f):
    t = time.perf_counter()
    r = f()
    print(f"{what:<42} {1e3 * (time.perf_counter() - t):9.1f} ms", flush=True)
    return r


a = rng.standard_normal((1500, 1000))
b = rng.standard_normal((1000, 1200))
c = timed("matmul 1500x1000 @ 1000x1200 (cblas_dgemm)", lambda: a @ b)
m = rng.standard_normal((1000, 1000))
rhs = rng.standard_normal((1000, 3))
x = timed("solve 1000x1000, 3 rhs (dgesv_)", lambda: np.linalg.solve(m, rhs))
print(f"  residual |Mx - b|/(|M||x|) = {np.linalg.norm(m @ x - rhs) / (np.linalg.norm(m) * np.linalg.norm(x)):.1e}")
s = timed("singular values 800x600 (dgesdd_)", lambda: np.linalg.svd(a[:800, :600], compute_uv=False))
u, s2, vt = timed("full SVD 600x400 (dgesdd_)", lambda: np.linalg.svd(a[:600, :400]))
print(f"  |A - U S Vt|/|A| = {np.linalg.norm(a[:600, :400] - (u[:, :400] * s2) @ vt) / np.linalg.norm(a[:600, :400]):.1e}")
spd = m @ m.T + 1000.0 * np.eye(1000)
lo = timed("cholesky 1000x1000 (dpotrf_)", lambda: np.linalg.cholesky(spd))
print(f"  |A - L Lt|/|A| = {np.linalg.norm(spd - lo @ lo.T) / np.linalg.norm(spd):.1e}")
q, r = timed("QR 1200x800 (dgeqrf_, dorgqr_)", lambda: np.linalg.qr(a[:1200, :800]))
print(f"  |A - Q R|/|A| = {np.linalg.norm(a[:1200, :800] - q @ r) / np.linalg.norm(a[:1200, :800]):.1e}")
