"""What gameday is measured against: the obvious ways to run the plan's lines over SSH.

    armed floor      one `sh` channel per host opened beforehand; write the revert + verify
                     lines, read a marker line back (no connection or channel set-up timed)
    exec pool        a paramiko thread pool: a new channel + exec of the same lines per host
    ControlMaster    OpenSSH `ssh` through a ControlMaster socket per host, all at once
    bare launch      a paramiko thread pool doing connect + auth + exec of inject + verify

Every connection verifies the host key against the lab's known_hosts, sets TCP_NODELAY,
acknowledges every segment at once (TCP_QUICKACK) and offers AES-GCM first, as gameday does, so
the comparison is of the paths, not of the tuning.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import paramiko

from gameday.adapters.ssh import aead_first, quick_ack
from gameday.lab.model import LabInfo


def connect(info: LabInfo, name: str) -> paramiko.Transport:
    """An authenticated paramiko transport to a lab host (host key verified)."""
    address = info.host(name).address
    sock = socket.create_connection((address, 22), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    transport = aead_first(quick_ack(sock))
    transport.start_client(timeout=10)
    known = paramiko.HostKeys(str(info.known_hosts)).lookup(address)
    key = transport.get_remote_server_key()
    if known is None or known.get(key.get_name()) != key:
        transport.close()
        raise RuntimeError(f"{name}: host key does not match known_hosts")
    transport.auth_publickey("root", paramiko.Ed25519Key.from_private_key_file(str(info.key)))
    transport.send_ignore()
    return transport


def exec_ok(transport: paramiko.Transport, command: str, timeout: float = 30.0) -> bool:
    """Run one command on a new channel; True iff it exits 0."""
    chan = transport.open_session(timeout=timeout)
    try:
        chan.settimeout(timeout)
        chan.exec_command(command)
        return chan.recv_exit_status() == 0
    finally:
        chan.close()


@contextlib.contextmanager
def transports(info: LabInfo, names: Sequence[str]) -> Iterator[dict[str, paramiko.Transport]]:
    with ThreadPoolExecutor(max_workers=len(names)) as pool:
        opened = dict(zip(names, pool.map(lambda n: connect(info, n), names), strict=True))
    try:
        yield opened
    finally:
        for transport in opened.values():
            transport.close()


def run_everywhere(open_: Mapping[str, paramiko.Transport], scripts: Mapping[str, str]) -> None:
    """Run each host's script over its transport, all at once; raise if one fails."""
    with ThreadPoolExecutor(max_workers=len(scripts)) as pool:
        oks = list(pool.map(lambda h: exec_ok(open_[h], scripts[h]), list(scripts)))
    if not all(oks):
        raise AssertionError("a command failed on a host")


# --- the kill switch's baselines ------------------------------------------------------------


class ArmedShells:
    """One `sh` per host, started before the clock runs (the floor: no set-up timed)."""

    def __init__(self, open_: Mapping[str, paramiko.Transport]) -> None:
        self.chans: dict[str, paramiko.Channel] = {}
        for name, transport in open_.items():
            chan = transport.open_session(timeout=10)
            chan.exec_command("sh")
            self.chans[name] = chan

    def run(self, scripts: Mapping[str, str], timeout: float = 30.0) -> float:
        """Seconds from the first write to the last host's marker line (all verified)."""
        started = time.perf_counter()
        for name, text in scripts.items():
            # one subshell per request, so `exit` in a line cannot end the armed shell
            self.chans[name].sendall(f"( {text}\n); echo gameday-bench-$?\n".encode())
        pending = {self.chans[n]: b"" for n in scripts}
        deadline = time.monotonic() + timeout
        failed: list[str] = []
        while pending:
            ready, _, _ = select.select(list(pending), [], [], deadline - time.monotonic())
            if not ready:
                raise TimeoutError("an armed shell did not answer")
            for chan in ready:
                pending[chan] += chan.recv(4096)
                if b"gameday-bench-" in pending[chan] and pending[chan].endswith(b"\n"):
                    if not pending[chan].rstrip().endswith(b"gameday-bench-0"):
                        failed.append(str(chan))
                    del pending[chan]
        took = time.perf_counter() - started
        if failed:
            raise AssertionError(f"revert not verified on {len(failed)} host(s)")
        return took

    def close(self) -> None:
        for chan in self.chans.values():
            chan.close()


def exec_pool(open_: Mapping[str, paramiko.Transport], scripts: Mapping[str, str]) -> float:
    """Seconds for a thread pool to run each host's script on a new channel + exec."""
    with ThreadPoolExecutor(max_workers=len(scripts)) as pool:
        list(pool.map(lambda _h: None, list(scripts)))  # threads exist before the clock runs
        started = time.perf_counter()
        oks = list(pool.map(lambda h: exec_ok(open_[h], scripts[h]), list(scripts)))
        took = time.perf_counter() - started
    if not all(oks):
        raise AssertionError("revert not verified on a host")
    return took


class ControlMasters:
    """One OpenSSH ControlMaster per host (opened before the clock runs)."""

    def __init__(self, info: LabInfo, names: Sequence[str]) -> None:
        self.info = info
        self.folder = Path(tempfile.mkdtemp(prefix="gdbench-cm-"))
        self.names = list(names)
        starts = [subprocess.Popen(self._argv(n, "-M", "-f", "-N")) for n in self.names]
        for proc in starts:
            if proc.wait(timeout=30) != 0:
                raise RuntimeError("an OpenSSH ControlMaster did not start")

    def _argv(self, name: str, *extra: str) -> list[str]:
        argv = self.info.ssh_argv(name)
        target = argv.pop()  # root@address
        return [
            *argv,
            "-o",
            f"ControlPath={self.folder}/{name}",
            "-o",
            "BatchMode=yes",
            *extra,
            target,
        ]

    def run(self, scripts: Mapping[str, str]) -> float:
        started = time.perf_counter()
        procs = [
            subprocess.Popen(
                [*self._argv(name), "sh", "-c", _quoted(text)], stdout=subprocess.DEVNULL
            )
            for name, text in scripts.items()
        ]
        statuses = [p.wait(timeout=60) for p in procs]
        took = time.perf_counter() - started
        if any(statuses):
            raise AssertionError("revert not verified on a host (ControlMaster)")
        return took

    def close(self) -> None:
        for name in self.names:
            subprocess.run(
                self._argv(name, "-O", "exit"),
                capture_output=True,
                timeout=10,
                check=False,
            )
        shutil.rmtree(self.folder, ignore_errors=True)


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


# --- the launch's baseline ------------------------------------------------------------------


def bare_launch(
    info: LabInfo, scripts: Mapping[str, str]
) -> tuple[float, list[paramiko.Transport]]:
    """Seconds for a paramiko pool to connect to every host and run its inject + verify script;
    the transports stay open (the caller reverts over them and closes them)."""

    def one(name: str) -> paramiko.Transport:
        transport = connect(info, name)
        if not exec_ok(transport, scripts[name]):
            raise AssertionError(f"{name}: inject + verify failed")
        return transport

    with ThreadPoolExecutor(max_workers=len(scripts)) as pool:
        list(pool.map(lambda _h: None, list(scripts)))
        started = time.perf_counter()
        opened = list(pool.map(one, list(scripts)))
        took = time.perf_counter() - started
    return took, opened


def ssh_available() -> bool:
    return shutil.which("ssh") is not None and os.path.exists("/usr/bin/ssh")
