"""SSH transport over paramiko: one verified connection per host, reused for the session.

- Host keys are checked against `~/.ssh/known_hosts` plus the inventory's `known_hosts`. An
  unknown key is refused with its SHA256 fingerprint and how to trust it; with
  `trust_new_hosts=True` (the `--trust-new-hosts` flag) it is appended to the inventory's
  known_hosts file instead. A changed key is always refused. Never auto-accepted silently.
- `~/.ssh/config` is honoured for HostName, User, Port, IdentityFile and ProxyJump (each jump
  host is itself verified; the next hop runs through its `direct-tcpip` channel); ssh-agent
  keys are offered. Values written in the inventory win over `~/.ssh/config`, except the
  inventory defaults (user root, port 22), which the config may override.
- The socket is opened here with TCP_NODELAY (paramiko leaves Nagle on: ~40 ms stalls); after
  auth an SSH_MSG_IGNORE is sent so OpenSSH's hostkeys message does not stall the first channel.
- Every step has a deadline: TCP connect, banner, auth, channel open and command execution
  (the exit status is awaited with a deadline while stdout/stderr are drained).
- paramiko and socket errors are mapped here to gameday.errors, each naming the host.

Import this module lazily (paramiko costs ~200 ms to import).
"""

from __future__ import annotations

import contextlib
import os
import select
import shlex
import socket
import threading
import time
from collections.abc import Sequence
from typing import Any

import paramiko

from gameday.adapters.ssh_config import (
    Endpoint,
    KnownHostsPolicy,
    SshOptions,
    fingerprint,
    load_ssh_config,
    next_hop,
    resolve_endpoint,
    resolve_jump,
)
from gameday.core.formats.inventory import Inventory
from gameday.engine.connector import Connector
from gameday.engine.ports import Channel, CommandResult
from gameday.errors import (
    AuthFailed,
    CommandTimedOut,
    HostKeyRejected,
    HostUnreachable,
    TransportError,
)

MAX_OUTPUT = 8 * 1024 * 1024
"""Bytes kept per stream of one command; more is drained and dropped (with a marker)."""
_CHUNK = 65536
_EXIT_GRACE = 0.5
"""Seconds to wait for output after the exit status when the output stays open."""
_WRITE_TIMEOUT = 10.0
"""Seconds a line written into a long-lived channel may wait for the remote to take it."""
TCP_USER_TIMEOUT = 10.0
"""Seconds sent data may stay unacknowledged before the kernel drops the connection: with the
path gone for good, every wait inside paramiko on this connection (some have no deadline of
their own, e.g. a channel request's reply) ends within this bound, as an error."""


