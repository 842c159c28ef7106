"""The console hears each host's lease: a host that stops answering is declared lost after
lease + margin, and from then on nothing waits on it for long."""

from __future__ import annotations

from dataclasses import dataclass, field

from gameday.core.faults import FaultPlan
from gameday.core.session import lease
from gameday.engine.faultrun import FaultRunner
from gameday.engine.ports import CommandResult
from gameday.errors import CommandTimedOut, HostUnreachable

PLAN = FaultPlan("custom", "f1", "web-1", (), ("true",), (), ("true",), ("true",))


@dataclass
class SilentChannel:
    """A lease channel whose host answers only while `answering` is True."""

    answering: bool = True
    pending: list[str] = field(default_factory=list)
    closed: bool = False

    def write_line(self, line: str) -> None:
        if self.answering and line == "hb":
            self.pending.append("hb")

    def read_line(self, timeout: float) -> str | None:
        if self.pending:
            return self.pending.pop(0)
        raise CommandTimedOut("web-1", "no line")

    def is_open(self) -> bool:
        return not self.closed

    def close(self) -> None:
        self.closed = True


@dataclass
class DeadTransport:
    host: str = "web-1"
    timeouts: list[float] = field(default_factory=list)

    def run(self, command: str, *, timeout: float, stdin: str | None = None) -> CommandResult:
        self.timeouts.append(timeout)
        raise HostUnreachable("web-1", "no answer")

    def open_channel(self, command: str) -> SilentChannel:
        raise AssertionError("not used")

    def close(self) -> None:
        pass


def _runner() -> tuple[FaultRunner, SilentChannel, DeadTransport, list[float]]:
    now = [100.0]
    transport = DeadTransport()
    runner = FaultRunner(
        transport, "s1", lease_seconds=3.0, clock=lambda: now[0], wall=lambda: 1000.0 + now[0]
    )
    channel = SilentChannel()
    runner._lease = channel  # the watcher said `ready` at t=100
    runner.watcher_pid = 42
    return runner, channel, transport, now


def test_a_host_that_answers_is_kept() -> None:
    runner, _channel, _transport, now = _runner()
    for _ in range(10):
        now[0] += 1.0
        assert runner.heartbeat() is True
    assert runner.lost_by is None


def test_a_silent_host_is_lost_after_lease_plus_margin_and_then_never_waited_on() -> None:
    runner, channel, transport, now = _runner()
    now[0] += 1.0
    assert runner.heartbeat()  # heard at t=101
    channel.answering = False
    beats = []
    while runner.heartbeat():
        now[0] += 1.0
        beats.append(now[0])
        assert len(beats) < 10
    silent = now[0] - 101.0
    assert lease.lost_after(3.0) < silent <= lease.lost_after(3.0) + 1.0
    assert runner.lost_by == 1000.0 + 101.0 + 3.0, "its own lease reverted it 3 s after"
    assert channel.closed, "a lost host is not written to again"
    assert runner.heartbeat() is False
    result = runner.revert(PLAN)
    assert not result.ok and result.unconfirmed
    assert result.detail == "unconfirmed: host unreachable, its lease reverts it by 00:18:24 UTC"
    assert transport.timeouts == [lease.LOST_RETRY_TIMEOUT]
    assert runner.run("true", 300.0).ok is False
    assert transport.timeouts[-1] == lease.LOST_RETRY_TIMEOUT
