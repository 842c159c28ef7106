"""Bring a lab up, read it back, take it down.

Everything the lab makes is recorded in `state.json` in the lab directory *before* it is made,
so `down` (from any process, even after a crash half-way through `up`) removes exactly what the
lab made: its namespaces, bridge and veths, its processes (by PID and start time), its files.
Rules a fault adds inside a lab host vanish with the host's namespace.

The parts: `state` (what was made), `network`, `processes`, `files`; this module orders them.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path

from gameday.errors import LabError
from gameday.lab import files, model, network, processes, system
from gameday.lab.model import LabConfig, LabHost, LabInfo
from gameday.lab.state import (
    STATE_FILE,
    HostState,
    LabState,
    locked,
    read_state,
    write_state,
)

Say = Callable[[str], None]

FORBIDDEN_DIR_ROOTS = ("/tmp", "/var/tmp", "/run", "/dev", "/proc", "/sys", model.HOST_STATE_DIR)
READY_TIMEOUT = 30.0


def _quiet(message: str) -> None:
    """The default `say`: the Python API prints nothing."""


def _check_lab_dir(lab_dir: Path) -> None:
    resolved = lab_dir.resolve()
    for root in FORBIDDEN_DIR_ROOTS:
        if resolved == Path(root) or Path(root) in resolved.parents:
            raise LabError(
                f"the lab directory {lab_dir} is under {root}, which every lab host replaces "
                "with its own private tmpfs; choose a directory elsewhere (--dir)"
            )


def _validate(config: LabConfig) -> None:
    model.check_name(config.name)
    if config.hosts is not None and not 1 <= config.hosts <= model.MAX_HOSTS:
        raise LabError(f"--hosts must be between 1 and {model.MAX_HOSTS}, not {config.hosts}")
    for port in (config.prometheus_port, config.loadgen_listen_port):
        if not 1024 <= port <= 65535:
            raise LabError(f"port {port} is out of range (1024..65535)")
    if config.prometheus_port == config.loadgen_listen_port:
        raise LabError("Prometheus and the load generator need different ports")
    if not 0 < config.rate <= 200:
        raise LabError(f"the load rate must be in (0, 200] requests/s per host, not {config.rate}")


# --- up ---------------------------------------------------------------------------------------


def up(config: LabConfig, say: Say = _quiet) -> LabInfo:
    """Bring the lab up, or repair it if it is already (partly) up. Idempotent.

    Raises LabError when not root on Linux, when a tool is missing and cannot be installed,
    when names or ports are taken by something that is not this lab, or when a host does not
    become ready in time (the half-made lab stays recorded: `down` removes it).
    """
    system.require_root_linux()
    _validate(config)
    lab_dir = config.lab_dir
    _check_lab_dir(lab_dir)
    system.ensure_packages(say)
    dir_created = not lab_dir.exists()
    made = files.make_dirs(lab_dir)
    with locked(lab_dir):
        state = read_state(lab_dir)
        if state is None:
            state = _new_state(config, lab_dir, made, dir_created)
            _check_no_foreign_lab(state)
            write_state(lab_dir, state)
            say(f"Creating lab {config.name!r} in {lab_dir}")
        else:
            _check_same_lab(state, config)
            say(f"Lab {state.name!r} already exists in {lab_dir}: checking and repairing")
        try:
            _build(lab_dir, state, say)
        except LabError as exc:
            raise LabError(
                f"{exc.message}\n(what was made so far is recorded: fix the cause and run "
                f"`gameday lab up` again, or remove it with `gameday lab down --dir {lab_dir}`)"
            ) from exc
        return info(lab_dir)


def _new_state(
    config: LabConfig, lab_dir: Path, made: tuple[str, ...], dir_created: bool
) -> LabState:
    name = config.name
    octet = network.choose_octet(name)
    count = config.hosts if config.hosts is not None else model.DEFAULT_HOSTS
    hosts = tuple(
        HostState(
            index=i,
            name=model.host_name(i),
            netns=model.netns_name(name, i),
            veth=model.veth_name(name, i),
            address=model.host_address(octet, i),
            zone=model.zone(i),
        )
        for i in range(1, count + 1)
    )
    return LabState(
        name=name,
        dir=lab_dir,
        dir_created=dir_created,
        made_dirs=made,
        octet=octet,
        bridge=model.bridge_name(name),
        prometheus_port=config.prometheus_port,
        loadgen_port=config.loadgen_listen_port,
        rate=config.rate,
        hosts=hosts,
    )


def _check_no_foreign_lab(state: LabState) -> None:
    """Refuse to adopt namespaces or a bridge of the same name that this lab did not record."""
    taken = [h.netns for h in state.hosts if network.netns_exists(h.netns)]
    if network.link_exists(state.bridge):
        taken.append(state.bridge)
    if taken:
        raise LabError(
            f"{', '.join(taken)} already exist but belong to no lab in {state.dir}: another "
            f"lab named {state.name!r} runs from another directory. Use `--name` for a new "
            "lab, or `gameday lab down --dir` on the other one"
        )


def _check_same_lab(state: LabState, config: LabConfig) -> None:
    if state.name != config.name:
        raise LabError(
            f"{state.dir} holds the lab {state.name!r}, not {config.name!r}; "
            "use `--name` with the lab's own name or another `--dir`"
        )
    if config.hosts is not None and config.hosts != len(state.hosts):
        raise LabError(
            f"the lab {state.name!r} has {len(state.hosts)} hosts, not {config.hosts}; "
            "take it down first (`gameday lab down`) to change its size"
        )


def _build(lab_dir: Path, state: LabState, say: Say) -> None:
    """Make or repair every part, writing the state as each process starts (see processes)."""
    made = files.make_dirs(Path(model.HOST_STATE_DIR))
    state = dataclasses.replace(state, made_dirs=state.made_dirs + made)
    write_state(lab_dir, state)
    blank = lab_dir / "blank"
    if not blank.exists():
        blank.write_bytes(b"")
    files.ensure_key(lab_dir / "id_ed25519", f"gameday-lab-{state.name}")
    network.ensure_bridge(state.bridge, state.octet, say)
    for host in state.hosts:
        state = _ensure_host(lab_dir, state, host, say)
    files.write_lab_files(lab_dir, state)
    state = processes.ensure_prometheus(lab_dir, state, say)
    state = processes.ensure_loadgen(lab_dir, state, say)
    _wait_ready(lab_dir, state)


def _ensure_host(lab_dir: Path, state: LabState, host: HostState, say: Say) -> LabState:
    if not network.netns_exists(host.netns):
        # Whatever still runs for this host lives in a namespace nobody can name any more:
        # stop it and start the host from scratch.
        host = processes.stop_host(host)
        state = state.with_host(host)
    network.ensure_host_network(state.bridge, state.octet, host, say)
    return processes.ensure_host_init(lab_dir, state, host, say)


def _wait_ready(lab_dir: Path, state: LabState) -> None:
    def host_ready(host: HostState) -> bool:
        address = host.address
        return (
            system.ssh_banner(address, timeout=1.0) is not None
            and system.port_open(address, model.NODE_EXPORTER_PORT)
            and system.http_status(address, model.SHOP_PORT, "/health", timeout=1.0) == 200
        )

    for host in state.hosts:
        logs = files.host_dir(lab_dir, host) / "logs"
        system.wait_until(
            functools.partial(_ready_or_dead, host_ready, host),
            READY_TIMEOUT,
            f"{host.name} (sshd, node_exporter and shop); see {logs}",
        )
        if not processes.alive(host.init):
            raise LabError(f"{host.name}'s init exited; see {logs}")
    port = state.prometheus_port
    system.wait_until(
        lambda: system.http_status("127.0.0.1", port, "/-/ready", timeout=1.0) == 200,
        READY_TIMEOUT,
        f"Prometheus on 127.0.0.1:{port}; see {lab_dir / 'prometheus' / 'prometheus.log'}",
    )
    system.wait_until(
        lambda: system.http_status("127.0.0.1", state.loadgen_port, "/metrics") == 200,
        READY_TIMEOUT,
        f"the load generator; see {lab_dir / 'loadgen' / 'loadgen.log'}",
    )


def _ready_or_dead(ready: Callable[[HostState], bool], host: HostState) -> bool:
    """Stop waiting as soon as the host is ready, or its init is gone (no point waiting)."""
    return ready(host) or not processes.alive(host.init)


# --- info / down ------------------------------------------------------------------------------


def info(lab_dir: Path) -> LabInfo:
    """The LabInfo of the lab recorded in `lab_dir` (LabError when there is none)."""
    lab_dir = Path(lab_dir).absolute()
    state = read_state(lab_dir)
    if state is None:
        raise LabError(f"there is no lab in {lab_dir} (no {STATE_FILE})")
    hosts = tuple(
        LabHost(
            name=h.name,
            address=h.address,
            netns=h.netns,
            zone=h.zone,
            init_pid=h.init.pid if h.init else 0,
            sshd_log=files.host_dir(lab_dir, h) / "logs" / "sshd.log",
        )
        for h in state.hosts
    )
    return LabInfo(
        name=state.name,
        dir=lab_dir,
        hosts=hosts,
        inventory=lab_dir / "inventory.yaml",
        key=lab_dir / "id_ed25519",
        known_hosts=lab_dir / "known_hosts",
        prometheus_url=state.prometheus_url,
        loadgen_url=state.loadgen_url,
        scenarios_dir=lab_dir / "scenarios",
        bridge=state.bridge,
        subnet=f"{model.SUBNET_PREFIX}.{state.octet}.0/24",
        prometheus_pid=state.prometheus.pid if state.prometheus else 0,
        loadgen_pid=state.loadgen.pid if state.loadgen else 0,
    )


def down(lab_dir: Path, say: Say = _quiet) -> bool:
    """Remove everything the lab in `lab_dir` made; False when there was no lab there.

    Order: load generator and Prometheus, each host's init (its PID namespace takes every
    process of the host with it), namespaces, veths, the bridge, then the files and directories
    the lab created. Each step is skipped when its object is already gone.
    """
    system.require_root_linux()
    lab_dir = Path(lab_dir).absolute()
    if not lab_dir.is_dir():
        return False
    with locked(lab_dir):
        state = read_state(lab_dir)
        if state is None:
            return False
        state = processes.stop_all(state)
        write_state(lab_dir, state)
        for host in state.hosts:
            network.delete_netns(host.netns)
            network.delete_link(host.veth)
        network.delete_link(state.bridge)
        say(f"removed {len(state.hosts)} hosts, their namespaces and {state.bridge}")
        files.remove_lab_files(lab_dir)
    files.remove_made_dirs(state.made_dirs)
    say(f"removed the lab's files in {lab_dir}")
    return True