class SshTransport:
    """One authenticated SSH connection to one host (see the module docstring)."""

    def __init__(self, host: str, client: paramiko.SSHClient, jumps: Sequence[paramiko.SSHClient]):
        self.host = host
        self._client = client
        self._jumps = list(jumps)
        self._channels: list[SshChannel] = []
        self._lock = threading.Lock()

    def _transport(self) -> paramiko.Transport:
        transport = self._client.get_transport()
        if transport is None or not transport.is_active():
            raise HostUnreachable(self.host, "the SSH connection was lost")
        return transport

    def _open_session(self, timeout: float) -> paramiko.Channel:
        try:
            return self._transport().open_session(timeout=timeout)
        except paramiko.ChannelException as exc:
            # the connection is fine; sshd refused one more channel (MaxSessions, default 10)
            raise TransportError(
                self.host, f"sshd refused a new channel ({_why(exc)}): too many at once?"
            ) from None
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise HostUnreachable(self.host, f"cannot open a channel: {_why(exc)}") from None

    def run(self, command: str, *, timeout: float, stdin: str | None = None) -> CommandResult:
        started = time.monotonic()
        deadline = started + timeout
        chan = self._open_session(max(0.1, timeout))
        try:
            try:
                chan.exec_command(command)
                if stdin is not None:
                    # a command that does not read its input must not hold us past the deadline
                    chan.settimeout(max(0.1, deadline - time.monotonic()))
                    chan.sendall(stdin.encode())
                chan.shutdown_write()
            except TimeoutError:
                raise CommandTimedOut(
                    self.host, f"input not consumed within {timeout:g}s: {_short(command)}"
                ) from None
            except (paramiko.SSHException, EOFError, OSError) as exc:
                raise HostUnreachable(self.host, f"cannot start the command: {_why(exc)}") from None
            out, err = _Drain(), _Drain()
            exited_at: float | None = None
            while True:
                out.take(chan, stderr=False)
                err.take(chan, stderr=True)
                if chan.exit_status_ready():
                    if _finished(chan):
                        break
                    # exited, but a child it left still holds the output open: wait briefly
                    # for the rest of the output, never for the child
                    exited_at = exited_at if exited_at is not None else time.monotonic()
                    if time.monotonic() - exited_at > _EXIT_GRACE:
                        break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise CommandTimedOut(
                        self.host, f"no exit after {timeout:g}s: {_short(command)}"
                    )
                if chan.eof_received and not (chan.recv_ready() or chan.recv_stderr_ready()):
                    # no more output can come: only the exit status is missing
                    chan.status_event.wait(min(remaining, 1.0))
                    if not chan.exit_status_ready() and chan.closed:
                        raise HostUnreachable(self.host, "the channel closed without exit status")
                else:
                    select.select([chan], [], [], min(remaining, 0.1 if exited_at else 1.0))
                if not self._transport_alive():
                    raise HostUnreachable(self.host, "the SSH connection was lost mid-command")
            status = chan.recv_exit_status()
        finally:
            chan.close()
        return CommandResult(
            host=self.host,
            command=command,
            status=status if status >= 0 else 255,
            stdout=out.text(),
            stderr=err.text(),
            duration=time.monotonic() - started,
        )

    def _transport_alive(self) -> bool:
        transport = self._client.get_transport()
        return transport is not None and transport.is_active()

    def open_channel(self, command: str) -> Channel:
        chan = self._open_session(10.0)
        try:
            chan.exec_command(command)
        except (paramiko.SSHException, EOFError, OSError) as exc:
            chan.close()
            raise HostUnreachable(self.host, f"cannot start the command: {_why(exc)}") from None
        channel = SshChannel(self.host, chan)
        with self._lock:
            self._channels.append(channel)
        return channel

    def close(self) -> None:
        with self._lock:
            channels, self._channels = self._channels, []
        for channel in channels:
            channel.close()
        for client in [self._client, *reversed(self._jumps)]:
            with contextlib.suppress(Exception):
                client.close()

    def abort_connection(self) -> None:
        """Drop the TCP connection at once, as a crash would (for drills and tests)."""
        transport = self._client.get_transport()
        sock = transport.sock if transport is not None else None
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        self.close()


class SshChannel:
    """A long-lived remote command, read line by line with deadlines."""

    def __init__(self, host: str, chan: paramiko.Channel) -> None:
        self.host = host
        self._chan = chan
        # bounds a write when the remote stops reading; reads only happen when data is ready
        self._chan.settimeout(_WRITE_TIMEOUT)
        self._buffer = b""

    def write_line(self, line: str) -> None:
        try:
            self._chan.sendall(line.encode() + b"\n")
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise TransportError(self.host, f"the channel is gone: {_why(exc)}") from None

    def read_line(self, timeout: float) -> str | None:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buffer:
            if self._chan.recv_ready():
                chunk = self._chan.recv(_CHUNK)
                if not chunk:
                    return self._rest()
                self._buffer += chunk
                continue
            if self._chan.eof_received or self._chan.closed:
                if self._chan.recv_ready():
                    continue
                return self._rest()
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise CommandTimedOut(self.host, f"no line from the channel within {timeout:g}s")
            select.select([self._chan], [], [], min(remaining, 1.0))
        line, _, self._buffer = self._buffer.partition(b"\n")
        return line.decode(errors="replace")

    def _rest(self) -> str | None:
        if self._buffer:
            line, self._buffer = self._buffer, b""
            return line.decode(errors="replace")
        return None

    def is_open(self) -> bool:
        return not (self._chan.closed or self._chan.exit_status_ready() or self._chan.eof_received)

    def close(self) -> None:
        try:
            self._chan.shutdown_write()  # the remote command reads end of input
            self._chan.close()
        except Exception:
            pass


