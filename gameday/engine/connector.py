"""`Connector`: opens one transport per host in parallel (bounded) and keeps it for the session.

The adapter gives it a factory (`open_one(name)`); the engine and the composition roots use it
to connect a whole target list at once and to reconnect one host.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from threading import Lock

from gameday.engine.ports import ConnectOutcome, OpenTransport, Transport
from gameday.errors import GamedayError, TransportError

MAX_PARALLEL = 16
"""Connections opened at once (more hosts wait for a free slot, each held through its `then`).
32 measured no faster at 24 lab hosts (docs/performance.md)."""


class Connector:
    """Opens one transport per host in parallel (bounded) and reuses it for the session.

    Thread-safe. `open_one(name)` is the adapter's factory; it must raise only GamedayError
    subclasses for anything a user should read (others are reported as internal errors).
    """

    def __init__(self, open_one: OpenTransport, *, max_parallel: int = MAX_PARALLEL) -> None:
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

    def connect_all(
        self, hosts: Iterable[str], then: Callable[[str, Transport], None] | None = None
    ) -> Mapping[str, ConnectOutcome]:
        """Open every host at once (at most `max_parallel` in flight); never raises per host.

        `then(host, transport)` runs in the connecting worker as soon as that host is connected
        (while others still connect); what it raises is dropped, the connection is kept.
        """
        names = list(dict.fromkeys(hosts))

        def one(name: str) -> ConnectOutcome:
            started = time.monotonic()
            try:
                transport = self.get(name)
                if then is not None:
                    with contextlib.suppress(Exception):
                        then(name, transport)
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
