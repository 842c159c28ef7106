"""The steady-state port: a source turns one probe into one number, or no data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class Reading:
    value: float | None
    """None means no data: an empty result, NaN, a timeout or an error. Never a pass."""
    detail: str = ""
    """Why there is no data, or a short note about the value (e.g. "3/3 requests ok")."""


class MetricSource(Protocol):
    """Samples one probe. Must return within the probe's timeout and never raise."""

    name: str

    def sample(self) -> Reading: ...

    def close(self) -> None: ...