class _Drain:
    """Collects one stream, keeping at most MAX_OUTPUT bytes."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._size = 0
        self._dropped = 0

    def take(self, chan: paramiko.Channel, *, stderr: bool) -> None:
        ready = chan.recv_stderr_ready if stderr else chan.recv_ready
        recv = chan.recv_stderr if stderr else chan.recv
        while ready():
            chunk = recv(_CHUNK)
            if not chunk:
                return
            if self._size < MAX_OUTPUT:
                self._parts.append(chunk)
                self._size += len(chunk)
            else:
                self._dropped += len(chunk)

    def text(self) -> str:
        text = b"".join(self._parts).decode(errors="replace")
        if self._dropped:
            text += f"\n[gameday: {self._dropped} more bytes of output dropped]\n"
        return text


def _finished(chan: paramiko.Channel) -> bool:
    """All output has arrived: end of file seen and nothing left in either buffer."""
    return bool(chan.eof_received or chan.closed) and not (
        chan.recv_ready() or chan.recv_stderr_ready()
    )


def _why(exc: BaseException) -> str:
    text = str(exc).strip()
    return text or type(exc).__name__


def _short(command: str, limit: int = 80) -> str:
    flat = " ".join(command.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class SshConnector:
    """Opens verified SSH connections to inventory hosts (one call per host; thread-safe)."""

    def __init__(self, inventory: Inventory, options: SshOptions | None = None) -> None:
        self.inventory = inventory
        self.options = options or SshOptions()
        self._config = load_ssh_config(self.options.ssh_config)
        self._known = _KnownHosts()

    def endpoint(self, name: str) -> Endpoint:
        host = self.inventory.hosts.get(name)
        if host is None:
            raise HostUnreachable(name, "not in the inventory")
        return resolve_endpoint(host, self._config)

    def open(self, name: str) -> SshTransport:
        """Connect and authenticate to the inventory host `name` (through its jump hosts).

        Raises HostUnreachable, AuthFailed, HostKeyRejected or TransportError, naming the host.
        """
        target = self.endpoint(name)
        jumps: list[paramiko.SSHClient] = []
        try:
            sock: socket.socket | paramiko.Channel | None = None
            for spec in target.proxy_jump:
                hop = resolve_jump(spec, self._config)
                client = self._login(hop, sock, on_behalf_of=name)
                jumps.append(client)
                sock = self._through(client, hop, next_hop(target, spec, self._config), name)
            client = self._login(target, sock, on_behalf_of=name)
        except BaseException:
            for jump in reversed(jumps):
                jump.close()
            raise
        return SshTransport(name, client, jumps)

    def _through(
        self, jump: paramiko.SSHClient, hop: Endpoint, nxt: Endpoint, name: str
    ) -> paramiko.Channel:
        transport = jump.get_transport()
        assert transport is not None
        try:
            return transport.open_channel(
                "direct-tcpip",
                (nxt.address, nxt.port),
                ("127.0.0.1", 0),
                timeout=self.options.connect_timeout,
            )
        except (paramiko.SSHException, EOFError, OSError) as exc:
            raise HostUnreachable(
                name, f"jump host {hop.name} cannot reach {nxt.address}:{nxt.port}: {_why(exc)}"
            ) from None

    def _known_hosts_files(self) -> list[str]:
        files: list[str] = []
        if self.options.user_known_hosts:
            files.append(os.path.expanduser(self.options.user_known_hosts))
        if self.inventory.known_hosts:
            files.append(self.inventory.known_hosts)
        return files

    def _knowing(self, endpoint: Endpoint) -> list[str]:
        """The known_hosts files that hold a key for `endpoint` (where a changed one is)."""
        found = []
        for path in self._known_hosts_files():
            with contextlib.suppress(OSError, paramiko.SSHException):
                if self._known.read(path).lookup(endpoint.known_hosts_name):
                    found.append(path)
        return found

    def _login(
        self,
        endpoint: Endpoint,
        sock: socket.socket | paramiko.Channel | None,
        *,
        on_behalf_of: str,
    ) -> paramiko.SSHClient:
        label = (
            on_behalf_of
            if endpoint.name == on_behalf_of
            else f"{on_behalf_of} (via {endpoint.name})"
        )
        timeout = self.options.connect_timeout
        if sock is None:
            sock = _tcp_connect(label, endpoint, timeout)
        client = paramiko.SSHClient()
        for path in self._known_hosts_files():
            if os.path.isfile(path):
                try:
                    _add_known_keys(client, self._known.read(path), endpoint)
                except (OSError, paramiko.SSHException) as exc:
                    sock.close()
                    raise HostKeyRejected(
                        label, f"cannot read known_hosts {path}: {_why(exc)}"
                    ) from None
        record_in = self.inventory.known_hosts or (
            os.path.expanduser(self.options.user_known_hosts)
            if self.options.user_known_hosts
            else None
        )
        client.set_missing_host_key_policy(
            KnownHostsPolicy(endpoint, record_in, self.options.trust_new_hosts)
        )
        try:
            client.connect(
                endpoint.address,
                port=endpoint.port,
                username=endpoint.user,
                # paramiko takes a list of key files; its stubs say str only
                key_filename=list(endpoint.identity_files) or None,  # type: ignore[arg-type]
                allow_agent=self.options.use_agent,
                look_for_keys=self.options.look_for_keys,
                sock=sock,
                timeout=timeout,
                banner_timeout=timeout,
                auth_timeout=timeout,
                channel_timeout=timeout,
                transport_factory=aead_first,
            )
        except BaseException as exc:
            client.close()
            sock.close()
            if isinstance(exc, TransportError):
                raise
            if isinstance(exc, Exception):
                raise _map_connect_error(label, endpoint, exc, self._knowing(endpoint)) from None
            raise
        transport = client.get_transport()
        assert transport is not None
        if self.options.keepalive:
            transport.set_keepalive(self.options.keepalive)
        with contextlib.suppress(paramiko.SSHException, EOFError, OSError):
            transport.send_ignore()
        return client


class _KnownHosts:
    """known_hosts files read once for all of a connector's connections (again when one
    changes on disk), instead of once per connection: at 24 hosts that parsing alone held the
    interpreter for ~30 ms of a launch."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._read: dict[str, tuple[tuple[int, int], paramiko.HostKeys]] = {}

    def read(self, path: str) -> paramiko.HostKeys:
        """The keys in `path` (raises OSError, or SSHException for a file paramiko refuses).
        Parsed under the lock: every host of a launch connects at once, and each would
        otherwise parse the same file before the first had stored it."""
        found = os.stat(path)
        stamp = (found.st_mtime_ns, found.st_size)
        with self._lock:
            cached = self._read.get(path)
            if cached is not None and cached[0] == stamp:
                return cached[1]
            keys = paramiko.HostKeys(path)
            self._read[path] = (stamp, keys)
            return keys


