"""`gameday sweep`'s decisions for one host, over a scripted transport (what the host answers
is fixed by the test; the real thing runs in tests/lab/test_faultrun_sweep.py)."""

from __future__ import annotations

from collections.abc import Callable

from gameday.commands.sweep import describe
from gameday.core.guard import GuardPaths
from gameday.engine.ports import Channel, CommandResult
from gameday.engine.sweep import HostSweep, sweep_host
from gameday.errors import HostUnreachable

Answer = Callable[[str], tuple[int, str, str]]


class ScriptedHost:
    """Answers each command by the first rule whose marker it contains (specific rules first:
    a record's sweep script also mentions the word `record`)."""

    def __init__(self, rules: list[tuple[str, Answer]]) -> None:
        self.host = "web-1"
        self.rules = rules
        self.sent: list[str] = []

    def run(self, command: str, *, timeout: float, stdin: str | None = None) -> CommandResult:
        self.sent.append(command)
        for marker, answer in self.rules:
            if marker in command:
                status, out, err = answer(command)
                return CommandResult(self.host, command, status, out, err, 0.0)
        return CommandResult(self.host, command, 0, "", "", 0.0)

    def open_channel(self, command: str) -> Channel:
        raise AssertionError("sweep never opens channels")

    def close(self) -> None:
        pass


def _const(status: int, out: str = "", err: str = "") -> Answer:
    return lambda _command: (status, out, err)


RECORDS = "record f1 S1 disk_fill 1 setsid -\nfilldir /srv/data\nrecord f2 S1 custom 1 setsid x\n"


def test_confirmed_records_and_cleared_traces_make_a_clean_host() -> None:
    scans = iter(["trace chain iptables:GAMEDAY-f9-in\n", ""])
    host = ScriptedHost(
        [
            ("fire.sh sweep", _const(0)),
            ("record ", _const(0, RECORDS)),
            ("trace ", lambda _c: (0, next(scans), "")),
        ]
    )
    result = sweep_host(host, sudo=False, paths=GuardPaths())
    assert result.clean
    assert result.reverted == ["f1 (disk_fill, session S1)", "f2 (custom, session S1)"]
    assert result.cleared == ["chain iptables:GAMEDAY-f9-in"]
    assert any("/srv/data" in command for command in host.sent), "recorded fill dirs are searched"
    assert describe(result).startswith("web-1: reverted f1")


def test_an_unconfirmed_record_is_reported_with_where_to_look() -> None:
    host = ScriptedHost(
        [
            ("fire.sh sweep", _const(3, "", "test ! -e /var/tmp/x failed\n")),
            ("record ", _const(0, "record f1 S1 custom 1 setsid -\n")),
        ]
    )
    result = sweep_host(host, sudo=True, paths=GuardPaths())
    assert not result.clean
    ((what, why),) = result.unconfirmed.items()
    assert what.startswith("f1") and "/var/lib/gameday/faults/f1" in why
    assert all(command.startswith("sudo -n sh -c") for command in host.sent)
    assert "UNCONFIRMED f1" in describe(result)


def test_a_trace_that_survives_removal_is_unconfirmed() -> None:
    host = ScriptedHost([("trace ", _const(0, "trace fill /var/tmp/.gameday-fill-x\n"))])
    result = sweep_host(host, sudo=False, paths=GuardPaths())
    assert result.unconfirmed == {"fill /var/tmp/.gameday-fill-x": "still present after removal"}


def test_a_host_that_drops_mid_sweep_is_not_clean() -> None:
    def drop(_command: str) -> tuple[int, str, str]:
        raise HostUnreachable("web-1", "the SSH connection was lost")

    result = sweep_host(ScriptedHost([("record ", drop)]), sudo=False, paths=GuardPaths())
    assert not result.clean and "connection was lost" in result.error


def test_an_unreached_host_is_named_first() -> None:
    line = describe(HostSweep("db-1", reached=False, error="db-1: connection refused"))
    assert line.startswith("db-1: NOT REACHED")


def test_a_clean_host_says_so() -> None:
    host = ScriptedHost([])
    result = sweep_host(host, sudo=False, paths=GuardPaths())
    assert result.clean and describe(result) == "web-1: clean"
