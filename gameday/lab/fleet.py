"""Bring a lab up, read it back, take it down.

Everything the lab makes is recorded in `state.json` in the lab directory *before* it is made,
so `down` (from any process, even after a crash half-way through `up`) removes exactly what the
lab made: its namespaces, bridge and veths, its processes (by PID and start time), its files.
Rules a fault adds inside a lab host vanish with the host's namespace.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import json
import os
import shutil
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from gameday.errors import LabError
from gameday.lab import model, render, system
from gameday.lab.model import LabConfig, LabHost, LabInfo

Say = Callable[[str], None]

STATE_FILE = "state.json"
STATE_VERSION = 1
HOST_TMPFS_SIZES = {"/run": "16m", "/tmp": "64m", "/var/tmp": "64m", model.HOST_STATE_DIR: "16m"}
FORBIDDEN_DIR_ROOTS = ("/tmp", "/var/tmp", "/run", "/dev", "/proc", "/sys", model.HOST_STATE_DIR)
READY_TIMEOUT = 30.0


def _quiet(message: str) -> None:
    """The default `say`: the Python API prints nothing."""


# --- state ------------------------------------------------------------------------------------


def state_path(lab_dir: Path) -> Path:
    return lab_dir / STATE_FILE


def read_state(lab_dir: Path) -> dict[str, Any] | None:
    path = state_path(lab_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LabError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        state = json.loads(text)
    except ValueError as exc:
        raise LabError(f"{path} is not a lab state file (invalid JSON: {exc})") from exc
    if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
        raise LabError(f"{path} is not a lab state file this gameday understands")
    return state


def write_state(lab_dir: Path, state: dict[str, Any]) -> None:
    path = state_path(lab_dir)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(state, indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


@contextlib.contextmanager
def _locked(lab_dir: Path) -> Iterator[None]:
    """One `up`/`down` at a time per lab directory (flock on the directory itself)."""
    fd = os.open(lab_dir, os.O_RDONLY | os.O_DIRECTORY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise LabError(f"another `gameday lab` command is working on {lab_dir}") from exc
        yield
    finally:
        os.close(fd)


def _make_dirs(path: Path, made: list[str]) -> None:
    """mkdir -p, recording each directory this call created (so `down` can remove just those)."""
    missing: list[Path] = []
    current = path
    while not current.exists():
        missing.append(current)
        current = current.parent
    for directory in reversed(missing):
        directory.mkdir(mode=0o755)
        made.append(str(directory))


def _check_lab_dir(lab_dir: Path) -> None:
    resolved = lab_dir.resolve()
    for root in FORBIDDEN_DIR_ROOTS:
        if resolved == Path(root) or Path(root) in resolved.parents:
            raise LabError(
                f"the lab directory {lab_dir} is under {root}, which every lab host replaces "
                "with its own private tmpfs; choose a directory elsewhere (--dir)"
            )


# --- network ----------------------------------------------------------------------------------


def _netns_exists(netns: str) -> bool:
    return Path("/run/netns", netns).exists()


def _link_exists(link: str, netns: str | None = None) -> bool:
    argv = ["ip", *(["-n", netns] if netns else []), "link", "show", "dev", link]
    return system.run(argv, check=False).status == 0


def _used_octets() -> set[int]:
    """Third octets of 10.213.x.0/24 networks already routed in this namespace."""
    used: set[int] = set()
    routes = system.run(["ip", "-4", "-o", "route", "show"], check=False).stdout
    for line in routes.splitlines():
        destination = line.split()[0] if line.split() else ""
        parts = destination.split("/")[0].split(".")
        if len(parts) == 4 and ".".join(parts[:2]) == model.SUBNET_PREFIX and parts[2].isdigit():
            used.add(int(parts[2]))
    return used


def _choose_octet(name: str) -> int:
    used = _used_octets()
    first = model.preferred_subnet(name)
    for step in range(250):
        octet = (first - 1 + step) % 250 + 1
        if octet not in used:
            return octet
    raise LabError(f"no free {model.SUBNET_PREFIX}.x.0/24 network for the lab")


def _ensure_bridge(state: dict[str, Any], say: Say) -> None:
    bridge = state["bridge"]
    if not _link_exists(bridge):
        system.run(["ip", "link", "add", bridge, "type", "bridge"])
        say(f"created bridge {bridge}")
    gw = model.gateway(state["octet"])
    addresses = system.run(["ip", "-4", "-o", "addr", "show", "dev", bridge]).stdout
    if f" {gw}/24 " not in addresses:
        system.run(["ip", "addr", "add", f"{gw}/24", "dev", bridge])
    system.run(["ip", "link", "set", bridge, "up"])


def _ensure_host_network(state: dict[str, Any], host: dict[str, Any], say: Say) -> None:
    netns, veth, address = host["netns"], host["veth"], host["address"]
    if not _netns_exists(netns):
        # Whatever still runs for this host lives in a namespace nobody can name any more:
        # stop it and start the host from scratch.
        _stop_host(host)
        if _link_exists(veth):
            system.run(["ip", "link", "delete", veth])
        system.run(["ip", "netns", "add", netns])
        say(f"created network namespace {netns}")
    if not _link_exists(veth):
        if _link_exists("eth0", netns):  # a half-made pair: start the pair again
            system.run(["ip", "-n", netns, "link", "delete", "eth0"])
        system.run(
            ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns]
        )
        # A re-made host has a new MAC: forget the old one, or this machine keeps sending
        # to it until the neighbour entry times out (tens of seconds).
        system.run(["ip", "neigh", "flush", "to", address], check=False)
    system.run(["ip", "link", "set", veth, "master", state["bridge"], "up"])
    inner = system.run(["ip", "-n", netns, "-4", "-o", "addr", "show", "dev", "eth0"]).stdout
    if f" {address}/24 " not in inner:
        system.run(["ip", "-n", netns, "addr", "add", f"{address}/24", "dev", "eth0"])
    system.run(["ip", "-n", netns, "link", "set", "lo", "up"])
    system.run(["ip", "-n", netns, "link", "set", "eth0", "up"])
    system.run(
        ["ip", "-n", netns, "route", "replace", "default", "via", model.gateway(state["octet"])]
    )


# --- files ------------------------------------------------------------------------------------


def _ensure_key(path: Path, comment: str) -> None:
    if path.exists() and path.with_name(path.name + ".pub").exists():
        return
    for stale in (path, path.with_name(path.name + ".pub")):
        stale.unlink(missing_ok=True)
    system.run(
        [system.tool("ssh-keygen"), "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", str(path)]
    )


def _host_dir(lab_dir: Path, host: dict[str, Any]) -> Path:
    return lab_dir / "hosts" / str(host["name"])


def _write_host_files(lab_dir: Path, state: dict[str, Any], host: dict[str, Any]) -> Path:
    """sshd config, host key and the init's config for one host; returns the init config."""
    directory = _host_dir(lab_dir, host)
    (directory / "logs").mkdir(parents=True, exist_ok=True)
    host_key = directory / "ssh_host_ed25519_key"
    _ensure_key(host_key, f"{host['name']}@gameday-lab-{state['name']}")
    sshd_config = directory / "sshd_config"
    sshd_config.write_text(
        render.sshd_config(host["address"], str(host_key), str(lab_dir / "id_ed25519.pub")),
        encoding="utf-8",
    )
    python = sys.executable
    init_config = {
        "hostname": host["name"],
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
        "services": [
            {
                "name": "sshd",
                "argv": [
                    system.tool("sshd"),
                    "-D",
                    "-f",
                    str(sshd_config),
                    "-E",
                    str(directory / "logs" / "sshd.log"),
                ],
            },
            {
                "name": "node_exporter",
                "argv": render.node_exporter_argv(
                    system.tool("prometheus-node-exporter"), host["address"]
                ),
            },
            {
                "name": "shop",
                "argv": [
                    python,
                    "-m",
                    "gameday.lab.shop",
                    "--listen",
                    f"{host['address']}:{model.SHOP_PORT}",
                    "--host",
                    host["name"],
                ],
            },
        ],
    }
    path = directory / "init.json"
    path.write_text(json.dumps(init_config, indent=2) + "\n", encoding="utf-8")
    return path


