"""Command probes: a number printed by a command on a host, over the session's transport.

The command runs as written (it is the scenario author's shell) with the probe's timeout. Its
value is the last non-empty line of stdout parsed as a number (`42`, `0.93`, `1e3`; surrounding
spaces are fine). No data, with the reason, when: the command exits non-zero (its last stderr
line), prints nothing, prints something that is not a number or is NaN/Inf, times out, or the
host cannot be reached.
"""

from __future__ import annotations

import math

from gameday.adapters.bounded import BoundedSampler
from gameday.core.formats.probes import Probe
from gameday.engine.ports import Reading, Transport
from gameday.errors import CommandTimedOut, TransportError

_SHOWN = 60
"""Characters of unexpected output quoted in a detail."""


class CommandSource:
    """A `MetricSource` for a `command:` probe, run on `transport`'s host."""

    def __init__(self, probe: Probe, transport: Transport) -> None:
        if not probe.query.strip():
            raise ValueError("command probe has an empty command")
        self.name = probe.name
        self.host = transport.host
        self._command = probe.query
        self._timeout = probe.timeout
        self._transport = transport
        self._sampler = BoundedSampler(self.name, self._sample_once, self._timeout)

    def __repr__(self) -> str:
        return f"CommandSource(name={self.name!r}, host={self.host!r})"

    def sample(self) -> Reading:
        """Run the command once; returns within the timeout (+0.25 s), never raises."""
        return self._sampler.sample()

    def close(self) -> None:
        """Stop sampling. The transport belongs to the session and stays open."""
        self._sampler.close()

    def _sample_once(self) -> Reading:
        try:
            result = self._transport.run(self._command, timeout=self._timeout)
        except CommandTimedOut:
            return Reading(None, f"{self.host}: no exit within {self._timeout:g}s")
        except TransportError as exc:
            return Reading(None, exc.message)
        if result.status != 0:
            lines = [line for line in result.stderr.splitlines() if line.strip()]
            why = lines[-1].strip()[:120] if lines else "no error output"
            return Reading(None, f"{self.host}: exit status {result.status}: {why}")
        return parse_number(result.stdout)


def parse_number(stdout: str) -> Reading:
    """The Reading for a command's stdout: its last non-empty line as a finite number."""
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    if not lines:
        return Reading(None, "command printed nothing")
    last = lines[-1]
    try:
        value = float(last)
    except ValueError:
        return Reading(None, f"last line is not a number: {last[:_SHOWN]!r}")
    if math.isnan(value):
        return Reading(None, "NaN")
    if math.isinf(value):
        return Reading(None, "+Inf" if value > 0 else "-Inf")
    return Reading(value, "")
