"""cuSOLVER's Cholesky (potrf) and QR (geqrf) through PyTorch, the peers
of issue 20's benchmark: for each n given, one line per routine

    ROUTINE N RESIDENT_S FROM_HOST_S

RESIDENT_S: torch.linalg.cholesky of an SPD double matrix (torch.geqrf of
a random one) already on the GPU (median of 5, CUDA events); FROM_HOST_S:
the same from pageable host memory, as a program's array is (A up, the
factorization, the factors back; median of 3, wall clock). Prints nothing
(exit 0) where PyTorch or CUDA is missing.

Usage: python3 bench/factor_torch.py 4096 8192
"""
import statistics
import sys
import time

try:
    import torch
except ImportError:
    sys.exit(0)
if not torch.cuda.is_available():
    sys.exit(0)


def timed(routine, n, a, f):
    ad = a.cuda()
    f(ad)
    torch.cuda.synchronize()
    times = []
    for _ in range(5):
        s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        s.record()
        f(ad)
        e.record()
        torch.cuda.synchronize()
        times.append(s.elapsed_time(e) / 1e3)
    host = []
    for _ in range(3):
        t = time.perf_counter()
        out = f(a.cuda())
        for x in out if isinstance(out, tuple) else (out,):
            x.cpu()
        host.append(time.perf_counter() - t)
    print(f"{routine} {n} {statistics.median(times):.6f} {statistics.median(host):.6f}", flush=True)


for n in map(int, sys.argv[1:]):
    g = torch.Generator().manual_seed(n)
    b = torch.rand((n, n), generator=g, dtype=torch.float64) * 2 - 1
    timed("dpotrf", n, (b + b.T) / 2 + n * torch.eye(n, dtype=torch.float64), torch.linalg.cholesky)
    timed("dgeqrf", n, b, lambda x: tuple(torch.geqrf(x)))
