#!/usr/bin/env python3
"""The benchmark results as pictures: speed against n, lapack-ai beside each
peer measured in the same run, one SVG per routine, into bench/plots/.

    python3 bench/plot.py            # from the repository root, or anywhere

Python 3's standard library only (the SVG is written directly), so that
anyone can re-run it. Every number comes from a raw result file in
bench/results/ (named in each plot's footer), parsed as the benchmark
printed it; nothing is typed in here but the H100 entries' machine, as
bench/RESULTS.md gives it (the suite's plots read theirs from the run's
summary). Output is deterministic: the same files give the same SVGs byte
for byte.

Plots (each fig_* function below names its file, machine and command):
  dgemm.svg        DGEMM, GFLOP/s against n (bench/dgemm.rs)
  dgesv.svg        DGESV, GFLOP/s against n, NRHS 1 and 1000 (bench/lu.rs)
  svd.svg          SVD, seconds against n, values only and all vectors
                   (bench/svd.rs)
  dgemm_alpha.svg  DGEMM_ALPHA against plain DGEMM on the same GPU,
                   TFLOP/s of the classical flop count (bench/alpha.rs)
  suite.svg        13 LAPACK drivers in unmodified programs, seconds
                   against n: OpenBLAS alone, NVBLAS, lapack-ai
                   (bench/suite.c via bench/issue17_device.sh), H200
  suite-h100-check.svg  the same for the later H100 run of 11 of those
                   workloads, when its raw file is present
"""
import math
import os
import re
import sys
from xml.sax.saxutils import escape

HERE = os.path.dirname(os.path.abspath(__file__))
RESULTS = os.path.join(HERE, "results")
PLOTS = os.path.join(HERE, "plots")

H100 = ("NVIDIA H100 80GB HBM3 (driver 580.159.04, OpenCL 3.0 via CUDA 13), "
        "16 host cores, OpenBLAS 0.3.26 on all 16")

# Colours: lapack-ai in reds and oranges, CPU peers grey, NVIDIA's libraries
# green, CLBlast purple. Line style: solid = from the caller's host memory
# (what a program's call costs), dashed = operands already on the GPU.
OURS, OURS2 = "#c62828", "#ef6c00"
CPU, CPU2 = "#616161", "#9e9e9e"
NV, NV2, NV3 = "#2e7d32", "#66bb6a", "#00897b"
CLB = "#5e35b1"
NVBLAS = "#1565c0"
DASH, DOT = "7 4", "2 3"


def die(msg):
    sys.exit(f"bench/plot.py: {msg}")


def read(name):
    path = os.path.join(RESULTS, name)
    if not os.path.exists(path):
        die(f"missing raw file bench/results/{name}")
    with open(path, encoding="utf-8") as f:
        return f.read()


def num(s):
    """A table cell: a float, or None for '-' (not measured)."""
    try:
        return float(s)
    except ValueError:
        return None


def date_of(name):
    return name[:10]


# ---------------------------------------------------------------- parsers

def parse_dgemm(name):
    """bench/dgemm.rs: 'm x n x k  kernel host auto cpu clblast cublas | ratios'
    (GFLOP/s). Square products only (the plot's n)."""
    rows = {}
    for line in read(name).splitlines():
        m = re.match(r"\s*(\d+)x(\d+)x(\d+)\s+(.*?)\|", line)
        if not m or not (m.group(1) == m.group(2) == m.group(3)):
            continue
        cells = m.group(4).split()
        rows[int(m.group(1))] = dict(zip(["kernel", "host", "auto", "cpu", "clblast", "cublas"], map(num, cells)))
    return rows


def parse_lu(name):
    """bench/lu.rs: 'n nrhs ours getrf_d getrs_d openblas cusolver cus_h cus_h_lu |'
    (seconds). Rows that start with a variable (variants) are left out."""
    rows = {}
    cols = ["ours", "getrf_d", "getrs_d", "openblas", "cusolver", "cus_h", "cus_h_lu"]
    for line in read(name).splitlines():
        m = re.match(r"\s*(\d+)\s+(\d+)\s+(.*?)\|", line)
        if m:
            rows[(int(m.group(1)), int(m.group(2)))] = dict(zip(cols, map(num, m.group(3).split())))
    return rows


