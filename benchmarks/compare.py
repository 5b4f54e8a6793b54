#!/usr/bin/env python3
"""Run the anchor benchmark for langgraph and stategraph and compare them.

Runs ``bench_anchor.py`` (default ``../shared/bench/bench_anchor.py`` from the
repository root; ``--anchor PATH`` or env ``SG_BENCH_ANCHOR``) once per library
in a subprocess, with the same arguments, parses its ``RESULT {json}`` lines
and prints one table: case, variant, µs per unit for each library and the
ratio langgraph / stategraph (above 1: stategraph is faster), plus the import
time of each library.  Peak memory is compared for the ``memory`` case.

Usage:

    python benchmarks/compare.py --quick --cases seq,fanout
    python benchmarks/compare.py --json out.json -- --quick

``--rounds N`` runs the two libraries N times each, alternately (baseline,
candidate, baseline, ...), and compares each measurement's best round (the
lowest of its per-round medians): on a shared machine that slows down for
minutes at a time, noise only ever adds time, and one library must not get
all the slow minutes.

Every argument this script does not know is forwarded to the anchor (after
``--``, everything is).  A measurement missing on one side (a case that failed,
was skipped or does not exist there) is shown as ``-``.  Exit status: 0 when
both runs succeeded, 1 otherwise (the table is printed anyway).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ANCHOR = ROOT.parent / "shared" / "bench" / "bench_anchor.py"
_IMPORT_RE = re.compile(r"import_s=([0-9.]+)")


def parse_args(argv: list[str]) -> tuple[argparse.Namespace, list[str]]:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument(
        "--anchor",
        default=os.environ.get("SG_BENCH_ANCHOR", str(DEFAULT_ANCHOR)),
        help="path of bench_anchor.py (default: %(default)s)",
    )
    ap.add_argument(
        "--libs",
        default="langgraph,stategraph",
        help="baseline,candidate (default: %(default)s)",
    )
    ap.add_argument("--json", default=None, help="also write the comparison here")
    ap.add_argument("--python", default=sys.executable, help="interpreter to use")
    ap.add_argument(
        "--timeout", type=float, default=3600, help="seconds per library run"
    )
    ap.add_argument("--quiet", action="store_true", help="don't echo anchor output")
    ap.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="alternate runs per library; best rounds compared (default: %(default)s)",
    )
    if "--" in argv:
        i = argv.index("--")
        ns, extra = ap.parse_known_args(argv[:i])
        return ns, extra + argv[i + 1 :]
    return ap.parse_known_args(argv)


def run_anchor(
    opts: argparse.Namespace, lib: str, forwarded: list[str]
) -> dict[str, Any]:
    """Run the anchor for one library; collect its results and import time."""
    cmd = [opts.python, opts.anchor, "--lib", lib, *forwarded]
    print(f"## {' '.join(cmd)}", file=sys.stderr, flush=True)
    results: list[dict[str, Any]] = []
    import_s: float | None = None
    version = "?"
    t0 = time.perf_counter()
    try:
        proc = subprocess.Popen(
            cmd,
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        )
    except OSError as e:
        return {"lib": lib, "ok": False, "error": str(e), "results": []}
    assert proc.stdout is not None
    tail: list[str] = []
    for line in proc.stdout:
        line = line.rstrip("\n")
        if not opts.quiet:
            print(f"[{lib}] {line}", file=sys.stderr, flush=True)
        tail = [*tail[-19:], line]
        if line.startswith("RESULT "):
            try:
                results.append(json.loads(line[len("RESULT ") :]))
            except json.JSONDecodeError:
                print(f"[{lib}] unparsable RESULT line", file=sys.stderr)
        elif line.startswith("# bench_anchor "):
            if m := _IMPORT_RE.search(line):
                import_s = float(m.group(1))
            if m := re.search(r"version=(\S+)", line):
                version = m.group(1)
    try:
        rc = proc.wait(timeout=opts.timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        rc = -9
    out: dict[str, Any] = {
        "lib": lib,
        "version": version,
        "ok": rc == 0,
        "returncode": rc,
        "seconds": time.perf_counter() - t0,
        "import_s": import_s,
        "results": results,
    }
    if rc != 0:
        out["error"] = "\n".join(tail)
    return out


def merge_rounds(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One library's runs as one: each measurement's best (lowest) round."""
    if len(runs) == 1:
        return runs[0]
    by_key: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for run in runs:
        for r in run["results"]:
            by_key.setdefault(_key(r), []).append(r)
    results = []
    for rs in by_key.values():
        merged = dict(rs[0])
        times = [r["us_per_unit"] for r in rs if r.get("us_per_unit") is not None]
        if times:
            merged["us_per_unit"] = min(times)
            merged["rounds"] = times
        results.append(merged)
    imports = [r["import_s"] for r in runs if r.get("import_s")]
    failed = [r for r in runs if not r["ok"]]
    return {
        **runs[0],
        "ok": not failed,
        "import_s": statistics.median(imports) if imports else None,
        "results": results,
        **({"error": failed[0].get("error", "")} if failed else {}),
    }