def _code_dirs() -> list[str]:
    """Where gameday and its Python environment live: the shop runs from there inside each
    host, so a checkout under /tmp must stay visible through the host's private /tmp."""
    package_root = Path(__file__).resolve().parents[2]
    dirs = {os.path.realpath(p) for p in (package_root, sys.prefix)}
    return sorted(d for d in dirs if not any(d != o and d.startswith(o + "/") for o in dirs))


def _host_plans(state: dict[str, Any]) -> list[render.HostPlan]:
    return [render.HostPlan(h["index"], h["name"], h["address"], h["zone"]) for h in state["hosts"]]


def _write_lab_files(lab_dir: Path, state: dict[str, Any]) -> None:
    """known_hosts, inventory and scenarios: rewritten on every `up` (cheap, always current)."""
    entries = []
    for host in state["hosts"]:
        public = (_host_dir(lab_dir, host) / "ssh_host_ed25519_key.pub").read_text("utf-8")
        entries.append((host["address"], public))
    (lab_dir / "known_hosts").write_text(render.known_hosts(entries), encoding="utf-8")
    (lab_dir / "inventory.yaml").write_text(
        render.inventory(
            state["name"],
            _host_plans(state),
            str(lab_dir / "id_ed25519"),
            str(lab_dir / "known_hosts"),
            _prometheus_url(state),
        ),
        encoding="utf-8",
    )
    scenarios_dir = lab_dir / "scenarios"
    scenarios_dir.mkdir(exist_ok=True)
    for file, text in render.scenarios(state["name"], len(state["hosts"])).items():
        (scenarios_dir / file).write_text(text, encoding="utf-8")


