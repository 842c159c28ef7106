"""Sweep one host: revert every fault recorded there and clear any trace gameday left, without
a journal (`gameday sweep`, and the last resort after `recover`).

Never raises for a host-side problem: what could not be confirmed is in the result, with why.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from gameday.core import guard
from gameday.core.guard import holders
from gameday.engine.ports import CommandResult, Transport
from gameday.errors import GamedayError

SCRIPT_TIMEOUT = 60.0
"""Bound on each sweep script on a host (list, revert one record, scan or clear traces)."""


@dataclass
class HostSweep:
    """What sweep did on one host."""

    host: str
    reached: bool = True
    error: str = ""
    reverted: list[str] = field(default_factory=list)
    """Recorded faults reverted and confirmed gone (`id (kind)`)."""
    unconfirmed: dict[str, str] = field(default_factory=dict)
    """Recorded fault or trace → why it could not be confirmed gone."""
    cleared: list[str] = field(default_factory=list)
    """Traces found beyond the records and removed."""
    left_alone: dict[str, str] = field(default_factory=dict)
    """Recorded fault (or the traces scan) → the live session that looks after it."""

    @property
    def clean(self) -> bool:
        return self.reached and not self.unconfirmed and not self.error and not self.left_alone


def sweep_host(
    transport: Transport, *, sudo: bool, paths: guard.GuardPaths, force: bool = False
) -> HostSweep:
    """Revert every recorded fault, then clear and re-check traces, on one host. Never raises
    for a host-side problem: it is reported in the result.

    A fault of a session whose lease watcher still runs (its console renews the lease) is left
    alone unless `force`, and so are the traces (they may be that session's faults)."""
    result = HostSweep(transport.host)
    try:
        listing = _root(transport, guard.list_records_script(paths), sudo)
        if not listing.ok:
            result.error = f"cannot read {paths.faults_dir}: {_reason(listing.stderr)}"
            return result
        fill_dirs = guard.parse_fill_dirs(listing.stdout)
        live = {} if force else _live_sessions(transport, paths, sudo)
        for record in guard.parse_records(listing.stdout):
            label = f"{record.fault_id} ({record.kind}, session {record.session})"
            holder = live.get(record.session)
            if holder is not None:
                result.left_alone[label] = _left_alone(holder)
                continue
            outcome = _root(transport, guard.sweep_record_script(record.fault_id, paths), sudo)
            if outcome.ok:
                result.reverted.append(label)
            else:
                where = paths.fault_dir(record.fault_id)
                why = _reason(outcome.stderr) or f"exit status {outcome.status}"
                result.unconfirmed[label] = f"{why} (record kept in {where})"
        if live:
            result.left_alone["traces"] = "not looked for while " + " and ".join(
                h.sentence() + " is live" for h in live.values()
            )
            return result
        traces = _traces(transport, paths, fill_dirs, sudo)
        if traces:
            _root(transport, guard.clear_traces_script(traces, paths), sudo)
            left = {(t.kind, t.detail) for t in _traces(transport, paths, fill_dirs, sudo)}
            for trace in traces:
                name = f"{trace.kind} {trace.detail}"
                if (trace.kind, trace.detail) in left:
                    result.unconfirmed[name] = "still present after removal"
                else:
                    result.cleared.append(name)
    except GamedayError as exc:
        result.error = exc.message
    return result


def _live_sessions(
    transport: Transport, paths: guard.GuardPaths, sudo: bool
) -> dict[str, holders.Holder]:
    found = _root(transport, "\n".join(holders.live_leases_script(paths.state_dir)), sudo)
    return {h.session: h for h in holders.parse_held(found.stdout)}


def _left_alone(holder: holders.Holder) -> str:
    return (
        f"left alone: {holder.sentence()} is live and reverts it itself; "
        "sweep --force reverts it anyway"
    )


def _traces(
    transport: Transport, paths: guard.GuardPaths, fill_dirs: Sequence[str], sudo: bool
) -> list[guard.Trace]:
    found = _root(transport, guard.traces_script(paths, fill_dirs), sudo)
    # stress-ng workers that exit between the scan and the kill are not traces
    return list(guard.parse_traces(found.stdout))


def _root(transport: Transport, script: str, sudo: bool) -> CommandResult:
    return transport.run(guard.as_root(script, sudo=sudo), timeout=SCRIPT_TIMEOUT)


def _reason(stderr: str) -> str:
    lines = [line.strip() for line in stderr.strip().splitlines() if line.strip()]
    return lines[-1] if lines else ""
