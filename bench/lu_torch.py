"""cuSOLVER's LU solve (getrf + getrs) through PyTorch, for bench/lu.rs.

Arguments: cases "N:NRHS". For each, A (N x N) and B (N x NRHS) are drawn
uniformly from (-1, 1) in host memory (ordinary pageable tensors, as a
program holds them), then one line:
    N NRHS DEVICE_S HOST_S HOST_LU_S RESID
DEVICE_S: torch.linalg.solve alone, A and B already on the GPU; HOST_S:
the copy of A and B to the GPU, the solve, and the copy of X back;
HOST_LU_S: as HOST_S but with torch.linalg.lu_factor + lu_solve and the LU
factors copied back too (what DGESV returns); RESID: max over columns of
||B - A X||_1 / (||A||_1 ||X||_1 N eps). Seconds from CUDA events, median
of 3 runs (one when a run takes over 2 s). A line starting with "#"
describes the device. Prints nothing, and exits 0, where PyTorch or CUDA
is missing."""
import sys

try:
    import torch
except ImportError:
    sys.exit(0)
if not torch.cuda.is_available():
    sys.exit(0)


def timed(fn):
    ev = [torch.cuda.Event(enable_timing=True) for _ in range(2)]
    ev[0].record()
    out = fn()
    ev[1].record()
    torch.cuda.synchronize()
    return ev[0].elapsed_time(ev[1]) / 1e3, out


def median(fn):
    t, out = timed(fn)
    if t > 2.0:
        return t, out
    ts = [t]
    for _ in range(2):
        t, out = timed(fn)
        ts.append(t)
    ts.sort()
    return ts[1], out


def main():
    torch.backends.cuda.preferred_linalg_library("cusolver")
    name = torch.cuda.get_device_name()
    print(f"# cuSOLVER via torch {torch.__version__} (CUDA {torch.version.cuda}) on {name}", flush=True)
    w = torch.rand(64, 64, dtype=torch.float64, device="cuda")
    torch.linalg.solve(w, w)
    torch.linalg.lu_solve(*torch.linalg.lu_factor(w), w)
    torch.cuda.synchronize()
    gen = torch.Generator().manual_seed(2026)
    for case in sys.argv[1:]:
        n, nrhs = (int(x) for x in case.split(":"))
        a_host = torch.rand(n, n, dtype=torch.float64, generator=gen) * 2 - 1
        b_host = torch.rand(n, nrhs, dtype=torch.float64, generator=gen) * 2 - 1
        try:
            a, b = a_host.cuda(), b_host.cuda()
            dev, _ = median(lambda: torch.linalg.solve(a, b))
            del a, b
            host, x = median(lambda: torch.linalg.solve(a_host.cuda(), b_host.cuda()).cpu())

            def with_factors():
                lu, piv = torch.linalg.lu_factor(a_host.cuda())
                x = torch.linalg.lu_solve(lu, piv, b_host.cuda())
                return lu.cpu(), piv.cpu(), x.cpu()

            host_lu, _ = median(with_factors)
        except RuntimeError as e:  # out of memory
            print(f"# {case}: {str(e).splitlines()[0]}", file=sys.stderr, flush=True)
            torch.cuda.empty_cache()
            continue
        r = (b_host - a_host @ x).abs().sum(0)
        ratio = (r / (a_host.abs().sum(0).max() * x.abs().sum(0) * n * 2.0**-52)).max().item()
        print(f"{n} {nrhs} {dev:.6f} {host:.6f} {host_lu:.6f} {ratio:.3f}", flush=True)
        del a_host, b_host, x
        torch.cuda.empty_cache()


main()
