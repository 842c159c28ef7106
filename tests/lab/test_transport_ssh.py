"""The SSH transport against a real OpenSSH server on loopback: deadlines, host-key checks,
error mapping, output draining and long-lived channels."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING

import pytest

from gameday.core.formats.inventory import Host, Inventory
from gameday.errors import AuthFailed, CommandTimedOut, HostKeyRejected, HostUnreachable
from tests.lab.sshd_server import SSHD, Sshd, free_port, sshd_running

if TYPE_CHECKING:  # imported where used: paramiko loads only for the tests that connect
    from gameday.adapters.ssh import SshTransport
    from gameday.adapters.ssh_config import SshOptions

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(not SSHD.exists(), reason="OpenSSH server (/usr/sbin/sshd) not installed"),
]


@pytest.fixture(scope="module")
def sshd(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sshd]:
    yield from sshd_running(tmp_path_factory.mktemp("sshd"))


def _inventory(
    server: Sshd, *, user: str = "root", port: int | None = None, known_hosts: Path | None = None
) -> Inventory:
    host = Host(
        name="web-1",
        address="127.0.0.1",
        port=port or server.port,
        user=user,
        identity_file=str(server.client_key),
    )
    return Inventory(
        file="inventory.yaml",
        hosts=MappingProxyType({"web-1": host}),
        groups=MappingProxyType({}),
        known_hosts=str(known_hosts or server.known_hosts),
    )


def _options(**overrides: object) -> SshOptions:
    from gameday.adapters.ssh_config import SshOptions

    settings: dict[str, object] = {
        "ssh_config": None,
        "user_known_hosts": None,
        "use_agent": False,
        "look_for_keys": False,
        "connect_timeout": 5.0,
    }
    settings.update(overrides)
    return SshOptions(**settings)  # type: ignore[arg-type]


def _open(inventory: Inventory, **overrides: object) -> SshTransport:
    from gameday.adapters.ssh import SshConnector

    return SshConnector(inventory, _options(**overrides)).open("web-1")


def test_command_runs_and_reports_status_and_both_streams(sshd: Sshd) -> None:
    transport = _open(_inventory(sshd))
    try:
        result = transport.run("echo out; echo err >&2; exit 3", timeout=10)
    finally:
        transport.close()
    assert (result.status, result.stdout, result.stderr) == (3, "out\n", "err\n")
    assert result.host == "web-1"


def test_stdin_reaches_the_command(sshd: Sshd) -> None:
    transport = _open(_inventory(sshd))
    try:
        result = transport.run("tr a-z A-Z", timeout=10, stdin="hello\n")
    finally:
        transport.close()
    assert result.stdout == "HELLO\n"


def test_a_command_past_its_deadline_times_out_quickly(sshd: Sshd) -> None:
    transport = _open(_inventory(sshd))
    try:
        started = time.monotonic()
        with pytest.raises(CommandTimedOut) as caught:
            transport.run("sleep 30", timeout=1)
        elapsed = time.monotonic() - started
        # the connection stays usable after a timed-out command
        assert transport.run("echo still-here", timeout=10).stdout == "still-here\n"
    finally:
        transport.close()
    assert elapsed < 3, f"timeout took {elapsed:.1f}s"
    assert caught.value.host == "web-1"


def test_large_outputs_on_both_streams_are_drained_while_waiting(sshd: Sshd) -> None:
    transport = _open(_inventory(sshd))
    size = 3 * 1024 * 1024  # far beyond paramiko's 2 MiB window: stalls unless drained
    try:
        result = transport.run(
            f"head -c {size} /dev/zero | tr '\\0' a; head -c {size} /dev/zero | tr '\\0' b >&2",
            timeout=30,
        )
    finally:
        transport.close()
    assert result.status == 0
    assert len(result.stdout) == size and set(result.stdout) == {"a"}
    assert len(result.stderr) == size and set(result.stderr) == {"b"}


def test_unknown_host_key_is_refused_with_its_fingerprint(sshd: Sshd, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.write_text("")
    with pytest.raises(HostKeyRejected) as caught:
        _open(_inventory(sshd, known_hosts=empty))
    fingerprint = _fingerprint(sshd)
    assert fingerprint in caught.value.message
    assert "--trust-new-hosts" in caught.value.message
    assert empty.read_text() == "", "an unknown key must never be recorded silently"


def test_trust_new_hosts_records_the_key_then_connects(sshd: Sshd, tmp_path: Path) -> None:
    known = tmp_path / "known_hosts"
    known.write_text("")
    transport = _open(_inventory(sshd, known_hosts=known), trust_new_hosts=True)
    try:
        assert transport.run("true", timeout=10).status == 0
    finally:
        transport.close()
    assert sshd.host_pub in known.read_text()
    # next time the recorded key is simply checked
    again = _open(_inventory(sshd, known_hosts=known))
    again.close()


def test_changed_host_key_is_refused_even_when_trusting_new_hosts(
    sshd: Sshd, tmp_path: Path
) -> None:
    from tests.lab.sshd_server import _keygen

    other = tmp_path / "other"
    _keygen(other)
    kind, blob = (tmp_path / "other.pub").read_text().split()[:2]
    known = tmp_path / "known_hosts"
    known.write_text(f"[127.0.0.1]:{sshd.port} {kind} {blob}\n")
    with pytest.raises(HostKeyRejected) as caught:
        _open(_inventory(sshd, known_hosts=known), trust_new_hosts=True)
    assert "CHANGED" in caught.value.message
    assert _fingerprint(sshd) in caught.value.message
    # the way out names the file that holds the old key, not ssh's default one
    assert f"(ssh-keygen -f {known} -R '[127.0.0.1]:{sshd.port}')" in caught.value.message
    assert known.read_text() == f"[127.0.0.1]:{sshd.port} {kind} {blob}\n"


def test_wrong_user_is_an_auth_failure(sshd: Sshd) -> None:
    with pytest.raises(AuthFailed) as caught:
        _open(_inventory(sshd, user="nobody-here"))
    assert caught.value.host == "web-1"
    assert "nobody-here" in caught.value.message


def test_closed_port_is_unreachable_fast(sshd: Sshd) -> None:
    started = time.monotonic()
    with pytest.raises(HostUnreachable) as caught:
        _open(_inventory(sshd, port=free_port()))
    assert time.monotonic() - started < 3
    assert "refused" in caught.value.message


def test_channel_round_trips_lines_and_sees_the_end(sshd: Sshd) -> None:
    transport = _open(_inventory(sshd))
    try:
        channel = transport.open_channel(
            'while IFS= read -r line; do echo "got $line"; done; echo bye'
        )
        started = time.monotonic()
        channel.write_line("one")
        assert channel.read_line(5) == "got one"
        round_trip = time.monotonic() - started
        channel.write_line("two")
        assert channel.read_line(5) == "got two"
        with pytest.raises(CommandTimedOut):
            channel.read_line(0.2)
        channel.close()
        assert channel.is_open() is False
    finally:
        transport.close()
    assert round_trip < 0.5, f"a line round trip took {round_trip * 1000:.0f} ms"


def test_connector_opens_hosts_in_parallel_and_reuses_them(sshd: Sshd) -> None:
    from gameday.adapters.ssh import SshConnector
    from gameday.engine.connector import Connector

    ssh = SshConnector(_inventory(sshd), _options())
    connector = Connector(ssh.open, max_parallel=4)
    try:
        outcomes = connector.connect_all(["web-1", "web-1", "nowhere"])
        assert set(outcomes) == {"web-1", "nowhere"}
        assert outcomes["web-1"].error is None
        assert isinstance(outcomes["nowhere"].error, HostUnreachable)
        assert connector.get("web-1") is outcomes["web-1"].transport
    finally:
        connector.close_all()


def _fingerprint(server: Sshd) -> str:
    import base64
    import hashlib

    blob = base64.b64decode(server.host_pub)
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def test_a_port_that_never_speaks_ssh_is_unreachable_within_the_deadline(sshd: Sshd) -> None:
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:  # accept and stay silent: no SSH banner ever comes
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        started = time.monotonic()
        with pytest.raises(HostUnreachable) as caught:
            _open(_inventory(sshd, port=listener.getsockname()[1]), connect_timeout=1.0)
        elapsed = time.monotonic() - started
    finally:
        stop.set()
        thread.join(5)
        for conn in accepted:
            conn.close()
        listener.close()
    assert elapsed < 4, f"gave up after {elapsed:.1f}s"
    assert caught.value.host == "web-1"
    assert "in time" in caught.value.message or "banner" in caught.value.message


def test_a_listener_that_never_accepts_is_unreachable_within_the_deadline(sshd: Sshd) -> None:
    import socket

    with socket.socket() as listener:  # the kernel completes the TCP handshake; nobody talks
        listener.bind(("127.0.0.1", 0))
        listener.listen(4)
        started = time.monotonic()
        with pytest.raises(HostUnreachable) as caught:
            _open(_inventory(sshd, port=listener.getsockname()[1]), connect_timeout=1.0)
        elapsed = time.monotonic() - started
    assert elapsed < 4, f"gave up after {elapsed:.1f}s"
    assert "in time" in caught.value.message or "banner" in caught.value.message


def test_ssh_agent_keys_are_offered(
    sshd: Sshd, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import os
    import signal
    import subprocess

    sock = tmp_path / "agent.sock"
    agent = subprocess.run(
        ["ssh-agent", "-a", str(sock)], capture_output=True, text=True, timeout=10, check=True
    )
    pid = int(agent.stdout.split("SSH_AGENT_PID=")[1].split(";")[0])
    try:
        env = {**os.environ, "SSH_AUTH_SOCK": str(sock)}
        subprocess.run(
            ["ssh-add", str(sshd.client_key)], env=env, capture_output=True, timeout=10, check=True
        )
        monkeypatch.setenv("SSH_AUTH_SOCK", str(sock))
        inventory = _inventory(sshd)
        keyless = Host(name="web-1", address="127.0.0.1", port=sshd.port)  # no identity file
        inventory = Inventory(
            file=inventory.file,
            hosts=MappingProxyType({"web-1": keyless}),
            groups=inventory.groups,
            known_hosts=inventory.known_hosts,
        )
        transport = _open(inventory, use_agent=True)
        try:
            assert transport.run("echo via-agent", timeout=10).stdout == "via-agent\n"
        finally:
            transport.close()
        with pytest.raises(AuthFailed):  # and without the agent the same host refuses us
            _open(inventory, use_agent=False)
    finally:
        os.kill(pid, signal.SIGTERM)


def test_the_connection_uses_an_aead_cipher_where_sshd_offers_one(sshd: Sshd) -> None:
    # its tag is checked in C; a CTR cipher's HMAC is compared byte by byte in Python for
    # every packet received (tens of ms of the interpreter in a launch on 24 hosts)
    transport = _open(_inventory(sshd))
    try:
        negotiated = vars(transport._transport())  # paramiko's stubs do not declare these
        assert negotiated["remote_cipher"].endswith("-gcm@openssh.com")
        assert negotiated["local_cipher"].endswith("-gcm@openssh.com")
    finally:
        transport.close()