def _add_known_keys(client: paramiko.SSHClient, known: paramiko.HostKeys, at: Endpoint) -> None:
    """The keys `known` holds for `at`, as paramiko will look them up, into `client`."""
    name = at.address if at.port == 22 else f"[{at.address}]:{at.port}"
    for key_type, key in (known.lookup(name) or {}).items():
        client.get_host_keys().add(name, key_type, key)


def _tcp_connect(label: str, endpoint: Endpoint, timeout: float) -> socket.socket:
    where = f"{endpoint.address}:{endpoint.port}"
    try:
        sock = socket.create_connection((endpoint.address, endpoint.port), timeout=timeout)
    except TimeoutError:
        raise HostUnreachable(label, f"no answer from {where} within {timeout:g}s") from None
    except ConnectionRefusedError:
        raise HostUnreachable(
            label, f"connection refused by {where} (no sshd listening?)"
        ) from None
    except socket.gaierror as exc:
        raise HostUnreachable(label, f"cannot resolve {endpoint.address}: {exc.strerror}") from None
    except OSError as exc:
        raise HostUnreachable(label, f"cannot connect to {where}: {exc.strerror or exc}") from None
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    if hasattr(socket, "TCP_USER_TIMEOUT"):  # Linux
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, int(TCP_USER_TIMEOUT * 1000))
    return quick_ack(sock)


