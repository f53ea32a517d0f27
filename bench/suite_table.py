"""The table of issue 17's real-workload runs (bench/issue17_device.sh).

    python3 bench/suite_table.py RAW [--logs DIR]

RAW holds one line per process, `variant routine n config rep seconds status`
(seconds "-" where the process gave none; status "ok" or why not). For every
(variant, routine, n) the table gives the best seconds of each config over
the repetitions (only "ok" runs count; a config with none shows why, e.g.
"timeout"), then

    auto/best   auto over the best of none, cpu and gpu
    auto/none   auto over none (the program without the library)

and a summary: how many workloads have auto/best <= 1.03 and auto/none <=
1.00, with the worst of each. With --logs DIR (the LAPACK_AI_LOG files the
script wrote, DIR/VARIANT-ROUTINE-N-auto.log), a last column gives how many
of the calls that auto mode routed went to the GPU (summed over the
repetitions; "+Ff": F of them fell back to the CPU).

Standard library only; runs on the project machine and on the GPU machine.
"""

import os
import sys

CONFIGS = ("none", "nvblas", "cpu", "gpu", "auto", "old")
ROUTINES = ("dgemm", "dgeqrf", "dpotrf", "dgetrf", "dsyevd", "dgels", "dsytrf",
            "dsyev", "dgeqp3", "dgesdd", "dgesvd", "dgelsd", "dgeev")
SHORT = {"timeout": "T/O"}


def fmt_seconds(v):
    if v >= 100:
        return "%.1f" % v
    if v >= 1:
        return "%.3f" % v
    return "%.6f" % v


def parse(path):
    """{(variant, routine, n): {config: [best seconds or None, [statuses]]}}"""
    rows = {}
    order = []
    with open(path) as f:
        for line in f:
            p = line.split()
            if len(p) != 7:
                continue
            variant, routine, n, config, _rep, secs, status = p
            try:
                n = int(n)
            except ValueError:
                continue
            key = (variant, routine, n)
            if key not in rows:
                rows[key] = {}
                order.append(key)
            cell = rows[key].setdefault(config, [None, []])
            cell[1].append(status)
            if status == "ok":
                try:
                    v = float(secs)
                except ValueError:
                    continue
                if cell[0] is None or v < cell[0]:
                    cell[0] = v
    return rows, order


def routed(logs, variant, routine, n, config="auto"):
    path = os.path.join(logs, "%s-%s-%d-%s.log" % (variant, routine, n, config))
    try:
        f = open(path, errors="replace")
    except OSError:
        return "0/0"  # the library logs nothing when no call reached it
    gpu = total = fell = 0
    with f:
        for line in f:
            if " -> " not in line:
                continue
            total += 1
            where = line.split(" -> ", 1)[1]
            if where.startswith("gpu["):
                gpu += 1
                if " failed " in where:
                    fell += 1
    s = "%d/%d" % (gpu, total)
    if fell:
        s += "+%df" % fell
    return s


def main(argv):
    args = argv[1:]
    logs = None
    if "--logs" in args:
        i = args.index("--logs")
        if i + 1 >= len(args):
            sys.stderr.write("suite_table: --logs needs a directory\n")
            return 2
        logs = args[i + 1]
        del args[i:i + 2]
    if len(args) != 1:
        sys.stderr.write("usage: python3 bench/suite_table.py RAW [--logs DIR]\n")
        return 2
    try:
        rows, order = parse(args[0])
    except OSError as e:
        sys.stderr.write("suite_table: %s\n" % e)
        return 2
    if not rows:
        print("(no runs in %s)" % args[0])
        return 0

    present = {c for cells in rows.values() for c in cells}
    configs = [c for c in CONFIGS if c in present or c in ("none", "nvblas", "cpu", "gpu", "auto")]
    configs += sorted(c for c in present if c not in CONFIGS)

    variants = []
    for k in order:
        if k[0] not in variants:
            variants.append(k[0])

    def sort_key(k):
        r = ROUTINES.index(k[1]) if k[1] in ROUTINES else len(ROUTINES)
        return (variants.index(k[0]), r, k[1], k[2])

    head = ["variant", "routine", "n"] + configs + ["auto/best", "auto/none"]
    if logs:
        head.append("auto->gpu")
    table = [head]
    best_ratios = []   # (ratio, key)
    none_ratios = []
    auto_failed = []
    for key in sorted(rows, key=sort_key):
        cells = rows[key]
        line = [key[0], key[1], str(key[2])]
        best = {}
        for c in configs:
            cell = cells.get(c)
            if cell is None:
                line.append("-")
            elif cell[0] is not None:
                best[c] = cell[0]
                line.append(fmt_seconds(cell[0]))
            else:
                bad = [s for s in cell[1] if s != "ok"]
                s = bad[-1] if bad else "-"
                line.append(SHORT.get(s, s))
        peers = [best[c] for c in ("none", "cpu", "gpu") if c in best]
        if "auto" in best and peers and min(peers) > 0:
            r = best["auto"] / min(peers)
            line.append("%.2f" % r)
            best_ratios.append((r, key))
        else:
            line.append("-")
        if "auto" in best and best.get("none", 0) > 0:
            r = best["auto"] / best["none"]
            line.append("%.2f" % r)
            none_ratios.append((r, key))
        else:
            line.append("-")
        if "auto" in cells and "auto" not in best:
            auto_failed.append(key)
        if logs:
            line.append(routed(logs, *key) if "auto" in cells else "-")
        table.append(line)

    widths = [max(len(row[i]) for row in table) for i in range(len(head))]
    for row in table:
        out = []
        for i, cell in enumerate(row):
            out.append(cell.ljust(widths[i]) if i < 2 else cell.rjust(widths[i]))
        print("  ".join(out).rstrip())

    def summary(name, ratios, limit):
        if not ratios:
            return "%s <= %.2f: no workload has both times" % (name, limit)
        good = sum(1 for r, _ in ratios if r <= limit)
        worst, key = max(ratios)
        return "%s <= %.2f: %d of %d workloads (worst %.2f: %s %s %d)" % (
            name, limit, good, len(ratios), worst, key[0], key[1], key[2])

    print(summary("auto/best", best_ratios, 1.03))
    print(summary("auto/none", none_ratios, 1.00))
    if auto_failed:
        print("auto gave no time in: " + ", ".join("%s %s %d" % k for k in auto_failed))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