def _prometheus_url(state: dict[str, Any]) -> str:
    return f"http://127.0.0.1:{state['prometheus_port']}"


# --- processes --------------------------------------------------------------------------------


def _alive(record: dict[str, Any] | None) -> bool:
    return bool(record) and system.is_alive(int(record["pid"]), int(record["start"]))  # type: ignore[index]


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


def _spawn(argv: list[str], log: Path) -> dict[str, int]:
    pid, start = system.spawn(argv, str(log), cwd="/", env=_child_env())
    return {"pid": pid, "start": start}


def _ensure_host_init(lab_dir: Path, state: dict[str, Any], host: dict[str, Any], say: Say) -> None:
    if _alive(host.get("unshare")) and _alive(host.get("init")):
        return
    _stop_host(host)
    config = _write_host_files(lab_dir, state, host)
    argv = [
        "ip",
        "netns",
        "exec",
        host["netns"],
        system.tool("unshare"),
        "--pid",
        "--fork",
        "--kill-child",
        "--mount",
        "--uts",
        "--mount-proc",
        sys.executable,
        "-m",
        "gameday.lab.supervisor",
        str(config),
    ]
    host["unshare"] = _spawn(argv, _host_dir(lab_dir, host) / "logs" / "init.log")
    write_state(lab_dir, state)
    unshare_pid = host["unshare"]["pid"]
    init_pid = system.wait_for(
        lambda: next(iter(system.children(unshare_pid)), None),
        10.0,
        f"{host['name']}'s init to start",
    )
    init_start = system.start_time(init_pid)
    if init_start is None:
        raise LabError(f"{host['name']}'s init exited at once; see {config.parent}/logs/")
    host["init"] = {"pid": init_pid, "start": init_start}
    write_state(lab_dir, state)
    say(f"started {host['name']} ({host['address']})")