def aead_first(sock: Any, /, **options: Any) -> paramiko.Transport:
    """A paramiko Transport that offers AES-GCM first (as OpenSSH offers its AEAD ciphers first):
    an AEAD cipher's tag is checked in C, where a CTR cipher's HMAC is compared byte by byte in
    Python for every packet received (~40 ms of the interpreter in a 24-host launch here). The
    other ciphers stay, after it, for servers without it."""
    transport = paramiko.Transport(sock, **options)  # what SSHClient passes, as it passes it
    security = transport.get_security_options()
    aead = tuple(name for name in security.ciphers if name.endswith("-gcm@openssh.com"))
    security.ciphers = aead + tuple(name for name in security.ciphers if name not in aead)
    return transport


def quick_ack(sock: socket.socket) -> socket.socket:
    """`sock` as a `QuickAckSocket` where the system has TCP_QUICKACK (Linux), else as it is."""
    if not hasattr(socket, "TCP_QUICKACK"):
        return sock
    return QuickAckSocket(fileno=sock.detach())


class QuickAckSocket(socket.socket):
    """A socket that acknowledges every segment at once (TCP_QUICKACK, renewed after each
    read: the kernel drops it by itself). sshd leaves Nagle on for sessions without a terminal,
    so each small message it sends after one we have not acknowledged yet (the `hostkeys`
    notice after login, a launch's step markers, a watcher's answer just after a heartbeat's)
    waits for our delayed ACK: ~40 ms, measured on the lab's first channel of every host."""

    def recv(self, bufsize: int, flags: int = 0) -> bytes:
        data = super().recv(bufsize, flags)
        with contextlib.suppress(OSError):
            self.setsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK, 1)
        return data


def _map_connect_error(
    label: str, endpoint: Endpoint, exc: Exception, known_in: Sequence[str] = ()
) -> TransportError:
    where = f"{endpoint.address}:{endpoint.port}"
    if isinstance(exc, paramiko.BadHostKeyException):
        name = shlex.quote(endpoint.known_hosts_name)
        removals = " and ".join(f"ssh-keygen -f {shlex.quote(f)} -R {name}" for f in known_in)
        return HostKeyRejected(
            label,
            f"the host key of {endpoint.known_hosts_name} CHANGED: offered "
            f"{exc.key.get_name()} {fingerprint(exc.key)}, known {exc.expected_key.get_name()} "
            f"{fingerprint(exc.expected_key)}. Refused: this may be an attack. If the host was "
            f"really reinstalled, remove the old entry ({removals or f'ssh-keygen -R {name}'})"
            " and record the new key.",
        )
    if isinstance(exc, paramiko.PasswordRequiredException):
        return AuthFailed(label, f"the key for {endpoint.user} is encrypted: add it to ssh-agent")
    if isinstance(exc, paramiko.AuthenticationException):
        return AuthFailed(
            label,
            f"{endpoint.user}@{where} refused every key offered "
            f"({_offered(endpoint)}): {_why(exc)}",
        )
    if isinstance(exc, TimeoutError | socket.timeout):
        return HostUnreachable(label, f"{where} did not finish the SSH handshake in time")
    if isinstance(exc, paramiko.SSHException):
        text = _why(exc)
        if "banner" in text.lower():
            return HostUnreachable(label, f"{where} does not speak SSH (no banner): {text}")
        if text == "No authentication methods available":
            return AuthFailed(
                label,
                f"no key to offer {endpoint.user}@{where}: set identity_file for this host in "
                "the inventory, or load a key into ssh-agent",
            )
        if text in ("No existing session", "Negotiation failed."):
            # paramiko's start_client returns silently at its timeout; this is what follows
            return HostUnreachable(label, f"{where} did not finish the SSH handshake in time")
        return TransportError(label, f"SSH error with {where}: {text}")
    if isinstance(exc, EOFError | ConnectionError):
        return HostUnreachable(label, f"{where} closed the connection during the handshake")
    if isinstance(exc, OSError):
        return HostUnreachable(label, f"network error with {where}: {exc.strerror or exc}")
    return TransportError(label, f"cannot connect to {where}: {type(exc).__name__}: {_why(exc)}")


def _offered(endpoint: Endpoint) -> str:
    parts = [f"key {path}" for path in endpoint.identity_files]
    parts.append("ssh-agent keys and ~/.ssh/id_*")
    return ", ".join(parts)


def make_connector(inventory: Inventory, options: SshOptions | None = None) -> Connector:
    """The session's pool: one verified SSH connection per host, opened in parallel."""
    return Connector(SshConnector(inventory, options).open)
