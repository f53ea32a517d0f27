"""cuBLAS DGEMM through PyTorch, device-resident: one line per shape,
"MxNxK GFLOP/s", for bench/dgemm.rs. Prints nothing (and exits 0) where
PyTorch or CUDA is missing."""
import sys

try:
    import torch
except ImportError:
    sys.exit(0)
if not torch.cuda.is_available():
    sys.exit(0)

for shape in sys.argv[1:]:
    m, n, k = (int(x) for x in shape.split("x"))
    a = torch.randn(m, k, dtype=torch.float64, device="cuda")
    b = torch.randn(k, n, dtype=torch.float64, device="cuda")
    c = torch.randn(m, n, dtype=torch.float64, device="cuda")
    for _ in range(3):
        torch.addmm(c, a, b, beta=0.5, out=c)
    times = []
    for _ in range(7):
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        start.record()
        torch.addmm(c, a, b, beta=0.5, out=c)
        end.record()
        torch.cuda.synchronize()
        times.append(start.elapsed_time(end) / 1e3)
    times.sort()
    print(f"{shape} {2.0 * m * n * k / times[len(times) // 2] / 1e9:.1f}", flush=True)
    del a, b, c
    torch.cuda.empty_cache()
