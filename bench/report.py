#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Turn the benchmarks' results into bench/report.md and its plots.

Usage: report.py RESULTS.tsv OUTDIR

RESULTS.tsv holds the lines the bench programs append when
UVFIO_BENCH_OUT names it (bench/bench-util.h):

  fig  PLACEMENT  NAME  UVFIO  FLOOR  UNIT  RATIO  LO  HI
  pt   CURVE  SERIES  X  Y

The programs measure; the targets, and whether a figure meets its own,
live here.  Writes OUTDIR/report.md and OUTDIR/plots/*.png (gnuplot),
and prints the table.
"""
import math
import os
import platform
import re
import subprocess
import sys
import time

# (figure name pattern, target text, test on (uvfio, floor, ratio))
TARGETS = [
    (r"^4-byte REGION_READ round trip, p50$", "within 1.3x of the floor",
     lambda u, f, r: r <= 1.3),
    (r"^posted 4-byte writes$", ">= 2 M/s, or within 1.5x of one-way",
     lambda u, f, r: u >= 2.0 or r <= 1.5),
    (r"^4-byte writes, WRITE_MULTI", "faster than single posted writes",
     lambda u, f, r: r < 1),
    (r"^sparse-mmapped BAR", "memory speed: within 1.2x of own memory",
     lambda u, f, r: r <= 1.2),
    (r"^DMA into fd-mapped memory", "within 1.2x of memcpy",
     lambda u, f, r: r <= 1.2),
    (r"^DMA through messages", "within 1.5x of a raw stream",
     lambda u, f, r: r <= 1.5),
    (r"^STOP_COPY .*SET to dst RUNNING$", "within 1.3x of a raw stream",
     lambda u, f, r: r <= 1.3),
    (r"^1000 devices: RSS per idle device$", "< 64 KiB",
     lambda u, f, r: u < 64),
]


def target_of(name):
    for pattern, text, test in TARGETS:
        if re.search(pattern, name):
            return text, test
    return None, None


def num(text):
    return float(text)


def read(path):
    figs, curves = [], {}
    with open(path) as f:
        for line in f:
            part = line.rstrip("\n").split("\t")
            if part[0] == "fig" and len(part) == 9:
                figs.append({
                    "placement": part[1], "name": part[2],
                    "uvfio": num(part[3]), "floor": num(part[4]),
                    "unit": part[5], "ratio": num(part[6]),
                    "lo": num(part[7]), "hi": num(part[8]),
                })
            elif part[0] == "pt" and len(part) == 5:
                series = curves.setdefault(part[1], {})
                series.setdefault(part[2], []).append(
                    (num(part[3]), num(part[4])))
            else:
                sys.exit(f"report.py: {path}: bad line: {line.strip()}")
    return figs, curves


def show(v, unit=""):
    if math.isnan(v):
        return "-"
    if abs(v) >= 100:
        return f"{v:.0f}"
    return f"{v:.2f}"


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def plot(curve, series, plots_dir):
    """One PNG per curve; x is logarithmic (sizes, device counts)."""
    name = slug(curve)
    png = os.path.join(plots_dir, name + ".png")
    data = os.path.join(plots_dir, name + ".dat")
    with open(data, "w") as f:
        for label, points in series.items():
            f.write(f'"{label}"\n')
            for x, y in sorted(points):
                f.write(f"{x:g} {y:g}\n")
            f.write("\n\n")
    if "latency" in curve:
        xlabel, ylabel = "payload (bytes)", "p50 round trip (us)"
        logy = "set logscale y\nset key left top\n"
    else:
        xlabel, ylabel = "devices", "aggregate round trips (k/s)"
        logy = "set yrange [0:*]\nset key right bottom\n"
    script = (
        "set terminal pngcairo size 800,480\n"
        f'set output "{png}"\n'
        f'set title "{curve}" noenhanced\n'
        'set format x "%.0s%c"\n'
        f'set xlabel "{xlabel}"\nset ylabel "{ylabel}"\n'
        "set logscale x\n" + logy + "set grid\n"
        + "plot " + ", ".join(
            f'"{data}" index {i} using 1:2 with linespoints '
            f"title columnheader(1)" for i in range(len(series))) + "\n")
    try:
        subprocess.run(["gnuplot"], input=script, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as e:
        print(f"report.py: no plot for {curve}: {e}", file=sys.stderr)
        return None
    finally:
        os.unlink(data)
    return os.path.basename(png)


def machine():
    model = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs ({model}), Linux "
            f"{platform.release()}")


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: report.py RESULTS.tsv OUTDIR")
    figs, curves = read(sys.argv[1])
    out = sys.argv[2]
    plots_dir = os.path.join(out, "plots")
    os.makedirs(plots_dir, exist_ok=True)

    lines = [
        "# uvfio benchmark report",
        "",
        f"Made by `make bench` on {time.strftime('%Y-%m-%d')}, "
        f"{machine()}. Every figure is the median of its repetitions, "
        "against a floor measured in the same run and CPU placement "
        "(../shared/reference/measuring.md); ratio is uvfio's cost over "
        "the floor's (1.00x: as fast as the floor). The programs under "
        "`bench/` say what each floor is.",
        "",
        "## Targets",
        "",
        "| figure | placement | uvfio | floor | unit | ratio | target | met |",
        "|---|---|---|---|---|---|---|---|",
    ]
    met = missed = 0
    for fg in figs:
        text, test = target_of(fg["name"])
        if not text:
            continue
        ok = test(fg["uvfio"], fg["floor"], fg["ratio"])
        met, missed = met + ok, missed + (not ok)
        lines.append(
            f"| {fg['name']} | {fg['placement']} | {show(fg['uvfio'])} | "
            f"{show(fg['floor'])} | {fg['unit']} | {show(fg['ratio'])}x | "
            f"{text} | {'yes' if ok else '**no**'} |")
    lines += ["", f"{met} met, {missed} not met.", ""]

    for placement in dict.fromkeys(fg["placement"] for fg in figs):
        lines += [
            f"## All figures, {placement}", "",
            "| figure | uvfio | floor | unit | ratio | uvfio spread |",
            "|---|---|---|---|---|---|",
        ]
        for fg in figs:
            if fg["placement"] != placement:
                continue
            ratio = "-" if math.isnan(fg["ratio"]) else \
                f"{fg['ratio']:.2f}x"
            spread = "-" if math.isnan(fg["lo"]) else \
                f"{show(fg['lo'])}..{show(fg['hi'])}"
            lines.append(
                f"| {fg['name']} | {show(fg['uvfio'])} | "
                f"{show(fg['floor'])} | {fg['unit']} | {ratio} | {spread} |")
        lines.append("")

    if curves:
        lines += ["## Curves", ""]
    for curve, series in curves.items():
        png = plot(curve, series, plots_dir)
        if png:
            lines += [f"![{curve}](plots/{png})", ""]

    text = "\n".join(lines)
    with open(os.path.join(out, "report.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