def parse_svd(name):
    """bench/svd.rs: 'm x n job ocl dgesvd dgesdd gesvd gesvd_h gesvdj gesvdj_h |'
    (seconds). Square matrices only (the plot's n)."""
    rows = {}
    cols = ["ocl", "dgesvd", "dgesdd", "gesvd", "gesvd_h", "gesvdj", "gesvdj_h"]
    for line in read(name).splitlines():
        m = re.match(r"\s*(\d+)x(\d+)\s+([NA])\s+(.*?)\|", line)
        if m and m.group(1) == m.group(2):
            cells = [c.rstrip("!") for c in m.group(4).split()]
            rows[(int(m.group(1)), m.group(3))] = dict(zip(cols, map(num, cells)))
    return rows


def parse_alpha(name):
    """bench/alpha.rs: 'n method seconds TFLOP/s ...'."""
    rows = {}
    for line in read(name).splitlines():
        m = re.match(r"\s*(\d+) (plain DGEMM kernel|\w+ L\d)\s+([\d.]+)\s+([\d.]+)", line)
        if m:
            rows[(int(m.group(1)), m.group(2))] = float(m.group(4))
    return rows


def parse_suite(name):
    """bench/issue17_device.sh's raw file: 'variant routine n config rep
    seconds status', one line per process; the best of the repetitions
    that ended ok, as the run's own table takes it."""
    best = {}
    for line in read(name).splitlines():
        w = line.split()
        if len(w) != 7 or w[6] != "ok":
            continue
        key = (w[0], w[1], int(w[2]), w[3])
        t = float(w[5])
        best[key] = min(t, best.get(key, t))
    return best


# ---------------------------------------------------------------- drawing

def fmt(v):
    if v >= 1000:
        s = f"{v:,.0f}".replace(",", "\u2009")
    elif v >= 1:
        s = f"{v:g}"
    else:
        s = f"{v:.6f}".rstrip("0")
    return s


def log_ticks(lo, hi, small=False):
    """Ticks for a log10 axis: decades, plus 2 and 5 (or 3) when it spans few."""
    a, b = math.floor(math.log10(lo)), math.ceil(math.log10(hi))
    if small:
        steps = (1, 2, 5) if b - a <= 1 else (1, 3) if b - a <= 2 else (1,)
    else:
        steps = (1, 2, 5) if b - a <= 3 else (1,)
    ticks = [m * 10.0 ** e for e in range(a, b + 1) for m in steps]
    inside = [t for t in ticks if lo / 1.0001 <= t <= hi * 1.0001]
    return inside if len(inside) >= 2 else [10.0 ** a, 10.0 ** b]


