"""Hosts, groups and tags: gameday's own YAML inventory, Ansible inventories (YAML, INI and
`ansible-inventory --list` JSON), all read into one frozen `Inventory`.

`load_inventory(path)` detects the format and raises only `gameday.errors.InputError` (file,
line, field), whatever the bytes in the file. Every value that later reaches `ssh` (addresses,
users, ports, key files) is checked here against a strict pattern: a host name such as
`-oProxyCommand=…` never leaves this module.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeVar

from gameday.core.yamlsrc import MapNode, Node
from gameday.errors import InputError

T = TypeVar("T")


@dataclass(frozen=True)
class Host:
    name: str
    address: str
    port: int = 22
    user: str = "root"
    identity_file: str | None = None
    """Kept as written (`~` is expanded when the key is used, not here)."""
    sudo: bool = False
    """Prefix privileged commands with `sudo -n` (never prompts; a password need is an error)."""
    tags: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    line: int = 0
    """Line of the host's entry in its inventory file, for error messages."""
    secrets: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))
    """Opaque values gameday does not need to connect (Ansible Vault values, passwords)."""


@dataclass(frozen=True)
class PrometheusConfig:
    url: str
    headers: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))
    verify_tls: bool = True


class Secret:
    """A value that must never be printed: repr/str are masked; `.reveal()` is explicit."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


NOTIFY_EVENTS: tuple[str, ...] = (
    "session_started",
    "abort_fired",
    "lease_lost",
    "kill_switch",
    "revert_unconfirmed",
    "session_ended",
)
NOTIFY_KINDS = ("webhook", "slack", "command")


@dataclass(frozen=True)
class NotifyTarget:
    """Where notifications of a session go (`notify:` in the inventory, `--notify URL`)."""

    kind: str
    """webhook (JSON POST), slack (incoming webhook: text blocks) or command (JSON on stdin)."""
    name: str
    """How failures name it; never the URL (a Slack webhook URL is itself a credential)."""
    url: Secret | None = None
    command: tuple[str, ...] = ()
    headers: Mapping[str, Secret] = field(default_factory=lambda: MappingProxyType({}))
    events: tuple[str, ...] = NOTIFY_EVENTS
    timeout: float = 3.0
    """Seconds per attempt."""
    attempts: int = 3


@dataclass(frozen=True)
class Inventory:
    file: str
    hosts: Mapping[str, Host]
    """Every host by name, in file order."""
    groups: Mapping[str, tuple[str, ...]]
    """Group name → host names (children already flattened)."""
    protected: frozenset[str] = frozenset()
    """Hosts that are never a target, whatever a scenario says."""
    known_hosts: str | None = None
    """Extra known_hosts file, already resolved relative to the inventory file."""
    prometheus: PrometheusConfig | None = None
    notify: tuple[NotifyTarget, ...] = ()
    """Notification targets, in file order (gameday's own format only)."""
    format: str = "gameday"
    """Where it came from: gameday, ansible-yaml, ansible-ini or ansible-json."""

    def groups_of(self, host: str) -> tuple[str, ...]:
        """The groups a host belongs to, in inventory order."""
        return tuple(name for name, members in self.groups.items() if host in members)


# --- strict checks for values that reach ssh ----------------------------------------------
# Each raises ValueError with a sentence for the user; loaders turn it into a located error.

MAX_NAME = 253
_LABEL = r"[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
_HOSTNAME = re.compile(rf"{_LABEL}(?:\.{_LABEL})*")
_NUMERIC_PARTS = re.compile(r"(?:[0-9]+|0[xX][0-9A-Fa-f]*)(?:\.(?:[0-9]+|0[xX][0-9A-Fa-f]*))*\.?")
_SCOPE = re.compile(r"[A-Za-z0-9_.-]{1,64}")
_USER = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,31}")
_GROUP = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_TAG_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]{0,63}")
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]{1,128}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_URL = re.compile(r"(?P<scheme>https?)://(?P<authority>[^/?#\s]*)(?P<rest>[/?#]\S*)?")
_AUTHORITY = re.compile(
    r"(?:\[(?P<v6>[0-9A-Fa-f:.]+)\]|(?P<host>[^:\[\]]+))(?::(?P<port>\d{1,5}))?"
)
_TRUE = frozenset({"true", "yes", "on", "y", "1"})
_FALSE = frozenset({"false", "no", "off", "n", "0"})


