"""Run the benchmarks and print their figures beside the recorded baseline.

python -m bench                     # the core benchmarks (no root needed)
python -m bench --lab               # also gameday beside its baselines on a lab fleet (root)
python -m bench --lab --json FILE   # ...and write every figure to FILE
python -m bench --save              # record this machine's figures as the new baseline
python -m bench --only launch --json FILE  # only the lab's cold launch beside the bare pool

GAMEDAY_BENCH_HOSTS=4 GAMEDAY_BENCH_ROUNDS=2 python -m bench --lab   # a quick trial run
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

from bench.core import BENCHMARKS

BASELINE = Path(__file__).with_name("baseline.json")


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--lab", action="store_true", help="also run the lab benchmarks (root)")
    parser.add_argument("--json", metavar="FILE", help="write every figure to FILE as JSON")
    parser.add_argument("--save", action="store_true", help="write the figures as the baseline")
    parser.add_argument(
        "--only",
        choices=("launch",),
        help="launch: only the lab's cold launch beside the bare pool (implies --lab)",
    )
    args = parser.parse_args()
    started = time.monotonic()
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    results: dict[str, Any] = {}
    if args.only is None:
        _run_local(results, baseline)
    if args.lab or args.only == "launch":
        from bench.lab import run_lab

        lab = run_lab(say=lambda text: print(text, flush=True), only_launch=args.only == "launch")
        results.update(lab)
        for group, by_count in lab.items():
            for count, figures in by_count.items():
                _print(f"{group}.{count}", figures, baseline.get(group, {}).get(count, {}))
    if args.json:
        document = {"machine": _machine(), "seconds": round(time.monotonic() - started, 1)}
        document.update(results)
        Path(args.json).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        print(f"wrote {args.json}")
    if args.save:
        baseline.update(results)
        BASELINE.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
        print(f"saved {BASELINE}")
    return 0


def _run_local(results: dict[str, Any], baseline: dict[str, Any]) -> None:
    """The benchmarks that need no lab: the engine's own and the console's."""
    for name, run in BENCHMARKS.items():
        results[name] = run()
        _print(name, results[name], baseline.get(name, {}))
    from bench.ui import UI_BENCHMARKS

    for name, run in UI_BENCHMARKS.items():
        results[name] = run()
        _print(name, results[name], baseline.get(name, {}))


def _print(name: str, figures: dict[str, Any], before: dict[str, Any]) -> None:
    for key, value in figures.items():
        if not isinstance(value, int | float):
            print(f"{name:28} {key:24} {value}", flush=True)
            continue
        was = before.get(key)
        shown = f"{value:12.2f}" + (f"   (baseline {was:.2f})" if isinstance(was, float) else "")
        print(f"{name:28} {key:24} {shown}", flush=True)


def _machine() -> dict[str, Any]:
    load = os.getloadavg()
    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
        "load_average_1m_at_end": round(load[0], 2),
    }


if __name__ == "__main__":
    sys.exit(main())