class Svg:
    def __init__(self, width, height):
        self.w, self.h, self.parts = width, height, []

    def add(self, s):
        self.parts.append(s)

    def text(self, x, y, s, size=12, anchor="start", weight="normal", fill="#212121", rotate=None, italic=False):
        tr = f' transform="rotate({rotate} {x:.1f} {y:.1f})"' if rotate else ""
        st = ' font-style="italic"' if italic else ""
        self.add(f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
                 f'font-weight="{weight}" fill="{fill}"{st}{tr}>{escape(s)}</text>')

    def line(self, x1, y1, x2, y2, stroke="#000", width=1, dash=None):
        d = f' stroke-dasharray="{dash}"' if dash else ""
        self.add(f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{stroke}" stroke-width="{width}"{d}/>')

    def marker(self, kind, x, y, color, r=3.6):
        if kind == "o":
            self.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="{color}"/>')
        elif kind == "O":
            self.add(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{r}" fill="#fff" stroke="{color}" stroke-width="1.6"/>')
        elif kind == "s":
            self.add(f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" fill="{color}"/>')
        elif kind == "S":
            self.add(f'<rect x="{x - r:.1f}" y="{y - r:.1f}" width="{2 * r:.1f}" height="{2 * r:.1f}" fill="#fff" stroke="{color}" stroke-width="1.6"/>')
        elif kind in "^v":
            s = -1 if kind == "^" else 1
            pts = f"{x:.1f},{y + s * r * 1.2:.1f} {x - r * 1.1:.1f},{y - s * r * 0.8:.1f} {x + r * 1.1:.1f},{y - s * r * 0.8:.1f}"
            self.add(f'<polygon points="{pts}" fill="{color}"/>')
        elif kind == "d":
            pts = f"{x:.1f},{y - r * 1.3:.1f} {x + r:.1f},{y:.1f} {x:.1f},{y + r * 1.3:.1f} {x - r:.1f},{y:.1f}"
            self.add(f'<polygon points="{pts}" fill="{color}"/>')
        elif kind == "x":
            self.line(x - r, y - r, x + r, y + r, color, 1.8)
            self.line(x - r, y + r, x + r, y - r, color, 1.8)

    def save(self, path):
        body = "\n".join(self.parts)
        doc = (f'<?xml version="1.0" encoding="UTF-8"?>\n'
               f'<svg xmlns="http://www.w3.org/2000/svg" width="{self.w}" height="{self.h}" '
               f'viewBox="0 0 {self.w} {self.h}" font-family="DejaVu Sans, Helvetica, Arial, sans-serif">\n'
               f'<rect width="100%" height="100%" fill="#ffffff"/>\n{body}\n</svg>\n')
        with open(path, "w", encoding="utf-8") as f:
            f.write(doc)


def panel(svg, x0, y0, w, h, title, series, xlabel, ylabel, xticks=None, small=False):
    """One log-log chart at (x0, y0), w x h including its axis labels.
    series: list of dicts name, color, dash, marker, points [(n, value|None)]."""
    left, bottom, top, right = (52, 36, 22, 10) if small else (70, 46, 26, 14)
    px, py, pw, ph = x0 + left, y0 + top, w - left - right, h - top - bottom
    xs = [n for s in series for n, v in s["points"] if v is not None]
    ys = [v for s in series for n, v in s["points"] if v is not None]
    if not xs:
        return
    xt = xticks or sorted(set(xs))
    xlo, xhi = min(min(xs), min(xt)), max(max(xs), max(xt))
    if xlo == xhi:
        xlo, xhi = xlo / 2, xhi * 2
    ylo, yhi = min(ys), max(ys)
    yt = log_ticks(10 ** math.floor(math.log10(ylo)), 10 ** math.ceil(math.log10(yhi)), small)
    # The y range: the data padded by a little, widened to the nearest ticks inside a decade.
    ylo_a, yhi_a = math.log10(ylo) - 0.08, math.log10(yhi) + 0.08
    yt = [t for t in yt if ylo_a - 0.35 <= math.log10(t) <= yhi_a + 0.35]
    ylo_a = min(ylo_a, math.log10(min(yt)))
    yhi_a = max(yhi_a, math.log10(max(yt)))
    xlo_a, xhi_a = math.log2(xlo) - 0.25, math.log2(xhi) + 0.25

    def X(n):
        return px + (math.log2(n) - xlo_a) / (xhi_a - xlo_a) * pw

    def Y(v):
        return py + ph - (math.log10(v) - ylo_a) / (yhi_a - ylo_a) * ph

    fs = 10 if small else 11
    svg.text(px + pw / 2, y0 + top - 8, title, size=12 if small else 13, anchor="middle", weight="bold")
    svg.add(f'<rect x="{px:.1f}" y="{py:.1f}" width="{pw:.1f}" height="{ph:.1f}" fill="#fafafa" stroke="#bdbdbd"/>')
    for t in yt:
        svg.line(px, Y(t), px + pw, Y(t), "#e0e0e0")
        svg.text(px - 5, Y(t) + 4, fmt(t), size=fs, anchor="end", fill="#424242")
    label_every = 1 if len(xt) <= 9 else 2
    for i, n in enumerate(xt):
        svg.line(X(n), py, X(n), py + ph, "#eeeeee")
        svg.line(X(n), py + ph, X(n), py + ph + 4, "#757575")
        if i % label_every == 0:
            svg.text(X(n), py + ph + 15, fmt(n), size=fs, anchor="middle", fill="#424242")
    svg.text(px + pw / 2, py + ph + (30 if small else 34), xlabel, size=fs, anchor="middle")
    svg.text(x0 + (13 if small else 15), py + ph / 2, ylabel, size=fs, anchor="middle", rotate=-90)
    for s in series:
        seg = []
        for n, v in s["points"] + [(None, None)]:
            if v is None:
                if len(seg) > 1:
                    d = " ".join(f"{X(a):.1f},{Y(b):.1f}" for a, b in seg)
                    dash = f' stroke-dasharray="{s["dash"]}"' if s.get("dash") else ""
                    svg.add(f'<polyline points="{d}" fill="none" stroke="{s["color"]}" '
                            f'stroke-width="{s.get("width", 2)}"{dash} stroke-linejoin="round"/>')
                seg = []
            else:
                seg.append((n, v))
        for n, v in s["points"]:
            if v is not None:
                svg.marker(s["marker"], X(n), Y(v), s["color"], r=3 if small else 3.6)


def legend(svg, x0, y0, width, series, cols):
    """The series' names in `cols` columns from (x0, y0); returns its height."""
    colw = width / cols
    for i, s in enumerate(series):
        x, y = x0 + (i % cols) * colw, y0 + (i // cols) * 18
        dash = f' stroke-dasharray="{s["dash"]}"' if s.get("dash") else ""
        svg.add(f'<line x1="{x:.1f}" y1="{y - 4:.1f}" x2="{x + 30:.1f}" y2="{y - 4:.1f}" stroke="{s["color"]}" '
                f'stroke-width="{s.get("width", 2)}"{dash}/>')
        svg.marker(s["marker"], x + 15, y - 4, s["color"])
        svg.text(x + 38, y, s["name"], size=11)
    return ((len(series) + cols - 1) // cols) * 18


def wrap(text, width, size, em=0.55):
    """Lines of at most `width` pixels (an estimate: DejaVu Sans averages
    about 0.55 em a character, 0.6 in bold), broken after '; ' or ', ' or
    at spaces."""
    most = max(20, int(width / (em * size)))
    lines, rest = [], text
    while len(rest) > most:
        cut = max(rest.rfind("; ", 0, most), rest.rfind(", ", 0, most))
        cut = cut + 1 if cut > most * 4 // 5 else rest.rfind(" ", 0, most)
        cut = cut if cut > 0 else most
        lines.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return lines + [rest]


def figure(path, title, machine, panels, series_keys, footer, cols=2, legend_cols=2, panel_w=470, panel_h=330, small=False):
    """A titled figure of panels (each: title, series, xlabel, ylabel[, xticks])
    with one legend (series_keys: the series in legend order) and footer
    lines. The legend goes into the last row's empty cells if there are two
    or more, else below the panels."""
    rows = (len(panels) + cols - 1) // cols
    width = cols * panel_w + 20
    titles = wrap(title, width - 28, 16, 0.6)
    machines = wrap(machine, width - 28, 11.5)
    footers = wrap(" ".join(footer), width - 28, 10.5)
    free = rows * cols - len(panels)
    inside = free >= 2
    leg_rows = 0 if inside else (len(series_keys) + legend_cols - 1) // legend_cols
    head = 8 + 22 * len(titles) + 16 * len(machines)
    height = head + rows * panel_h + (14 + leg_rows * 18 if leg_rows else 0) + 12 + len(footers) * 15 + 8
    svg = Svg(width, height)
    y = 8
    for t in titles:
        y += 22
        svg.text(14, y - 6, t, size=16, weight="bold")
    for m in machines:
        y += 16
        svg.text(14, y - 2, m, size=11.5, fill="#424242")
    for i, p in enumerate(panels):
        r, c = divmod(i, cols)
        panel(svg, 10 + c * panel_w, head + r * panel_h, panel_w, panel_h, *p, small=small)
    if inside:
        c = len(panels) - (rows - 1) * cols
        legend(svg, 10 + c * panel_w + 30, head + (rows - 1) * panel_h + 50, free * panel_w - 40, series_keys, 1)
        y = head + rows * panel_h + 12
    else:
        y = head + rows * panel_h + 22
        y += legend(svg, 24, y, width - 40, series_keys, legend_cols) + 8
    for line in footers:
        svg.text(14, y, line, size=10.5, fill="#616161")
        y += 15
    svg.save(path)
    return os.path.relpath(path, os.path.dirname(HERE))


def S(name, color, marker, dash=None, width=2):
    return dict(name=name, color=color, marker=marker, dash=dash, width=width)


def with_points(style, points):
    s = dict(style)
    s["points"] = points
    return s


# ---------------------------------------------------------------- figures

def fig_dgemm():
    src = "2026-11-25-h100-dgemm-final-run1.txt"
    rows = parse_dgemm(src)
    ns = sorted(rows)
    styles = [
        ("host", S("lapack-ai dgemm_ from host memory (LAPACK_AI_MODE=gpu)", OURS, "o")),
        ("auto", S("lapack-ai dgemm_, cost model (auto: CPU or GPU)", OURS2, "d", width=1.6)),
        ("kernel", S("lapack-ai kernel, operands on the GPU", OURS, "O", DASH)),
        ("cpu", S("OpenBLAS dgemm_, 16 cores", CPU, "s")),
        ("cublas", S("cuBLAS (PyTorch), operands on the GPU", NV, "^", DASH)),
        ("clblast", S("CLBlast 1.5.3, operands on the GPU", CLB, "v", DASH)),
    ]
    series = [with_points(st, [(n, rows[n][k]) for n in ns]) for k, st in styles]
    return figure(
        os.path.join(PLOTS, "dgemm.svg"),
        f"DGEMM (C = A B + 0.5 C, square n), {date_of(src)}: higher is faster",
        H100 + "; cuBLAS via PyTorch 2.11 (cu130)",
        [("GFLOP/s (2n\u00b3 flops / median time)", series, "n (log scale)", "GFLOP/s (log scale)")],
        series,
        [f"Source: bench/results/{src} (run 1; run 2 of the same call: ...-final-run2.txt), from bench/dgemm.rs:",
         "LAPACK_AI_DEVICE=nvidia BENCH_OPENBLAS=... BENCH_CLBLAST=... target/release/examples/dgemm 16384 (bench/dgemm_device.sh).",
         "OpenBLAS not run above 8192 (16 s a product). Drawn by python3 bench/plot.py; the tables: bench/RESULTS.md."],
        cols=1, legend_cols=1, panel_w=760, panel_h=400)


def fig_dgesv():
    src = "2026-11-25-h100-lu-run2.txt"
    rows = parse_lu(src)
    styles = [
        ("ours", S("lapack-ai dgesv_ from host memory (factors, IPIV, X back)", OURS, "o")),
        ("dev", S("lapack-ai getrf + getrs, data on the GPU", OURS, "O", DASH)),
        ("openblas", S("OpenBLAS dgesv_, 16 cores", CPU, "s")),
        ("cus_h", S("cuSOLVER solve from host memory (X back)", NV, "^")),
        ("cus_h_lu", S("cuSOLVER lu_factor + lu_solve from host (factors, X back)", NV3, "d", DOT)),
        ("cusolver", S("cuSOLVER solve, data on the GPU", NV2, "v", DASH)),
    ]
    panels = []
    for nrhs in (1, 1000):
        ns = sorted(n for n, r in rows if r == nrhs)

        def rate(n, k):
            row = rows[(n, nrhs)]
            t = row["getrf_d"] + row["getrs_d"] if k == "dev" and row["getrf_d"] is not None else row.get(k)
            return None if t is None else (2 / 3 * n ** 3 + 2 * n * n * nrhs) / t / 1e9

        series = [with_points(st, [(n, rate(n, k)) for n in ns]) for k, st in styles]
        panels.append((f"NRHS = {nrhs}", series, "n (log scale)", "GFLOP/s (log scale)"))
    return figure(
        os.path.join(PLOTS, "dgesv.svg"),
        f"DGESV (solve A X = B, LU with partial pivoting), {date_of(src)}: higher is faster",
        H100 + "; cuSOLVER via PyTorch 2.11 (cu130)",
        panels, panels[0][1],
        [f"Source: bench/results/{src}, from bench/lu.rs (bench/lu_device.sh): median of 3 runs (1 above 2 s);",
         "rate = (2n\u00b3/3 + 2n\u00b2 NRHS) / time. n = 32768: same call, OpenBLAS not run (about a minute).",
         "Drawn by python3 bench/plot.py; the tables: bench/RESULTS.md."])


def fig_svd():
    src = "2026-11-25-h100-svd-two-stage-run.txt"
    rows = parse_svd(src)
    styles = [
        ("ocl", S("lapack-ai dgesvd_/dgesdd_/DGESVDOCL from host memory", OURS, "o")),
        ("dgesdd", S("OpenBLAS dgesdd_, 16 cores", CPU, "s")),
        ("dgesvd", S("OpenBLAS dgesvd_, 16 cores", CPU2, "S")),
        ("gesvd_h", S("cuSOLVER gesvd from host memory", NV, "^")),
        ("gesvdj_h", S("cuSOLVER gesvdj (Jacobi) from host memory", NV3, "d")),
        ("gesvd", S("cuSOLVER gesvd, A on the GPU", NV2, "v", DASH)),
    ]
    panels = []
    for job, what in (("N", "singular values only"), ("A", "all singular vectors (JOBU = JOBVT = 'A')")):
        ns = sorted(n for n, j in rows if j == job)
        series = [with_points(st, [(n, rows[(n, job)][k]) for n in ns]) for k, st in styles]
        panels.append((what, series, "n (square n x n, log scale)", "seconds (log scale)"))
    return figure(
        os.path.join(PLOTS, "svd.svg"),
        f"SVD (two-stage GPU SVD), {date_of(src)}: lower is faster",
        H100 + "; cuSOLVER via PyTorch 2.11 (CUDA 13.0)",
        panels, panels[0][1],
        [f"Source: bench/results/{src}, from bench/svd.rs (target/release/examples/svd 8192, command in bench/RESULTS.md),",
         "every column from that one run. OpenBLAS dgesvd_ with vectors and dgesdd_ at 8192 with vectors not run (minutes);",
         "16384 x 1024 is in the table, not here. Drawn by python3 bench/plot.py; the tables: bench/RESULTS.md."])


def fig_alpha():
    src = "2026-11-25-h100-alpha-run2-device.txt"
    rows = parse_alpha(src)
    ns = sorted({n for n, _ in rows})
    styles = [
        ("dps48 L1", S("DGEMM_ALPHA dps48, one level", OURS, "o")),
        ("strassen49 L1", S("DGEMM_ALPHA strassen49, one level", OURS2, "d")),
        ("plain DGEMM kernel", S("lapack-ai DGEMM kernel (plain)", CPU, "s")),
        ("dps48 L2", S("dps48, two levels", OURS, "O", DOT, 1.4)),
        ("strassen49 L2", S("strassen49, two levels", OURS2, "x", DOT, 1.4)),
    ]
    series = [with_points(st, [(n, rows.get((n, k))) for n in ns]) for k, st in styles]
    return figure(
        os.path.join(PLOTS, "dgemm_alpha.svg"),
        f"DGEMM_ALPHA (4x4 block schemes) against plain DGEMM on one GPU, {date_of(src)}: higher is faster",
        H100 + "; all operands on the GPU",
        [("TFLOP/s of the classical 2n\u00b3 flops (so that rates compare)", series, "n (log scale)", "TFLOP/s (log scale)")],
        series,
        [f"Source: bench/results/{src} (run 2), from bench/alpha.rs:",
         "LAPACK_AI_DEVICE=nvidia target/release/examples/alpha device 8192 16384 32768; one warm-up, best of 2.",
         "Two levels not measured at 32768. Drawn by python3 bench/plot.py; the tables: bench/RESULTS.md."],
        cols=1, legend_cols=2, panel_w=760, panel_h=360)


def suite_header(raw):
    """The machine, GPU and repetitions from the summary printed beside a
    bench/issue17_device.sh raw file (NAME-raw.txt -> NAME.txt)."""
    head = read(raw.replace("-raw.txt", ".txt"))
    get = lambda key: (re.search(rf"^\s*{key}:\s*(.*)$", head, re.M) or [None, ""])[1].strip()
    gpu = get("gpu").split(", ")
    cores = get("machine").split(",")[0]
    blas = re.search(r"libopenblas\w*-r([\d.]+)\.so", get("openblas"))
    reps = re.search(r"reps (\d+)", head)
    machine = (f"{gpu[0]} (driver {gpu[1]}), {cores.replace(' cores', '')} host cores, "
               f"OpenBLAS {blas.group(1) if blas else '?'} as LAPACK and BLAS")
    return machine, int(reps.group(1)) if reps else None


def suite_figure(src, out, build, notes):
    """bench/suite.c run by bench/issue17_device.sh: one panel per driver."""
    best = parse_suite(src)
    machine, reps = suite_header(src)
    routines = []
    for (_, r, _, _) in best:  # in the order the run took them
        if r not in routines:
            routines.append(r)
    styles = [
        ("auto", S("lapack-ai preloaded, auto (cost model)", OURS, "o")),
        ("gpu", S("lapack-ai preloaded, LAPACK_AI_MODE=gpu", OURS2, "d", DASH, 1.6)),
        ("none", S("OpenBLAS alone (no preload)", CPU, "s")),
        ("nvblas", S("NVBLAS preloaded (CPU: OpenBLAS)", NVBLAS, "^")),
    ]
    all_n = sorted({n for (_, _, n, _) in best})
    xt = [2 ** e for e in range(int(math.log2(min(all_n))), int(math.log2(max(all_n))) + 1)]
    panels = []
    for r in routines:
        ns = sorted({n for (v, rr, n, c) in best if rr == r})
        series = [with_points(st, [(n, best.get(("openblas", r, n, k))) for n in ns]) for k, st in styles]
        panels.append((r, series, "n", "seconds", xt))
    return figure(
        os.path.join(PLOTS, out),
        f"LAPACK drivers in unmodified programs (one driver per process), {date_of(src)}: lower is faster",
        machine + "; NVBLAS from CUDA 13 preloaded over it" + (f"; lapack-ai {build}" if build else ""),
        panels, panels[0][1],
        [f"Source: bench/results/{src} (one line per process) and the summary beside it, from bench/issue17_device.sh "
         f"running bench/suite.c; seconds of the driver call as the program timed it, best of up to {reps or '?'} "
         "repetitions; log scales. " + " ".join(notes) + " Drawn by python3 bench/plot.py; the tables: bench/RESULTS.md."],
        cols=4, legend_cols=2, panel_w=250, panel_h=210, small=True)


def fig_suite():
    return suite_figure(
        "2026-12-07-h200-issue17-raw.txt", "suite.svg", "a34316f",
        ["auto's dgetrf 4096 (sent to the GPU) and dgesvd 512 (kept on the CPU) were misrouted in this run; both were"
         " fixed after it (bench/RESULTS.md). dgesdd 4096 and dsyev 2048 did not fit the run's time budget."])


def fig_suite_check():
    """The later, shorter run of the same workloads on the H100, if its raw
    file is there."""
    src = "2026-12-07-h100-issue17-check-raw.txt"
    if not os.path.exists(os.path.join(RESULTS, src)):
        return f"nothing for bench/plots/suite-h100-check.svg (no bench/results/{src})"
    return suite_figure(src, "suite-h100-check.svg", None, [])


FIGURES = [fig_dgemm, fig_dgesv, fig_svd, fig_alpha, fig_suite, fig_suite_check]


def main():
    os.makedirs(PLOTS, exist_ok=True)
    for f in FIGURES:
        done = f()
        print(done if done.startswith("nothing") else f"wrote {done}")


if __name__ == "__main__":
    main()