def check_address(text: str) -> str:
    """An IPv4/IPv6 literal or a DNS name (RFC 1123 labels, `_` tolerated), nothing else."""
    if not text:
        raise ValueError("an address is required")
    if text.startswith("[") and text.endswith("]"):
        raise ValueError(f"write the IPv6 address without brackets: {text[1:-1]}")
    if ":" in text or _NUMERIC_PARTS.fullmatch(text):
        # Digits and dots (or 0x…) are an IP address or nothing: resolvers would read
        # `10.1` or `0x7f.1` as some address nobody meant.
        try:
            ipaddress.ip_address(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a valid IP address") from None
        if "%" in text and not _SCOPE.fullmatch(text.split("%", 1)[1]):
            raise ValueError(f"{text!r}: the zone after % must be an interface name")
        return text
    if len(text) > MAX_NAME or not _HOSTNAME.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a valid host name or IP address "
            "(letters, digits, '-', '_' and '.' only; no leading '-')"
        )
    return text


def check_host_name(text: str) -> str:
    """An inventory host name: the same rules as an address (it is the default address)."""
    if not text:
        raise ValueError("a host name is required")
    return check_address(text)


def check_port(value: int | str) -> int:
    if isinstance(value, str):
        if not re.fullmatch(r"[0-9]{1,5}", value.strip()):
            raise ValueError(f"{value!r} is not a port number (1-65535)")
        value = int(value.strip())
    if not 1 <= value <= 65535:
        raise ValueError(f"port {value} is out of range (1-65535)")
    return value


def check_user(text: str) -> str:
    if not _USER.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a valid user name (a letter or '_', then letters, digits, "
            "'_', '.', '-'; at most 32)"
        )
    return text


def check_path(text: str, what: str = "path") -> str:
    """A local file path that is safe on a command line: one line, not starting with '-'."""
    if not text.strip():
        raise ValueError("a path is required")
    if text.startswith("-") or _CONTROL.search(text) or len(text) > 4096:
        raise ValueError(f"{text!r} is not a usable {what}")
    return text


def check_identity_file(text: str) -> str:
    return check_path(text, "key file path")


def check_group_name(text: str) -> str:
    if not _GROUP.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a valid group name (letters, digits, '_', '.', '-'; "
            "not starting with '.' or '-')"
        )
    return text


def check_tag_key(text: str) -> str:
    if not _TAG_KEY.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a valid tag name "
            "(a letter or '_', then letters, digits, '_', '.', '-')"
        )
    return text


def check_tag_value(text: str) -> str:
    if _CONTROL.search(text) or len(text) > 1024:
        raise ValueError("a tag value must be one line of at most 1024 characters")
    return text


def parse_bool(text: str) -> bool:
    """Ansible's truthy words: true/yes/on/y/1 and false/no/off/n/0, any case."""
    word = text.strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError(f"expected true or false, got {text!r}")


def check_prometheus_url(text: str) -> str:
    """An http(s) URL with a valid host; credentials in the URL are refused (use headers)."""
    match = _URL.fullmatch(text)
    if not match:
        raise ValueError(f"{text!r} is not an http:// or https:// URL")
    authority = match.group("authority")
    if "@" in authority:
        raise ValueError("put credentials in prometheus.headers, not in the URL")
    parts = _AUTHORITY.fullmatch(authority)
    if not parts:
        raise ValueError(f"{text!r} has no valid host")
    host = parts.group("v6") or parts.group("host") or ""
    check_address(host)
    if parts.group("v6") and ":" not in host:
        raise ValueError(f"{host!r} in brackets must be an IPv6 address")
    if parts.group("port") is not None:
        check_port(parts.group("port"))
    return text


# --- loading ----------------------------------------------------------------------------

GAMEDAY_KEYS = ("defaults", "known_hosts", "prometheus", "protected", "hosts", "groups", "notify")
"""The top-level keys of gameday's own inventory format."""


# --- gameday's own format ---------------------------------------------------------------


@dataclass(frozen=True)
class _Defaults:
    user: str = "root"
    port: int = 22
    identity_file: str | None = None
    sudo: bool = False


