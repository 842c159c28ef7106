"""The engine's ports to the world: how it runs commands on hosts.

A `Transport` is one live connection to one host (SSH, or the console's own machine). A
`Connector` opens transports, one per host, in parallel with bounded concurrency, and keeps them
for the whole session. Adapters implement these; the engine and its tests only see the protocols.

Errors: every method raises only `gameday.errors.TransportError` subclasses (each names the
host); a non-zero exit status is *not* an error at this level, it is `CommandResult.status`.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from threading import Lock
from typing import Protocol

from gameday.errors import CommandFailed, GamedayError, TransportError


@dataclass(frozen=True)
class CommandResult:
    """What one command did on one host."""

    host: str
    command: str
    status: int
    """The command's exit status (a shell's 126/127 for not found / not executable)."""
    stdout: str
    stderr: str
    duration: float
    """Seconds from sending the command to its exit status."""

    @property
    def ok(self) -> bool:
        return self.status == 0

    def check(self) -> CommandResult:
        """Return self when the status is 0; otherwise raise CommandFailed with stderr."""
        if self.status != 0:
            raise CommandFailed(self.host, self.command, self.status, self.stderr)
        return self


class Channel(Protocol):
    """A long-lived command on a host that the console talks to line by line."""

    def write_line(self, line: str) -> None:
        """Send one line (a newline is added). Raises TransportError when the channel is gone."""
        ...

    def read_line(self, timeout: float) -> str | None:
        """The next line without its newline; None at end of output (the command exited).

        Raises CommandTimedOut when no full line arrives within `timeout` seconds.
        """
        ...

    def is_open(self) -> bool:
        """False once the command on the host has exited or the connection is gone."""
        ...

    def close(self) -> None:
        """Close our end (the command sees end of input). Idempotent, never raises."""
        ...


class Transport(Protocol):
    """One connection to one host, reused for every command of a session."""

    host: str
    """The host's name as the inventory spells it (used in every error and result)."""

    def run(self, command: str, *, timeout: float, stdin: str | None = None) -> CommandResult:
        """Run one shell command and wait for its exit, at most `timeout` seconds.

        stdout and stderr are drained while waiting, so large outputs never stall the command.
        Raises CommandTimedOut past the deadline, HostUnreachable when the connection is lost.
        """
        ...

    def open_channel(self, command: str) -> Channel:
        """Start a long-lived command whose stdin/stdout the console keeps open."""
        ...

    def close(self) -> None:
        """Close the connection and every channel on it. Idempotent, never raises."""
        ...


OpenTransport = Callable[[str], Transport]
"""Open a connection to the named host (raises TransportError)."""


@dataclass(frozen=True)
class ConnectOutcome:
    """One host's result of `Connector.connect_all`: a transport or the error that prevented it."""

    host: str
    transport: Transport | None
    error: GamedayError | None
    duration: float


class Connector:
    """Opens one transport per host in parallel (bounded) and reuses it for the session.

    Thread-safe. `open_one(name)` is the adapter's factory; it must raise only GamedayError
    subclasses for anything a user should read (others are reported as internal errors).
    """

    def __init__(self, open_one: OpenTransport, *, max_parallel: int = 16) -> None:
        if max_parallel < 1:
            raise ValueError("max_parallel must be at least 1")
        self._open_one = open_one
        self._max_parallel = max_parallel
        self._lock = Lock()
        self._open: dict[str, Transport] = {}

    def get(self, host: str) -> Transport:
        """The session's transport to `host`, opening it on first use (raises TransportError)."""
        with self._lock:
            existing = self._open.get(host)
        if existing is not None:
            return existing
        transport = self._open_one(host)
        with self._lock:
            if host in self._open:  # another thread won the race: keep one connection only
                transport.close()
                return self._open[host]
            self._open[host] = transport
        return transport

    def connect_all(self, hosts: Iterable[str]) -> Mapping[str, ConnectOutcome]:
        """Open every host at once (at most `max_parallel` in flight); never raises per host."""
        names = list(dict.fromkeys(hosts))

        def one(name: str) -> ConnectOutcome:
            started = time.monotonic()
            try:
                transport = self.get(name)
            except GamedayError as exc:
                return ConnectOutcome(name, None, exc, time.monotonic() - started)
            except Exception as exc:  # an adapter bug must not hide the other hosts' outcomes
                error = TransportError(name, f"internal error: {type(exc).__name__}: {exc}")
                return ConnectOutcome(name, None, error, time.monotonic() - started)
            return ConnectOutcome(name, transport, None, time.monotonic() - started)

        if not names:
            return {}
        workers = min(self._max_parallel, len(names))
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="connect") as pool:
            outcomes = list(pool.map(one, names))
        return {outcome.host: outcome for outcome in outcomes}

    def forget(self, host: str) -> None:
        """Close and drop a host's transport (e.g. after it broke), so `get` reconnects.

        Closing a transport closes its channels: a lease watcher on it sees end of input and
        reverts that session's faults on the host. Only forget a host whose faults may go.
        """
        with self._lock:
            transport = self._open.pop(host, None)
        if transport is not None:
            transport.close()

    def close_all(self) -> None:
        """Close every transport (ending every lease: hosts revert what is left). Idempotent."""
        with self._lock:
            transports = list(self._open.values())
            self._open.clear()
        for transport in transports:
            transport.close()
