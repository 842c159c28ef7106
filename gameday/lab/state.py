"""What a lab made, as recorded in its `state.json`: frozen values and their JSON form.

`up` writes the state before and after each thing it makes, so `down` (from any process, even
after a crash half-way through `up`) finds exactly what to remove. A change is a new value
(`dataclasses.replace`) written with `write_state`; nothing here touches the machine.

The JSON form is the one gameday has always written (version 1), so a lab made by an earlier
gameday is read, repaired and taken down by this one, and the other way round.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from gameday.errors import LabError

STATE_FILE = "state.json"
STATE_VERSION = 1

JsonObject = dict[str, object]


@dataclass(frozen=True)
class ProcessRecord:
    """A process the lab started, named by PID and start time so a reused PID is never
    mistaken for it (see `system.is_alive`)."""

    pid: int
    start: int
    """Start time in clock ticks since boot (field 22 of /proc/PID/stat)."""

    def to_json(self) -> JsonObject:
        return {"pid": self.pid, "start": self.start}


@dataclass(frozen=True)
class HostState:
    index: int
    """1-based position in the lab; names, addresses and zone derive from it."""
    name: str
    netns: str
    veth: str
    """This machine's end of the host's veth pair (the host's end is `eth0`)."""
    address: str
    zone: str
    unshare: ProcessRecord | None = None
    """The `unshare` wrapper that holds the host's PID, mount and UTS namespaces."""
    init: ProcessRecord | None = None
    """The host's init (the supervisor, PID 1 inside); stopping it stops every host process."""

    def to_json(self) -> JsonObject:
        return {
            "index": self.index,
            "name": self.name,
            "netns": self.netns,
            "veth": self.veth,
            "address": self.address,
            "zone": self.zone,
            "unshare": _record_json(self.unshare),
            "init": _record_json(self.init),
        }


@dataclass(frozen=True)
class LabState:
    name: str
    dir: Path
    dir_created: bool
    """`up` created the lab directory itself (so `down` may remove it)."""
    made_dirs: tuple[str, ...]
    """Each directory `up` created (mkdir -p), for `down` to rmdir if still empty."""
    octet: int
    """Third octet of the lab's 10.213.<octet>.0/24 network."""
    bridge: str
    prometheus_port: int
    loadgen_port: int
    rate: float
    """Load generator requests per second, per host."""
    hosts: tuple[HostState, ...]
    prometheus: ProcessRecord | None = None
    loadgen: ProcessRecord | None = None

    @property
    def prometheus_url(self) -> str:
        return f"http://127.0.0.1:{self.prometheus_port}"

    @property
    def loadgen_url(self) -> str:
        return f"http://127.0.0.1:{self.loadgen_port}"

    def with_host(self, host: HostState) -> LabState:
        """This state with `host` in place of the recorded host of the same index."""
        if all(h.index != host.index for h in self.hosts):
            raise ValueError(f"the lab has no host {host.index}")
        hosts = tuple(host if h.index == host.index else h for h in self.hosts)
        return dataclasses.replace(self, hosts=hosts)

    def to_json(self) -> JsonObject:
        return {
            "version": STATE_VERSION,
            "name": self.name,
            "dir": str(self.dir),
            "dir_created": self.dir_created,
            "made_dirs": list(self.made_dirs),
            "octet": self.octet,
            "bridge": self.bridge,
            "prometheus_port": self.prometheus_port,
            "loadgen_port": self.loadgen_port,
            "rate": self.rate,
            "hosts": [host.to_json() for host in self.hosts],
            "prometheus": _record_json(self.prometheus),
            "loadgen": _record_json(self.loadgen),
        }

    @classmethod
    def from_json(cls, raw: object) -> LabState:
        """The state a `to_json` value (or an earlier gameday's state.json) describes.

        Raises ValueError naming the first field that is missing or of the wrong type.
        """
        obj = _Fields(raw, "")
        version = obj.integer("version")
        if version != STATE_VERSION:
            raise ValueError(f"version {version}; this gameday reads version {STATE_VERSION}")
        return cls(
            name=obj.text("name"),
            dir=Path(obj.text("dir")),
            dir_created=obj.flag("dir_created"),
            made_dirs=tuple(obj.texts("made_dirs")),
            octet=obj.integer("octet"),
            bridge=obj.text("bridge"),
            prometheus_port=obj.integer("prometheus_port"),
            loadgen_port=obj.integer("loadgen_port"),
            rate=obj.number("rate"),
            hosts=tuple(_host(item) for item in obj.objects("hosts")),
            prometheus=_record(obj, "prometheus"),
            loadgen=_record(obj, "loadgen"),
        )


def _record_json(record: ProcessRecord | None) -> JsonObject | None:
    return record.to_json() if record is not None else None


def _host(obj: _Fields) -> HostState:
    return HostState(
        index=obj.integer("index"),
        name=obj.text("name"),
        netns=obj.text("netns"),
        veth=obj.text("veth"),
        address=obj.text("address"),
        zone=obj.text("zone"),
        unshare=_record(obj, "unshare"),
        init=_record(obj, "init"),
    )


def _record(obj: _Fields, key: str) -> ProcessRecord | None:
    """A process record, or None where the state says none (null, or an empty object)."""
    fields = obj.optional_object(key)
    if fields is None:
        return None
    return ProcessRecord(pid=fields.integer("pid"), start=fields.integer("start"))


class _Fields:
    """A JSON object read field by field; a wrong field raises ValueError with its path."""

    def __init__(self, raw: object, where: str) -> None:
        if not isinstance(raw, dict) or not all(isinstance(key, str) for key in raw):
            raise ValueError(f"{where or 'the file'} is not a JSON object")
        self._fields: JsonObject = dict(raw)
        self._where = where

    def _path(self, key: str) -> str:
        return f"{self._where}.{key}" if self._where else key

    def _get(self, key: str) -> object:
        if key not in self._fields:
            raise ValueError(f"{self._path(key)} is missing")
        return self._fields[key]

    def _wrong(self, key: str, expected: str) -> ValueError:
        return ValueError(f"{self._path(key)} is not {expected}")

    def text(self, key: str) -> str:
        value = self._get(key)
        if not isinstance(value, str):
            raise self._wrong(key, "a string")
        return value

    def integer(self, key: str) -> int:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int):
            raise self._wrong(key, "an integer")
        return value

    def number(self, key: str) -> float:
        value = self._get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self._wrong(key, "a number")
        return float(value)

    def flag(self, key: str) -> bool:
        value = self._get(key)
        if not isinstance(value, bool):
            raise self._wrong(key, "true or false")
        return value

    def texts(self, key: str) -> list[str]:
        value = self._get(key)
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise self._wrong(key, "a list of strings")
        return [str(item) for item in value]

    def objects(self, key: str) -> list[_Fields]:
        value = self._get(key)
        if not isinstance(value, list):
            raise self._wrong(key, "a list")
        return [_Fields(item, f"{self._path(key)}[{i}]") for i, item in enumerate(value)]

    def optional_object(self, key: str) -> _Fields | None:
        # An absent or empty record reads as none, as it always has.
        value = self._fields.get(key)
        return _Fields(value, self._path(key)) if value else None


# --- the file ---------------------------------------------------------------------------------


def state_path(lab_dir: Path) -> Path:
    return lab_dir / STATE_FILE


def read_state(lab_dir: Path) -> LabState | None:
    """The lab recorded in `lab_dir`, or None when there is no state file.

    Raises LabError when the file cannot be read or is not a state file this gameday reads.
    """
    path = state_path(lab_dir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise LabError(f"cannot read {path}: {exc.strerror}") from exc
    try:
        raw: object = json.loads(text)
    except ValueError as exc:
        raise LabError(f"{path} is not a lab state file (invalid JSON: {exc})") from exc
    try:
        return LabState.from_json(raw)
    except ValueError as exc:
        raise LabError(
            f"{path} is not a lab state file this gameday understands ({exc}); "
            "it may have been written by another version of gameday: take the lab down "
            "with that version (`gameday lab down`)"
        ) from exc


def write_state(lab_dir: Path, state: LabState) -> None:
    """Replace the state file atomically (a crash leaves the old file or the new, never half)."""
    path = state_path(lab_dir)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(state.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(partial, path)


@contextlib.contextmanager
def locked(lab_dir: Path) -> Iterator[None]:
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