def _stop_host(host: dict[str, Any]) -> None:
    """Stop a host's init (its services go with its PID namespace), then the unshare wrapper."""
    for key, grace in (("init", 5.0), ("unshare", 3.0)):
        record = host.get(key)
        if record:
            system.stop_process(int(record["pid"]), int(record["start"]), grace=grace)
            host[key] = None


def _ensure_prometheus(lab_dir: Path, state: dict[str, Any], say: Say) -> None:
    directory = lab_dir / "prometheus"
    (directory / "data").mkdir(parents=True, exist_ok=True)
    config = directory / "prometheus.yml"
    text = render.prometheus_config(
        _host_plans(state), state["prometheus_port"], state["loadgen_port"]
    )
    changed = not config.exists() or config.read_text("utf-8") != text
    config.write_text(text, encoding="utf-8")
    if _alive(state.get("prometheus")) and not changed:
        return
    _stop_record(state, "prometheus")
    _require_free_port(state["prometheus_port"], "Prometheus", "--prometheus-port")
    argv = [
        system.tool("prometheus"),
        f"--config.file={config}",
        f"--storage.tsdb.path={directory / 'data'}",
        "--storage.tsdb.retention.time=2d",
        f"--web.listen-address=127.0.0.1:{state['prometheus_port']}",
        "--log.level=warn",
    ]
    state["prometheus"] = _spawn(argv, directory / "prometheus.log")
    write_state(lab_dir, state)
    say(f"started Prometheus on {_prometheus_url(state)}")


def _ensure_loadgen(lab_dir: Path, state: dict[str, Any], say: Say) -> None:
    directory = lab_dir / "loadgen"
    directory.mkdir(exist_ok=True)
    targets = directory / "targets.json"
    text = json.dumps(
        [
            {"host": h["name"], "address": h["address"], "port": model.SHOP_PORT}
            for h in state["hosts"]
        ],
        indent=2,
    )
    changed = not targets.exists() or targets.read_text("utf-8") != text
    targets.write_text(text, encoding="utf-8")
    if _alive(state.get("loadgen")) and not changed:
        return
    _stop_record(state, "loadgen")
    _require_free_port(state["loadgen_port"], "the load generator", "--loadgen-port")
    argv = [
        sys.executable,
        "-m",
        "gameday.lab.loadgen",
        "--targets",
        str(targets),
        "--listen",
        f"127.0.0.1:{state['loadgen_port']}",
        "--rate",
        str(state["rate"]),
    ]
    state["loadgen"] = _spawn(argv, directory / "loadgen.log")
    write_state(lab_dir, state)
    say(f"started the load generator ({state['rate']:g} requests/s per host)")


def _stop_record(state: dict[str, Any], key: str) -> None:
    record = state.get(key)
    if record:
        system.stop_process(int(record["pid"]), int(record["start"]))
        state[key] = None


def _require_free_port(port: int, what: str, flag: str) -> None:
    if system.port_open("127.0.0.1", port, timeout=0.5):
        raise LabError(f"port 127.0.0.1:{port} for {what} is taken by another program; use {flag}")


# --- readiness --------------------------------------------------------------------------------


def _wait_ready(lab_dir: Path, state: dict[str, Any]) -> None:
    def host_ready(host: dict[str, Any]) -> bool:
        address = host["address"]
        return (
            system.ssh_banner(address, timeout=1.0) is not None
            and system.port_open(address, model.NODE_EXPORTER_PORT)
            and system.http_status(address, model.SHOP_PORT, "/health", timeout=1.0) == 200
        )

    for host in state["hosts"]:
        system.wait_until(
            functools.partial(_ready_or_dead, host_ready, host),
            READY_TIMEOUT,
            f"{host['name']} (sshd, node_exporter and shop); see "
            f"{_host_dir(lab_dir, host) / 'logs'}",
        )
        if not _alive(host.get("init")):
            raise LabError(f"{host['name']}'s init exited; see {_host_dir(lab_dir, host) / 'logs'}")
    port = state["prometheus_port"]
    system.wait_until(
        lambda: system.http_status("127.0.0.1", port, "/-/ready", timeout=1.0) == 200,
        READY_TIMEOUT,
        f"Prometheus on 127.0.0.1:{port}; see {lab_dir / 'prometheus' / 'prometheus.log'}",
    )
    system.wait_until(
        lambda: system.http_status("127.0.0.1", state["loadgen_port"], "/metrics") == 200,
        READY_TIMEOUT,
        f"the load generator; see {lab_dir / 'loadgen' / 'loadgen.log'}",
    )