def parse_gameday(root: Node) -> Inventory:
    """gameday's own YAML inventory format (docs/inventory.md)."""
    top = root.as_map()
    nodes = {key: top.get(key) for key in GAMEDAY_KEYS}
    top.done()  # a misspelt top key is the first thing to say, before what it leaves missing
    defaults = _read_defaults(nodes["defaults"])
    known_hosts = _read_known_hosts(nodes["known_hosts"])
    prometheus = _read_prometheus(nodes["prometheus"])
    notify = _read_notify(nodes["notify"])
    hosts_node = nodes["hosts"]
    if hosts_node is None:
        raise InputError(top.file, top.line, "hosts", "is required: name at least one host")
    hosts = _read_hosts(hosts_node, defaults)
    groups = _read_groups(nodes["groups"], hosts)
    protected = _read_protected(nodes["protected"], hosts)
    return Inventory(
        file=top.file,
        hosts=MappingProxyType(hosts),
        groups=MappingProxyType(groups),
        protected=protected,
        known_hosts=known_hosts,
        prometheus=prometheus,
        notify=notify,
        format="gameday",
    )


def _read_defaults(node: Node | None) -> _Defaults:
    if node is None:
        return _Defaults()
    entry = node.as_map()
    result = _Defaults(
        user=_opt(entry, "user", lambda n: n.convert(check_user), "root"),
        port=_opt(entry, "port", _port, 22),
        identity_file=_opt(entry, "identity_file", lambda n: n.convert(check_identity_file), None),
        sudo=_opt(entry, "sudo", Node.as_bool, False),
    )
    entry.done()
    return result


def _read_known_hosts(node: Node | None) -> str | None:
    if node is None:
        return None
    value = node.convert(check_path)
    if value.startswith("~") or os.path.isabs(value):
        return value
    base = os.path.dirname(os.path.abspath(node.file))
    return os.path.normpath(os.path.join(base, value))


def _read_prometheus(node: Node | None) -> PrometheusConfig | None:
    if node is None:
        return None
    entry = node.as_map()
    url = entry.require("url").convert(check_prometheus_url)
    headers: dict[str, Secret] = {}
    headers_node = entry.get("headers")
    if headers_node is not None:
        for key, value in headers_node.as_map().items():
            if not _HEADER_NAME.fullmatch(key):
                raise headers_node.as_map().key_node(key).error("not a valid HTTP header name")
            headers[key] = _header_value(value)
    verify_tls = _opt(entry, "verify_tls", Node.as_bool, True)
    entry.done()
    return PrometheusConfig(url=url, headers=MappingProxyType(headers), verify_tls=verify_tls)


def _read_notify(node: Node | None) -> tuple[NotifyTarget, ...]:
    if node is None:
        return ()
    return tuple(_read_notify_target(i, entry) for i, entry in enumerate(node.as_list()))


def _read_notify_target(index: int, node: Node) -> NotifyTarget:
    entry = node.as_map()
    kind = entry.require("kind").as_str()
    if kind not in NOTIFY_KINDS:
        raise entry.require("kind").error(
            f"unknown kind {kind!r}: use one of {', '.join(NOTIFY_KINDS)}"
        )
    url: Secret | None = None
    command: tuple[str, ...] = ()
    if kind == "command":
        command = _notify_command(entry.require("command"))
    else:
        url_node = entry.require("url")
        url = Secret(url_node.convert(check_notify_url))
    headers = _read_headers(entry.get("headers")) if kind == "webhook" else {}
    events = _opt(entry, "events", _notify_events, NOTIFY_EVENTS)
    timeout = _opt(entry, "timeout", lambda n: n.as_duration(min=0.1, max=30), 3.0)
    attempts = _opt(entry, "attempts", lambda n: n.as_int(min=1, max=5), 3)
    default_name = f"{kind} #{index + 1}"
    name = _opt(entry, "name", lambda n: n.convert(check_tag_value), default_name)
    entry.done()
    return NotifyTarget(
        kind=kind,
        name=name,
        url=url,
        command=command,
        headers=MappingProxyType(headers),
        events=events,
        timeout=timeout,
        attempts=attempts,
    )


def check_notify_url(text: str) -> str:
    """An http(s) URL with a valid host, as Prometheus' (credentials go in headers)."""
    try:
        return check_prometheus_url(text)
    except ValueError as exc:
        # Not quoted back: a webhook URL (Slack's) is itself a credential.
        problem = str(exc).replace(repr(text), "the URL").replace("prometheus.headers", "headers")
        raise ValueError(problem) from None


def _notify_command(node: Node) -> tuple[str, ...]:
    argv = tuple(node.as_str_list()) if node.is_list else ()
    if not argv or not argv[0]:
        raise node.error("a command is a list: the program, then its arguments (no shell)")
    if any(_CONTROL.search(a) for a in argv):
        raise node.error("a command argument must be one line")
    return argv


