"""The lab's contact with this machine: commands, processes, packages, ports.

Every command is an argv list with a timeout; every wait polls against a deadline.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from gameday.errors import LabError

TOOLS: dict[str, str] = {
    "ip": "iproute2",
    "tc": "iproute2",
    "iptables": "iptables",
    "sshd": "openssh-server",
    "ssh-keygen": "openssh-client",
    "prometheus": "prometheus",
    "prometheus-node-exporter": "prometheus-node-exporter",
    "stress-ng": "stress-ng",
    "unshare": "util-linux",
    "nsenter": "util-linux",
    "mount": "mount",
}
"""Each command the lab (or a fault on a lab host) needs → the Debian package that ships it."""

T = TypeVar("T")

SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin", "/usr/local/bin", "/usr/bin", "/bin")


@dataclass(frozen=True)
class Result:
    status: int
    stdout: str
    stderr: str


def run(argv: Sequence[str], *, timeout: float = 15.0, check: bool = True) -> Result:
    """Run a command; with `check`, a non-zero exit or a timeout raises LabError with stderr."""
    try:
        done = subprocess.run(  # noqa: S603 (argv lists built by the lab from validated values)
            list(argv), capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL
        )
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"`{' '.join(argv)}` did not finish within {timeout:g} s") from exc
    except FileNotFoundError as exc:
        raise LabError(f"`{argv[0]}` is not installed") from exc
    result = Result(done.returncode, done.stdout, done.stderr)
    if check and done.returncode != 0:
        detail = done.stderr.strip() or done.stdout.strip() or "no output"
        raise LabError(f"`{' '.join(argv)}` failed (exit {done.returncode}): {detail}")
    return result


def require_root_linux() -> None:
    """The lab builds namespaces, bridges and mounts: Linux and root only (LabError otherwise)."""
    if not sys.platform.startswith("linux"):
        raise LabError(f"the lab needs Linux (network namespaces); this is {sys.platform}")
    if os.geteuid() != 0:
        raise LabError("the lab needs root (it creates network namespaces); run it with sudo")


def which(tool: str) -> str | None:
    found = shutil.which(tool)
    if found:
        return found
    for directory in SBIN_DIRS:
        candidate = os.path.join(directory, tool)
        if os.access(candidate, os.X_OK):
            return candidate
    return None


def missing_packages() -> list[str]:
    """Debian packages to install so every tool in TOOLS is present (sorted, unique)."""
    return sorted({package for tool, package in TOOLS.items() if which(tool) is None})


def ensure_packages(say: Callable[[str], None]) -> None:
    """Install missing Debian packages with apt-get (we are root), or raise a clear LabError."""
    packages = missing_packages()
    if not packages:
        return
    if which("apt-get") is None:
        raise LabError(
            "the lab needs these packages, and this machine has no apt-get to install them: "
            + " ".join(packages)
        )
    say(f"Installing missing packages with apt-get: {' '.join(packages)}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for argv, limit in (
        (["apt-get", "update", "-q"], 300.0),
        (["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages], 900.0),
    ):
        try:
            done = subprocess.run(  # noqa: S603
                argv, capture_output=True, text=True, timeout=limit, env=env
            )
        except subprocess.TimeoutExpired as exc:
            raise LabError(f"`{' '.join(argv)}` did not finish within {limit:g} s") from exc
        if done.returncode != 0:
            tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-3:]
            raise LabError(f"`{' '.join(argv)}` failed: {' / '.join(tail)}")
    still = missing_packages()
    if still:
        raise LabError(f"packages still missing after apt-get: {' '.join(still)}")


def tool(name: str) -> str:
    path = which(name)
    if path is None:
        raise LabError(f"`{name}` is not installed (Debian package {TOOLS.get(name, name)})")
    return path


def set_process_name(name: str) -> None:
    """Set this process's comm (what `ps -o comm`, `pgrep -x` and `pkill -x` match)."""
    import ctypes
    import ctypes.util

    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return
    libc = ctypes.CDLL(libc_name, use_errno=True)
    pr_set_name = 15
    libc.prctl(pr_set_name, ctypes.c_char_p(name.encode()[:15]), 0, 0, 0)


