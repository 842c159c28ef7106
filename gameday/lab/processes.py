"""The lab's long-lived processes: each host's init (inside its namespaces), Prometheus and the
load generator on this machine's loopback. Each is recorded in the state (PID and start time)
as soon as it runs, before the next step, so `down` finds it even if `up` dies right after."""

from __future__ import annotations

import dataclasses
import json
import os
import sys
from collections.abc import Callable
from pathlib import Path

from gameday.errors import LabError
from gameday.lab import model, render, system
from gameday.lab.files import host_dir, host_plans, write_host_files
from gameday.lab.state import HostState, LabState, ProcessRecord, write_state

Say = Callable[[str], None]


def alive(record: ProcessRecord | None) -> bool:
    return record is not None and system.is_alive(record.pid, record.start)


def _child_env() -> dict[str, str]:
    env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "HOME": "/root",
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    if "PYTHONPATH" in os.environ:
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    return env


def _spawn(argv: list[str], log: Path) -> ProcessRecord:
    pid, start = system.spawn(argv, str(log), cwd="/", env=_child_env())
    return ProcessRecord(pid, start)


def _stop(record: ProcessRecord | None, grace: float = 5.0) -> None:
    if record is not None:
        system.stop_process(record.pid, record.start, grace=grace)


# --- hosts ------------------------------------------------------------------------------------


def stop_host(host: HostState) -> HostState:
    """Stop a host's init (its services go with its PID namespace), then the unshare wrapper;
    returns the host with neither recorded."""
    _stop(host.init, grace=5.0)
    _stop(host.unshare, grace=3.0)
    return dataclasses.replace(host, init=None, unshare=None)


def ensure_host_init(lab_dir: Path, state: LabState, host: HostState, say: Say) -> LabState:
    """Start the host's init unless it runs; returns (and has written) the state recording it."""
    if alive(host.unshare) and alive(host.init):
        return state
    host = stop_host(host)
    config = write_host_files(lab_dir, state, host)
    argv = [
        "ip", "netns", "exec", host.netns,
        system.tool("unshare"), "--pid", "--fork", "--kill-child", "--mount", "--uts",
        "--mount-proc",
        sys.executable, "-m", "gameday.lab.supervisor", str(config),
    ]  # fmt: skip
    unshare = _spawn(argv, host_dir(lab_dir, host) / "logs" / "init.log")
    host = dataclasses.replace(host, unshare=unshare)
    state = state.with_host(host)
    write_state(lab_dir, state)
    init_pid = system.wait_for(
        lambda: next(iter(system.children(unshare.pid)), None),
        10.0,
        f"{host.name}'s init to start",
    )
    init_start = system.start_time(init_pid)
    if init_start is None:
        raise LabError(f"{host.name}'s init exited at once; see {config.parent}/logs/")
    state = state.with_host(dataclasses.replace(host, init=ProcessRecord(init_pid, init_start)))
    write_state(lab_dir, state)
    say(f"started {host.name} ({host.address})")
    return state


# --- services on this machine -----------------------------------------------------------------


def ensure_prometheus(lab_dir: Path, state: LabState, say: Say) -> LabState:
    """(Re)start Prometheus unless it runs with the current config; returns the state."""
    directory = lab_dir / "prometheus"
    (directory / "data").mkdir(parents=True, exist_ok=True)
    config = directory / "prometheus.yml"
    text = render.prometheus_config(host_plans(state), state.prometheus_port, state.loadgen_port)
    changed = not config.exists() or config.read_text("utf-8") != text
    config.write_text(text, encoding="utf-8")
    if alive(state.prometheus) and not changed:
        return state
    _stop(state.prometheus)
    state = dataclasses.replace(state, prometheus=None)
    _require_free_port(state.prometheus_port, "Prometheus", "--prometheus-port")
    argv = [
        system.tool("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={directory / 'data'}",
        "--storage.tsdb.retention.time=2d",
        f"--web.listen-address=127.0.0.1:{state.prometheus_port}",
        "--log.level=warn",
    ]
    state = dataclasses.replace(state, prometheus=_spawn(argv, directory / "prometheus.log"))
    write_state(lab_dir, state)
    say(f"started Prometheus on {state.prometheus_url}")
    return state


def ensure_loadgen(lab_dir: Path, state: LabState, say: Say) -> LabState:
    """(Re)start the load generator unless it runs with the current targets; returns the state."""
    directory = lab_dir / "loadgen"
    directory.mkdir(exist_ok=True)
    targets = directory / "targets.json"
    text = json.dumps(
        [{"host": h.name, "address": h.address, "port": model.SHOP_PORT} for h in state.hosts],
        indent=2,
    )
    changed = not targets.exists() or targets.read_text("utf-8") != text
    targets.write_text(text, encoding="utf-8")
    if alive(state.loadgen) and not changed:
        return state
    _stop(state.loadgen)
    state = dataclasses.replace(state, loadgen=None)
    _require_free_port(state.loadgen_port, "the load generator", "--loadgen-port")
    argv = [
        sys.executable, "-m", "gameday.lab.loadgen",
        "--targets", str(targets),
        "--listen", f"127.0.0.1:{state.loadgen_port}",
        "--rate", str(state.rate),
    ]  # fmt: skip
    state = dataclasses.replace(state, loadgen=_spawn(argv, directory / "loadgen.log"))
    write_state(lab_dir, state)
    say(f"started the load generator ({state.rate:g} requests/s per host)")
    return state


def stop_all(state: LabState) -> LabState:
    """Stop the load generator, Prometheus and every host; returns the state recording none."""
    _stop(state.loadgen)
    _stop(state.prometheus)
    hosts = tuple(stop_host(host) for host in state.hosts)
    return dataclasses.replace(state, loadgen=None, prometheus=None, hosts=hosts)


def _require_free_port(port: int, what: str, flag: str) -> None:
    if system.port_open("127.0.0.1", port, timeout=0.5):
        raise LabError(f"port 127.0.0.1:{port} for {what} is taken by another program; use {flag}")