def _notify_events(node: Node) -> tuple[str, ...]:
    events = tuple(node.as_str_list())
    for event in events:
        if event not in NOTIFY_EVENTS:
            raise node.error(f"unknown event {event!r}: use any of {', '.join(NOTIFY_EVENTS)}")
    if not events:
        raise node.error("name at least one event (or leave events out: all of them)")
    return events


def _read_headers(node: Node | None) -> dict[str, Secret]:
    headers: dict[str, Secret] = {}
    if node is None:
        return headers
    entries = node.as_map()
    for key, value in entries.items():
        if not _HEADER_NAME.fullmatch(key):
            raise entries.key_node(key).error("not a valid HTTP header name")
        headers[key] = _header_value(value)
    return headers


def _header_value(node: Node) -> Secret:
    raw = node.raw
    if getattr(raw, "tag", "") == "!vault":
        raise node.error(
            "is encrypted with Ansible Vault; gameday cannot decrypt it: write the value "
            "(or keep it in a file only you can read)"
        )
    text = node.as_str()
    if _CONTROL.search(text.replace("\t", " ")):
        raise node.error("a header value must be one line")
    return Secret(text)


def _read_hosts(node: Node, defaults: _Defaults) -> dict[str, Host]:
    entries = node.as_map()
    hosts: dict[str, Host] = {}
    for name, value in entries.items():
        key = entries.key_node(name)
        key.convert(check_host_name)
        hosts[name] = _read_host(name, key.line, value, defaults)
    if not hosts:
        raise node.error("name at least one host")
    return hosts


def _read_host(name: str, line: int, node: Node, defaults: _Defaults) -> Host:
    if node.is_null:
        return Host(
            name=name,
            address=name,
            port=defaults.port,
            user=defaults.user,
            identity_file=defaults.identity_file,
            sudo=defaults.sudo,
            line=line,
        )
    entry = node.as_map()
    host = Host(
        name=name,
        address=_opt(entry, "address", lambda n: n.convert(check_address), name),
        port=_opt(entry, "port", _port, defaults.port),
        user=_opt(entry, "user", lambda n: n.convert(check_user), defaults.user),
        identity_file=_opt(
            entry, "identity_file", lambda n: n.convert(check_identity_file), defaults.identity_file
        ),
        sudo=_opt(entry, "sudo", Node.as_bool, defaults.sudo),
        tags=MappingProxyType(_read_tags(entry.get("tags"))),
        line=line,
    )
    entry.done()
    return host


def _read_tags(node: Node | None) -> dict[str, str]:
    if node is None:
        return {}
    entries = node.as_map()
    tags: dict[str, str] = {}
    for key, value in entries.items():
        entries.key_node(key).convert(check_tag_key)
        tags[key] = value.convert(check_tag_value)
    return tags


def _read_groups(node: Node | None, hosts: Mapping[str, Host]) -> dict[str, tuple[str, ...]]:
    if node is None:
        return {}
    entries = node.as_map()
    groups: dict[str, tuple[str, ...]] = {}
    for name, value in entries.items():
        entries.key_node(name).convert(check_group_name)
        groups[name] = _host_list(value, hosts, what=f"group {name}")
    return groups


def _read_protected(node: Node | None, hosts: Mapping[str, Host]) -> frozenset[str]:
    if node is None:
        return frozenset()
    return frozenset(_host_list(node, hosts, what="protected"))


def _host_list(node: Node, hosts: Mapping[str, Host], what: str) -> tuple[str, ...]:
    """A list of host names that must all be in `hosts`, each at most once."""
    items = [node] if node.is_scalar and not node.is_null else node.as_list()
    if node.is_null:
        items = []
    names: dict[str, None] = {}  # ordered, and a fast membership test on big fleets
    for item in items:
        name = item.as_text()
        if name not in hosts:
            raise item.error(f"{name!r} is not a host of this inventory ({what})")
        if name in names:
            raise item.error(f"{name!r} is listed twice")
        names[name] = None
    return tuple(names)


def _port(node: Node) -> int:
    """A port written as a number (`2222`) or as text (`"2222"`), 1..65535."""
    if node.is_scalar and node.raw.tag == _INT_TAG:
        value = node.as_int()
        try:
            return check_port(value)
        except ValueError as exc:
            raise node.error(str(exc)) from None
    return node.convert(check_port)


_INT_TAG = "tag:yaml.org,2002:int"


def _opt(entry: MapNode, key: str, read: Callable[[Node], T], default: T) -> T:
    """The value at `key` read by `read`, or `default` when absent or null."""
    node = entry.get(key)
    return default if node is None else read(node)