def _ready_or_dead(ready: Callable[[dict[str, Any]], bool], host: dict[str, Any]) -> bool:
    """Stop waiting as soon as the host is ready, or its init is gone (no point waiting)."""
    return ready(host) or not _alive(host.get("init"))


# --- up / info / down -------------------------------------------------------------------------


def _new_state(
    config: LabConfig, lab_dir: Path, made: list[str], dir_created: bool
) -> dict[str, Any]:
    name = config.name
    octet = _choose_octet(name)
    count = config.hosts if config.hosts is not None else model.DEFAULT_HOSTS
    return {
        "version": STATE_VERSION,
        "name": name,
        "dir": str(lab_dir),
        "dir_created": dir_created,
        "made_dirs": made,
        "octet": octet,
        "bridge": model.bridge_name(name),
        "prometheus_port": config.prometheus_port,
        "loadgen_port": config.loadgen_listen_port,
        "rate": config.rate,
        "hosts": [
            {
                "index": i,
                "name": model.host_name(i),
                "netns": model.netns_name(name, i),
                "veth": model.veth_name(name, i),
                "address": model.host_address(octet, i),
                "zone": model.zone(i),
                "unshare": None,
                "init": None,
            }
            for i in range(1, count + 1)
        ],
        "prometheus": None,
        "loadgen": None,
    }


