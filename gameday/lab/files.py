"""The lab's files: keys, each host's sshd and init config, the inventory, known_hosts and
scenarios it hands out, and their removal (only what the lab made)."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
from pathlib import Path

from gameday.lab import model, render, system
from gameday.lab.state import STATE_FILE, HostState, LabState

HOST_TMPFS_SIZES = {"/run": "16m", "/tmp": "64m", "/var/tmp": "64m", model.HOST_STATE_DIR: "16m"}

_LAB_FILES = (
    "hosts", "prometheus", "loadgen", "scenarios", "inventory.yaml", "known_hosts",
    "id_ed25519", "id_ed25519.pub", "blank", STATE_FILE, STATE_FILE + ".partial",
)  # fmt: skip


def host_dir(lab_dir: Path, host: HostState) -> Path:
    return lab_dir / "hosts" / host.name


def make_dirs(path: Path) -> tuple[str, ...]:
    """mkdir -p; returns each directory this call created (so `down` can remove just those)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    made: list[str] = []
    for directory in reversed(missing):
        directory.mkdir(mode=0o755)
        made.append(str(directory))
    return tuple(made)


def ensure_key(path: Path, comment: str) -> None:
    if path.exists() and path.with_name(path.name + ".pub").exists():
        return
    for stale in (path, path.with_name(path.name + ".pub")):
        stale.unlink(missing_ok=True)
    system.run(
        [system.tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)]
    )


def write_host_files(lab_dir: Path, state: LabState, host: HostState) -> Path:
    """sshd config, host key and the init's config for one host; returns the init config."""
    directory = host_dir(lab_dir, host)
    (directory / "logs").mkdir(parents=True, exist_ok=True)
    host_key = directory / "ssh_host_ed25519_key"
    ensure_key(host_key, f"{host.name}@gameday-lab-{state.name}")
    sshd_config = directory / "sshd_config"
    sshd_config.write_text(
        render.sshd_config(host.address, str(host_key), str(lab_dir / "id_ed25519.pub")),
        encoding="utf-8",
    )
    init_config = {
        "hostname": host.name,
        "tmpfs": [
            {"path": path, "size": size, "mode": "1777" if "tmp" in path else "0755"}
            for path, size in HOST_TMPFS_SIZES.items()
        ],
        "make_dirs": ["/run/sshd"],
        "blank_file": str(lab_dir / "blank"),
        "hide_files": ["/root/.bashrc", "/root/.bash_profile"],
        "log_dir": str(directory / "logs"),
        "restart_delay": 1.0,
        "keep": _code_dirs(),
        "hold_dir": str(directory / "hold"),
        "services": _host_services(host, directory, sshd_config),
    }
    path = directory / "init.json"
    path.write_text(json.dumps(init_config, indent=2) + "\n", encoding="utf-8")
    return path


def _host_services(host: HostState, directory: Path, sshd_config: Path) -> list[object]:
    """What the host's init runs and restarts: sshd, node_exporter and the shop."""
    sshd_log = directory / "logs" / "sshd.log"
    shop_listen = f"{host.address}:{model.SHOP_PORT}"
    return [
        {
            "name": "sshd",
            "argv": [system.tool("sshd"), "-D", "-f", str(sshd_config), "-E", str(sshd_log)],
        },
        {
            "name": "node_exporter",
            "argv": render.node_exporter_argv(
                system.tool("prometheus-node-exporter"), host.address
            ),
        },
        {
            "name": "shop",
            "argv": [
                sys.executable,
                "-m",
                "gameday.lab.shop",
                "--listen",
                shop_listen,
                "--host",
                host.name,
            ],
        },
    ]


def _code_dirs() -> list[str]:
    """Where gameday and its Python environment live: the shop runs from there inside each
    host, so a checkout under /tmp must stay visible through the host's private /tmp."""
    package_root = Path(__file__).resolve().parents[2]
    dirs = {os.path.realpath(p) for p in (package_root, sys.prefix)}
    return sorted(d for d in dirs if not any(d != o and d.startswith(o + "/") for o in dirs))


def host_plans(state: LabState) -> list[render.HostPlan]:
    return [render.HostPlan(h.index, h.name, h.address, h.zone) for h in state.hosts]


def write_lab_files(lab_dir: Path, state: LabState) -> None:
    """known_hosts, inventory and scenarios: rewritten on every `up` (cheap, always current)."""
    entries = []
    for host in state.hosts:
        public = (host_dir(lab_dir, host) / "ssh_host_ed25519_key.pub").read_text("utf-8")
        entries.append((host.address, public))
    (lab_dir / "known_hosts").write_text(render.known_hosts(entries), encoding="utf-8")
    (lab_dir / "inventory.yaml").write_text(
        render.inventory(
            state.name,
            host_plans(state),
            str(lab_dir / "id_ed25519"),
            str(lab_dir / "known_hosts"),
            state.prometheus_url,
        ),
        encoding="utf-8",
    )
    scenarios_dir = lab_dir / "scenarios"
    scenarios_dir.mkdir(exist_ok=True)
    for file, text in render.scenarios(state.name, len(state.hosts)).items():
        (scenarios_dir / file).write_text(text, encoding="utf-8")


def remove_lab_files(lab_dir: Path) -> None:
    """The files and folders `up` writes in the lab directory (nothing else in it)."""
    for name in _LAB_FILES:
        path = lab_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def remove_made_dirs(made_dirs: tuple[str, ...]) -> None:
    """rmdir (never rm -r) each directory the lab created, deepest first, if it is empty and
    no process mounts something on it (another lab's hosts mount their state dir there, and
    removing a mount point detaches it in every namespace)."""
    for directory in sorted(set(made_dirs), key=len, reverse=True):
        if _mounted_anywhere(directory):
            continue
        with contextlib.suppress(OSError):
            os.rmdir(directory)


def _mounted_anywhere(path: str) -> bool:
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "mountinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        if any(len(f := line.split()) > 4 and f[4] == path for line in text.splitlines()):
            return True
    return False