def _key(r: dict[str, Any]) -> tuple[str, str]:
    return (str(r.get("case")), str(r.get("variant")))


def compare(base: dict[str, Any], cand: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (case, variant) seen on either side, in first-seen order."""
    by_base = {_key(r): r for r in base["results"]}
    by_cand = {_key(r): r for r in cand["results"]}
    keys = list(dict.fromkeys([*by_base, *by_cand]))
    rows = []
    for k in keys:
        a, b = by_base.get(k), by_cand.get(k)
        ua = a.get("us_per_unit") if a else None
        ub = b.get("us_per_unit") if b else None
        row: dict[str, Any] = {
            "case": k[0],
            "variant": k[1],
            "unit": (a or b or {}).get("unit", ""),
            base["lib"]: ua,
            cand["lib"]: ub,
            "ratio": ua / ub if ua and ub else None,
        }
        if (a and "peak_rss_mb" in a) or (b and "peak_rss_mb" in b):
            row["peak_rss_mb"] = {
                base["lib"]: a.get("peak_rss_mb") if a else None,
                cand["lib"]: b.get("peak_rss_mb") if b else None,
            }
        rows.append(row)
    return rows


def _fmt(x: float | None, spec: str = ".2f") -> str:
    return "-" if x is None else format(x, spec)


def print_table(
    rows: list[dict[str, Any]], base: dict[str, Any], cand: dict[str, Any]
) -> None:
    la, lb = base["lib"], cand["lib"]
    head = ("case", "variant", "unit", f"{la} us/unit", f"{lb} us/unit", "ratio")
    body = [
        (
            r["case"],
            r["variant"],
            r["unit"],
            _fmt(r[la]),
            _fmt(r[lb]),
            "-" if r["ratio"] is None else f"{r['ratio']:.2f}x",
        )
        for r in rows
    ]
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body, strict=True)]
    right = {3, 4, 5}

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            c.rjust(w) if i in right else c.ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        )

    print(line(head))
    print("  ".join("-" * w for w in widths))
    for b in body:
        print(line(b))
    ratios = [r["ratio"] for r in rows if r["ratio"]]
    if ratios:
        gmean = math.exp(sum(math.log(x) for x in ratios) / len(ratios))
        n = len(ratios)
        print(f"\ngeometric mean ratio ({la}/{lb}) over {n} rows: {gmean:.2f}x")
    missing = [f"{r['case']}/{r['variant']}" for r in rows if r["ratio"] is None]
    if missing:
        print(f"missing on one side: {', '.join(missing)}")
    mem = [r for r in rows if "peak_rss_mb" in r]
    if mem:
        print(f"\npeak RSS MB ({la} vs {lb}):")
        for r in mem:
            pa, pb = r["peak_rss_mb"][la], r["peak_rss_mb"][lb]
            print(f"  {r['variant']:<24} {_fmt(pa, '.1f'):>8}  {_fmt(pb, '.1f'):>8}")
    ia, ib = base.get("import_s"), cand.get("import_s")
    ratio = f"{ia / ib:.2f}x" if ia and ib else "-"
    print(
        f"\nimport time: {la} {_fmt(ia, '.3f')} s, {lb} {_fmt(ib, '.3f')} s,"
        f" ratio {ratio}"
    )
    for side in (base, cand):
        if not side["ok"]:
            print(f"\n{side['lib']} run failed ({side.get('returncode')}):")
            print(side.get("error", ""))


def main(argv: list[str] | None = None) -> int:
    opts, forwarded = parse_args(sys.argv[1:] if argv is None else argv)
    if not Path(opts.anchor).is_file():
        print(f"anchor benchmark not found: {opts.anchor}", file=sys.stderr)
        return 2
    libs = [x.strip() for x in opts.libs.split(",") if x.strip()]
    if len(libs) != 2:
        print("--libs takes exactly two names", file=sys.stderr)
        return 2
    runs: dict[str, list[dict[str, Any]]] = {libs[0]: [], libs[1]: []}
    for _ in range(max(1, opts.rounds)):
        for lib in libs:
            runs[lib].append(run_anchor(opts, lib, forwarded))
    base, cand = merge_rounds(runs[libs[0]]), merge_rounds(runs[libs[1]])
    rows = compare(base, cand)
    print_table(rows, base, cand)
    if opts.json:
        summary = {
            "anchor": str(opts.anchor),
            "args": forwarded,
            "libs": {
                s["lib"]: {k: v for k, v in s.items() if k != "results"}
                for s in (base, cand)
            },
            "import_ratio": (
                base["import_s"] / cand["import_s"]
                if base.get("import_s") and cand.get("import_s")
                else None
            ),
            "rows": rows,
            "raw": {base["lib"]: base["results"], cand["lib"]: cand["results"]},
        }
        Path(opts.json).write_text(json.dumps(summary, indent=1))
    return 0 if base["ok"] and cand["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