def _check_no_foreign_lab(state: dict[str, Any]) -> None:
    """Refuse to adopt namespaces or a bridge of the same name that this lab did not record."""
    taken = [h["netns"] for h in state["hosts"] if _netns_exists(h["netns"])]
    if _link_exists(state["bridge"]):
        taken.append(state["bridge"])
    if taken:
        raise LabError(
            f"{', '.join(taken)} already exist but belong to no lab in {state['dir']}: another "
            f"lab named {state['name']!r} runs from another directory. Use `--name` for a new "
            "lab, or `gameday lab down --dir` on the other one"
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
    made: list[str] = []
    dir_created = not lab_dir.exists()
    _make_dirs(lab_dir, made)
    with _locked(lab_dir):
        state = read_state(lab_dir)
        if state is None:
            state = _new_state(config, lab_dir, made, dir_created)
            _check_no_foreign_lab(state)
            write_state(lab_dir, state)
            say(f"Creating lab {config.name!r} in {lab_dir}")
        else:
            _check_same_lab(state, config)
            say(f"Lab {state['name']!r} already exists in {lab_dir}: checking and repairing")
        try:
            _build(lab_dir, state, say)
        except LabError as exc:
            raise LabError(
                f"{exc.message}\n(what was made so far is recorded: fix the cause and run "
                f"`gameday lab up` again, or remove it with `gameday lab down --dir {lab_dir}`)"
            ) from exc
        return info(lab_dir)


def _check_same_lab(state: dict[str, Any], config: LabConfig) -> None:
    if state["name"] != config.name:
        raise LabError(
            f"{state['dir']} holds the lab {state['name']!r}, not {config.name!r}; "
            "use `--name` with the lab's own name or another `--dir`"
        )
    if config.hosts is not None and config.hosts != len(state["hosts"]):
        raise LabError(
            f"the lab {state['name']!r} has {len(state['hosts'])} hosts, not {config.hosts}; "
            "take it down first (`gameday lab down`) to change its size"
        )


def _build(lab_dir: Path, state: dict[str, Any], say: Say) -> None:
    _make_dirs(Path(model.HOST_STATE_DIR), state["made_dirs"])
    write_state(lab_dir, state)
    blank = lab_dir / "blank"
    if not blank.exists():
        blank.write_bytes(b"")
    _ensure_key(lab_dir / "id_ed25519", f"gameday-lab-{state['name']}")
    _ensure_bridge(state, say)
    for host in state["hosts"]:
        _ensure_host_network(state, host, say)
        _ensure_host_init(lab_dir, state, host, say)
    _write_lab_files(lab_dir, state)
    _ensure_prometheus(lab_dir, state, say)
    _ensure_loadgen(lab_dir, state, say)
    _wait_ready(lab_dir, state)


def info(lab_dir: Path) -> LabInfo:
    """The LabInfo of the lab recorded in `lab_dir` (LabError when there is none)."""
    lab_dir = Path(lab_dir).absolute()
    state = read_state(lab_dir)
    if state is None:
        raise LabError(f"there is no lab in {lab_dir} (no {STATE_FILE})")
    hosts = tuple(
        LabHost(
            name=h["name"],
            address=h["address"],
            netns=h["netns"],
            zone=h["zone"],
            init_pid=int(h["init"]["pid"]) if h.get("init") else 0,
            sshd_log=_host_dir(lab_dir, h) / "logs" / "sshd.log",
        )
        for h in state["hosts"]
    )
    return LabInfo(
        name=state["name"],
        dir=lab_dir,
        hosts=hosts,
        inventory=lab_dir / "inventory.yaml",
        key=lab_dir / "id_ed25519",
        known_hosts=lab_dir / "known_hosts",
        prometheus_url=_prometheus_url(state),
        loadgen_url=f"http://127.0.0.1:{state['loadgen_port']}",
        scenarios_dir=lab_dir / "scenarios",
        bridge=state["bridge"],
        subnet=f"{model.SUBNET_PREFIX}.{state['octet']}.0/24",
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
    with _locked(lab_dir):
        state = read_state(lab_dir)
        if state is None:
            return False
        for key in ("loadgen", "prometheus"):
            _stop_record(state, key)
        for host in state["hosts"]:
            _stop_host(host)
        write_state(lab_dir, state)
        for host in state["hosts"]:
            if _netns_exists(host["netns"]):
                system.run(["ip", "netns", "delete", host["netns"]])
            _delete_link(host["veth"])
        _delete_link(state["bridge"])
        say(f"removed {len(state['hosts'])} hosts, their namespaces and {state['bridge']}")
        _remove_files(lab_dir, state)
    _remove_made_dirs(state)
    say(f"removed the lab's files in {lab_dir}")
    return True


def _delete_link(link: str) -> None:
    """Delete a link if it exists and wait until it is gone: the kernel tears down a deleted
    namespace's veth pair asynchronously, so it may vanish (or linger) on its own."""
    if _link_exists(link):
        system.run(["ip", "link", "delete", link], check=False)
    system.wait_until(lambda: not _link_exists(link), 10.0, f"the link {link} to disappear")


_LAB_FILES = (
    "hosts", "prometheus", "loadgen", "scenarios", "inventory.yaml", "known_hosts",
    "id_ed25519", "id_ed25519.pub", "blank", STATE_FILE, STATE_FILE + ".partial",
)  # fmt: skip


def _remove_files(lab_dir: Path, state: dict[str, Any]) -> None:
    for name in _LAB_FILES:
        path = lab_dir / name
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def _remove_made_dirs(state: dict[str, Any]) -> None:
    """rmdir (never rm -r) each directory the lab created, deepest first, if it is empty and
    no process mounts something on it (another lab's hosts mount their state dir there, and
    removing a mount point detaches it in every namespace)."""
    for directory in sorted(set(state["made_dirs"]), key=len, reverse=True):
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
