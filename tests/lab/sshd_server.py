"""A real OpenSSH server on 127.0.0.1 for transport tests: temp host key, temp client key,
no PAM, its own log file; stopped by PID in teardown.

`/run/sshd` (sshd's privilege-separation directory, normally made at boot by the package) is
created when missing and left in place: another sshd may be using it.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SSHD = Path("/usr/sbin/sshd")


@dataclass
class Sshd:
    port: int
    dir: Path
    host_key: Path
    client_key: Path
    known_hosts: Path
    """A known_hosts file that lists this server's key (as `[127.0.0.1]:PORT`)."""
    log: Path
    pid: int

    @property
    def host_pub(self) -> str:
        return (self.dir / "host_key.pub").read_text().split()[1]

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _keygen(path: Path) -> None:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
        check=True,
        capture_output=True,
        timeout=30,
    )


def start_sshd(base: Path) -> Sshd:
    """Start sshd -D on a free loopback port; returns once it accepts connections (≤10 s)."""
    base.mkdir(parents=True, exist_ok=True)
    Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    host_key = base / "host_key"
    client_key = base / "client_key"
    _keygen(host_key)
    _keygen(client_key)
    authorized = base / "authorized_keys"
    authorized.write_text((base / "client_key.pub").read_text())
    authorized.chmod(0o600)
    port = free_port()
    log = base / "sshd.log"
    config = base / "sshd_config"
    config.write_text(
        "\n".join(
            [
                f"Port {port}",
                "ListenAddress 127.0.0.1",
                f"HostKey {host_key}",
                f"PidFile {base / 'sshd.pid'}",
                f"AuthorizedKeysFile {authorized}",
                "UsePAM no",
                "PasswordAuthentication no",
                "KbdInteractiveAuthentication no",
                "PermitRootLogin prohibit-password",
                "StrictModes no",
                "LogLevel VERBOSE",
                "MaxSessions 50",
                "MaxStartups 50",
                "",
            ]
        )
    )
    known_hosts = base / "known_hosts"
    pub = (base / "host_key.pub").read_text().split()
    known_hosts.write_text(f"[127.0.0.1]:{port} {pub[0]} {pub[1]}\n")
    proc = subprocess.Popen(
        [str(SSHD), "-D", "-f", str(config), "-E", str(log)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = Sshd(port, base, host_key, client_key, known_hosts, log, proc.pid)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"sshd exited at start: {server.log_text()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return server
        except OSError:
            time.sleep(0.05)
    stop_sshd(server)
    raise RuntimeError(f"sshd did not listen within 10 s: {server.log_text()}")


def stop_sshd(server: Sshd) -> None:
    """Stop the server and every session it started (its whole process group), by PID."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(server.pid, sig)
        except ProcessLookupError:
            break
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            try:
                pid, _ = os.waitpid(server.pid, os.WNOHANG)
            except ChildProcessError:
                return
            if pid:
                return
            time.sleep(0.05)


def sshd_running(base: Path) -> Iterator[Sshd]:
    server = start_sshd(base)
    try:
        yield server
    finally:
        stop_sshd(server)
