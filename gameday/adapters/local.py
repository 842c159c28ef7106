"""A transport that runs commands on the console's own machine (`sh -c`, no SSH).

Same contract as the SSH transport: deadlines on every command, output drained while waiting,
and on a timeout the command's whole process group is killed, so nothing it started lingers.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import subprocess
import time
from threading import Lock

from gameday.engine.ports import Channel, CommandResult
from gameday.errors import CommandTimedOut, TransportError

_READ_CHUNK = 65536


class LocalTransport:
    """Runs commands with `sh -c` as the console's own user; `host` names it in results."""

    def __init__(self, host: str = "localhost") -> None:
        self.host = host
        self._channels: list[LocalChannel] = []
        self._lock = Lock()

    def run(self, command: str, *, timeout: float, stdin: str | None = None) -> CommandResult:
        """Run `command` in its own process group; kill the group at the deadline."""
        started = time.monotonic()
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv is fixed; the command is the payload
                ["sh", "-c", command],
                stdin=subprocess.PIPE if stdin is not None else subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as exc:
            raise TransportError(self.host, f"cannot start sh: {exc.strerror or exc}") from None
        try:
            out, err = proc.communicate(
                input=stdin.encode() if stdin is not None else None, timeout=timeout
            )
        except subprocess.TimeoutExpired:
            _kill_group(proc)
            try:  # a process that left the group may still hold the pipes: do not wait on it
                proc.communicate(timeout=2)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=2)
            raise CommandTimedOut(
                self.host, f"no exit after {timeout:g}s (killed): {_short(command)}"
            ) from None
        return CommandResult(
            host=self.host,
            command=command,
            status=proc.returncode if proc.returncode >= 0 else 128 - proc.returncode,
            stdout=out.decode(errors="replace"),
            stderr=err.decode(errors="replace"),
            duration=time.monotonic() - started,
        )

    def open_channel(self, command: str) -> Channel:
        """Start `command` in its own session with pipes for stdin and stdout."""
        try:
            proc = subprocess.Popen(  # noqa: S603 - argv is fixed; the command is the payload
                ["sh", "-c", command],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as exc:
            raise TransportError(self.host, f"cannot start sh: {exc.strerror or exc}") from None
        channel = LocalChannel(self.host, proc)
        with self._lock:
            self._channels.append(channel)
        return channel

    def close(self) -> None:
        with self._lock:
            channels, self._channels = self._channels, []
        for channel in channels:
            channel.close()


class LocalChannel:
    """A local long-lived command, read line by line with deadlines."""

    def __init__(self, host: str, proc: subprocess.Popen[bytes]) -> None:
        self.host = host
        self.pid = proc.pid
        """The `sh` at the root of the command's process group (for tests that kill it)."""
        self._proc = proc
        self._buffer = b""
        self._eof = False

    def write_line(self, line: str) -> None:
        stdin = self._proc.stdin
        if stdin is None or stdin.closed:
            raise TransportError(self.host, "channel is closed")
        try:
            stdin.write(line.encode() + b"\n")
            stdin.flush()
        except (BrokenPipeError, ValueError, OSError):
            raise TransportError(self.host, "the command on the channel has exited") from None

    def read_line(self, timeout: float) -> str | None:
        stdout = self._proc.stdout
        assert stdout is not None
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            if self._eof:
                return None
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CommandTimedOut(self.host, f"no line from the channel within {timeout:g}s")
            ready, _, _ = select.select([stdout], [], [], remaining)
            if ready:
                chunk = os.read(stdout.fileno(), _READ_CHUNK)
                if chunk:
                    self._buffer += chunk
                else:
                    self._eof = True
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode(errors="replace")

    def is_open(self) -> bool:
        return self._proc.poll() is None

    def close(self) -> None:
        stdin = self._proc.stdin
        if stdin is not None and not stdin.closed:
            with contextlib.suppress(OSError):
                stdin.close()
        self._proc.poll()  # reap if it already exited; never wait: the host side may be reverting


def _kill_group(proc: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)


def _short(command: str, limit: int = 80) -> str:
    flat = " ".join(command.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"
