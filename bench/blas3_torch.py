"""cuBLAS's Level-3 BLAS through PyTorch, the peer of issue 19's benchmark:
for each n given, one line per routine

    ROUTINE N RESIDENT_S FROM_HOST_S

RESIDENT_S: the product with its operands already on the GPU (median of 5,
CUDA events); FROM_HOST_S: the same from pageable host memory, as a
program's arrays are (operands up, the product, the result back; median of
3, wall clock). Single precision with TF32 off (IEEE float32, as the
reference computes). cuBLAS has no SYRK/HERK in PyTorch's API: they are
timed as the general product A Aᵀ (A Aᴴ), the "SYRK as a GEMM" of the
issue's table. Prints nothing (exit 0) where PyTorch or CUDA is missing.

Usage: python3 bench/blas3_torch.py 4096 8192
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
torch.backends.cuda.matmul.allow_tf32 = False
torch.backends.cudnn.allow_tf32 = False


def resident(f, reps=5):
    f()
    torch.cuda.synchronize()
    times = []
    for _ in range(reps):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        f()
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    return statistics.median(times)


def from_host(f, reps=3):
    f()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def randn(n, m, dtype):
    return torch.randn(n, m, dtype=dtype)


def case(name, n, dtype, make, run):
    """`make()` gives host tensors; `run(*device tensors)` the result."""
    host = make()
    dev = [x.cuda() for x in host]
    t_res = resident(lambda: run(*dev))
    t_host = from_host(lambda: run(*[x.cuda() for x in host]).cpu())
    print(f"{name} {n} {t_res:.6f} {t_host:.6f}", flush=True)
    del dev, host
    torch.cuda.empty_cache()


for n in (int(x) for x in sys.argv[1:]):
    for name, dtype in [("sgemm", torch.float32), ("dgemm", torch.float64), ("cgemm", torch.complex64),
                        ("zgemm", torch.complex128)]:
        case(name, n, dtype, lambda: (randn(n, n, dtype), randn(n, n, dtype), randn(n, n, dtype)),
             lambda a, b, c: torch.addmm(c, a, b, beta=0.5))
    # ZGEMM as our GPU path computes it: one real product of 2n x 2n by 2n x n.
    case("zgemm_as_dgemm", n, torch.float64, lambda: (randn(2 * n, 2 * n, torch.float64), randn(2 * n, n, torch.float64),
                                                       randn(2 * n, n, torch.float64)),
         lambda a, b, c: torch.addmm(c, a, b, beta=0.5))
    case("dsyrk_as_gemm", n, torch.float64, lambda: (randn(n, n, torch.float64), randn(n, n, torch.float64)),
         lambda a, c: torch.addmm(c, a, a.T, beta=0.5))
    case("zherk_as_gemm", n, torch.complex128, lambda: (randn(n, n, torch.complex128), randn(n, n, torch.complex128)),
         lambda a, c: torch.addmm(c, a, a.conj().T, beta=0.5))
    for name, dtype in [("dtrsm", torch.float64), ("ztrsm", torch.complex128)]:
        def make(dtype=dtype):
            a = torch.tril(randn(n, n, dtype)) + n * torch.eye(n, dtype=dtype)
            return a, randn(n, n, dtype)
        case(name, n, dtype, make, lambda a, b: torch.linalg.solve_triangular(a, b, upper=False))
