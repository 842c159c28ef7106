"""The init of one lab host: PID 1 of its own PID, mount and UTS namespaces.

Started by the lab as
`ip netns exec NS unshare --pid --fork --kill-child --mount --uts --mount-proc
 PYTHON -m gameday.lab.supervisor CONFIG.json`.

It sets the hostname, mounts small private tmpfs over the host's private directories, hides
`/root/.bashrc` (an empty file bound over it: root's rc costs ~100 ms per remote command), then
starts its services and restarts any that exits, after `restart_delay` seconds (like systemd's
`Restart=always`). As PID 1 it also reaps every orphan. SIGTERM stops the services and exits;
when it exits the kernel kills everything left in the host's PID namespace.

CONFIG is JSON:
`{"hostname": str, "tmpfs": [{"path": str, "size": str, "mode": str}],
  "blank_file": str, "hide_files": [str], "make_dirs": [str], "log_dir": str,
  "restart_delay": float, "services": [{"name": str, "argv": [str]}],
  "keep": [str], "hold_dir": str}` (`keep`: directories that must stay visible under a tmpfs)
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from gameday.lab.system import set_process_name


@dataclass
class Service:
    name: str
    argv: list[str]
    process: subprocess.Popen[bytes] | None = None
    restart_at: float = 0.0
    restarts: int = 0


def log(log_dir: Path, line: str) -> None:
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S")
    with open(log_dir / "supervisor.log", "a", encoding="utf-8") as handle:
        handle.write(f"{stamp} {line}\n")


def mount(argv: list[str]) -> None:
    subprocess.run(  # noqa: S603 (fixed binary, paths from the lab's own config)
        ["mount", *argv], check=True, timeout=10, capture_output=True
    )


def prepare(config: dict[str, Any]) -> None:
    """Hostname, private directories, hidden rc files: everything before the services start."""
    socket.sethostname(config["hostname"])
    for entry in config["tmpfs"]:
        path = entry["path"]
        os.makedirs(path, exist_ok=True)
        kept = keep_under(path, config.get("keep", []), Path(config["hold_dir"]))
        options = f"size={entry['size']},mode={entry['mode']},nosuid,nodev"
        mount(["-t", "tmpfs", "-o", options, "tmpfs", path])
        for original, held in kept:
            os.makedirs(original, exist_ok=True)
            mount(["--bind", str(held), original])
    for path in config["make_dirs"]:
        os.makedirs(path, mode=0o755, exist_ok=True)
    for path in config["hide_files"]:
        if os.path.isfile(path):
            mount(["--bind", config["blank_file"], path])


def keep_under(path: str, keep: list[str], hold_dir: Path) -> list[tuple[str, Path]]:
    """Hold on to directories under `path` that the host's services need (gameday's own
    checkout and virtualenv, when they live under /tmp): each is bound to a holding place
    before the private tmpfs hides it, to be bound back on top of the tmpfs afterwards."""
    held: list[tuple[str, Path]] = []
    for index, original in enumerate(keep):
        if os.path.commonpath([path, original]) != path or not os.path.isdir(original):
            continue
        place = hold_dir / str(index)
        place.mkdir(parents=True, exist_ok=True)
        mount(["--bind", original, str(place)])
        held.append((original, place))
    return held


def start(service: Service, log_dir: Path) -> None:
    with open(log_dir / f"{service.name}.log", "ab") as output:
        service.process = subprocess.Popen(  # noqa: S603 (argv from the lab's own config)
            service.argv, stdin=subprocess.DEVNULL, stdout=output, stderr=output
        )


def reap(services: list[Service], delay: float, log_dir: Path) -> None:
    """Collect every exited child; schedule a restart for services among them."""
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        for service in services:
            if service.process is not None and service.process.pid == pid:
                service.process.returncode = os.waitstatus_to_exitcode(status)
                log(log_dir, f"{service.name} exited ({service.process.returncode}); restarting")
                service.process = None
                service.restart_at = time.monotonic() + delay


def stop_all(services: list[Service], grace: float) -> None:
    running = [s.process for s in services if s.process is not None]
    for process in running:
        process.terminate()
    deadline = time.monotonic() + grace
    for process in running:
        try:
            process.wait(timeout=max(0.05, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m gameday.lab.supervisor CONFIG.json", file=sys.stderr)
        return 2
    config = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    log_dir = Path(config["log_dir"])
    log_dir.mkdir(parents=True, exist_ok=True)
    stopping = False

    def on_term(signum: int, frame: FrameType | None) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_term)
    set_process_name("lab-init")
    prepare(config)
    delay = float(config.get("restart_delay", 1.0))
    services = [Service(s["name"], list(s["argv"])) for s in config["services"]]
    for service in services:
        start(service, log_dir)
    log(log_dir, f"started {', '.join(s.name for s in services)} as {config['hostname']}")
    while not stopping:
        time.sleep(0.1)
        reap(services, delay, log_dir)
        now = time.monotonic()
        for service in services:
            if service.process is None and now >= service.restart_at and not stopping:
                service.restarts += 1
                start(service, log_dir)
    stop_all(services, grace=3.0)
    log(log_dir, "stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
