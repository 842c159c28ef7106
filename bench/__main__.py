"""Run the benchmarks and print their figures beside the recorded baseline.

python -m bench                 # the core benchmarks (no root needed)
python -m bench --lab           # also the kill switch over a real lab fleet (root)
python -m bench --save          # record this machine's figures as the new baseline
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from bench.core import BENCHMARKS

BASELINE = Path(__file__).with_name("baseline.json")


def main() -> int:
    parser = argparse.ArgumentParser(prog="bench")
    parser.add_argument("--lab", action="store_true", help="also run the lab benchmarks (root)")
    parser.add_argument("--save", action="store_true", help="write the figures as the baseline")
    args = parser.parse_args()
    benchmarks = dict(BENCHMARKS)
    if args.lab:
        from bench.lab import LAB_BENCHMARKS

        benchmarks.update(LAB_BENCHMARKS)
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {}
    results: dict[str, dict[str, float]] = {}
    for name, run in benchmarks.items():
        results[name] = run()
        before = baseline.get(name, {})
        for key, value in results[name].items():
            was = before.get(key)
            shown = f"{value:12.2f}" + (f"   (baseline {was:.2f})" if was is not None else "")
            print(f"{name:28} {key:20} {shown}")
    if args.save:
        baseline.update(results)
        BASELINE.write_text(json.dumps(baseline, indent=2, sort_keys=True) + "\n")
        print(f"saved {BASELINE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