# --- processes, identified by PID and start time so a reused PID is never signalled ----------


def start_time(pid: int) -> int | None:
    """The process's start time in clock ticks since boot, or None when it does not exist."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            stat = handle.read()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[-1].split()
    return int(fields[19]) if len(fields) > 19 else None


def is_alive(pid: int, started: int) -> bool:
    """True when `pid` is the very process recorded (same start time) and not a zombie."""
    if pid <= 0 or start_time(pid) != started:
        return False
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as handle:
            state = handle.read().rsplit(")", 1)[-1].split()[0]
    except OSError:
        return False
    return state != "Z"


def children(pid: int) -> list[int]:
    try:
        with open(f"/proc/{pid}/task/{pid}/children", encoding="ascii") as handle:
            return [int(word) for word in handle.read().split()]
    except OSError:
        return []


def stop_process(pid: int, started: int, grace: float = 5.0) -> None:
    """SIGTERM the recorded process, SIGKILL it after `grace` s; no-op if it is gone or reused."""
    try:
        _signal_and_wait(pid, started, grace)
    finally:
        _reap(pid)


def _reap(pid: int) -> None:
    """Collect the exit status if the process was our own child (no zombie left behind)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def _signal_and_wait(pid: int, started: int, grace: float) -> None:
    """SIGTERM every 0.5 s until it exits or `grace` runs out, then SIGKILL.

    Repeated because a namespace's PID 1 ignores SIGTERM until it has installed its handler:
    a host stopped right after it started would otherwise wait out the whole grace period.
    """
    deadline = time.monotonic() + grace
    next_term = 0.0
    while is_alive(pid, started):
        now = time.monotonic()
        if now >= deadline:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            wait_until(lambda: not is_alive(pid, started), 5.0, f"process {pid} to exit")
            return
        if now >= next_term:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGTERM)
            next_term = now + 0.5
        time.sleep(0.05)


def spawn(
    argv: Sequence[str], log_path: str, *, cwd: str = "/", env: dict[str, str] | None = None
) -> tuple[int, int]:
    """Start a long-lived process in its own session (it outlives us); return (pid, start time).

    Its exit status is collected by whoever outlives it: we do not wait for it.
    """
    with open(log_path, "ab") as output:
        process = subprocess.Popen(  # noqa: S603 (argv built by the lab)
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=output,
            start_new_session=True,
            close_fds=True,
            cwd=cwd,
            env=env,
        )
    started = wait_for(lambda: start_time(process.pid), 5.0, f"process {process.pid} to appear")
    # Forget the Popen so a garbage-collected handle never waits on it; we track it by PID.
    process.returncode = 0
    return process.pid, started


# --- bounded waits --------------------------------------------------------------------------


def wait_until(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll `predicate` until true; LabError naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        if predicate():
            return
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(delay)
        delay = min(delay * 1.5, 0.5)


def wait_for(produce: Callable[[], T | None], timeout: float, what: str) -> T:
    """Poll `produce` until it returns a value other than None (bounded like wait_until)."""
    deadline = time.monotonic() + timeout
    while True:
        value = produce()
        if value is not None:
            return value
        if time.monotonic() >= deadline:
            raise LabError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)


# --- network checks (loopback and lab addresses only) ---------------------------------------


def port_open(address: str, port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection((address, port), timeout=timeout):
            return True
    except OSError:
        return False


def ssh_banner(address: str, port: int = 22, timeout: float = 2.0) -> str | None:
    """The SSH server's identification line (`SSH-2.0-…`), or None if there is none in time."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            data = b""
            while b"\n" not in data and len(data) < 512:
                chunk = sock.recv(256)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    line = data.split(b"\n", 1)[0].decode("ascii", "replace").strip()
    return line if line.startswith("SSH-") else None


def http_status(address: str, port: int, path: str, timeout: float = 2.0) -> int | None:
    """Status of a GET, or None when the server does not answer in time."""
    import http.client

    connection = http.client.HTTPConnection(address, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()
