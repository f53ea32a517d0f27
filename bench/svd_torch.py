"""cuSOLVER's SVDs (gesvd, gesvdj) through PyTorch, for bench/svd.rs.

Arguments: shapes "MxN". For each shape, stdin holds the M-by-N matrix,
column-major float64, M*N*8 bytes (bench/svd.rs writes them in the order of
the arguments). For each shape, job ("N": values only, torch.linalg.svdvals;
"A": full vectors, torch.linalg.svd(full_matrices=True)) and driver, one
line:
    MxN JOB DRIVER DEVICE_S HOST_S S_1 S_2 ... S_min(M,N)
DEVICE_S: the SVD alone, A already on the GPU; HOST_S: the same call from
host memory, with the copy of A to the GPU before it and the copy of the
results (S, and U and Vh for "A") back to host memory after it. Seconds
from CUDA events, one run when it takes over a second, else the median of
a few. Then the singular values (repr: exact round trip). A line starting
with "#" describes the device. A cell that fails (out of memory, no
convergence) prints no line. Prints nothing, and exits 0, where PyTorch or
CUDA is missing."""
import sys

try:
    import torch
except ImportError:
    sys.exit(0)
if not torch.cuda.is_available():
    sys.exit(0)

DRIVERS = ("gesvd", "gesvdj")


def decompose(a, job, driver):
    """The SVD of the device matrix a; returns the tensors to copy back."""
    if job == "N":
        return (torch.linalg.svdvals(a, driver=driver),)
    u, s, vh = torch.linalg.svd(a, full_matrices=True, driver=driver)
    return (s, u, vh)


def run_once(a_host, job, driver):
    """(device seconds, host seconds, singular values) of one call."""
    ev = [torch.cuda.Event(enable_timing=True) for _ in range(4)]
    ev[0].record()
    a = a_host.to("cuda")
    ev[1].record()
    out = decompose(a, job, driver)
    ev[2].record()
    back = [t.cpu() for t in out]
    ev[3].record()
    torch.cuda.synchronize()
    del a, out
    return ev[1].elapsed_time(ev[2]) / 1e3, ev[0].elapsed_time(ev[3]) / 1e3, back[0]


def measure(a_host, job, driver):
    dev, host, s = run_once(a_host, job, driver)
    if host <= 1.0:
        devs, hosts = [], []
        spent = 0.0
        while len(hosts) < 3 or (spent < 2.0 and len(hosts) < 10):
            d, h, s = run_once(a_host, job, driver)
            devs.append(d)
            hosts.append(h)
            spent += h
        devs.sort()
        hosts.sort()
        dev, host = devs[len(devs) // 2], hosts[len(hosts) // 2]
    return dev, host, s


def main():
    name = torch.cuda.get_device_name()
    print(f"# cuSOLVER via torch {torch.__version__} (CUDA {torch.version.cuda}) on {name}", flush=True)
    # First calls create the cuSOLVER handles and load the kernels.
    warm = torch.randn(64, 64, dtype=torch.float64)
    for driver in DRIVERS:
        for job in ("N", "A"):
            run_once(warm, job, driver)
    stdin = sys.stdin.buffer
    for shape in sys.argv[1:]:
        m, n = (int(x) for x in shape.split("x"))
        data = stdin.read(m * n * 8)
        if len(data) != m * n * 8:
            sys.exit(f"svd_torch.py: stdin ended before the {shape} matrix")
        # Column-major M-by-N: the transpose of a row-major N-by-M.
        a_host = torch.frombuffer(bytearray(data), dtype=torch.float64).view(n, m).t()
        del data
        for job in ("N", "A"):
            for driver in DRIVERS:
                try:
                    dev, host, s = measure(a_host, job, driver)
                except RuntimeError as e:  # also out of memory, LinAlgError
                    print(f"# {shape} {job} {driver}: {str(e).splitlines()[0]}", file=sys.stderr, flush=True)
                    torch.cuda.empty_cache()
                    continue
                values = " ".join(repr(v) for v in s.tolist())
                print(f"{shape} {job} {driver} {dev:.6f} {host:.6f} {values}", flush=True)
                torch.cuda.empty_cache()


main()
