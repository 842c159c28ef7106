"""`gameday lab` (not built yet)."""

from __future__ import annotations

import argparse
from typing import Any


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser("lab", help="(not built yet)")
    parser.set_defaults(func=None)
