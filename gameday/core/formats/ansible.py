"""Ansible inventories — static YAML, INI and the JSON of `ansible-inventory --list` — read
into gameday's `Inventory`.

The three readers only collect groups, hosts and variables (with the line each came from);
one builder then does what Ansible does: flattens children, reconciles `all`/`ungrouped`,
merges variables (`all` first, then groups by depth and name, then the host's own), and turns
the connection variables into a validated `Host`. Every other one-line variable becomes a tag,
spelled as `ansible-inventory --list` prints it; encrypted (`!vault`) values become opaque
`Secret`s unless gameday needs them to connect, which is an error.

Where Ansible would quietly pick one of two values gameday connects with (two addresses for
one host, a `host:port` written after the host was already known), gameday refuses instead:
a guess there could send a fault to the wrong machine. The fixtures under
tests/fixtures/inventories/ansible-compat hold real `ansible-inventory` output to agree with.
"""

from __future__ import annotations

import ast
import json
import re
import string
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from gameday.core.formats.inventory import (
    Host,
    Inventory,
    Secret,
    check_address,
    check_group_name,
    check_host_name,
    check_identity_file,
    check_port,
    check_tag_value,
    check_user,
    parse_bool,
)
from gameday.errors import InputError

MAX_HOSTS = 65536
"""A range such as `h[0:99999999]` is refused before it eats the memory."""
MAX_GROUP_DEPTH = 64

ADDRESS_VARS = ("ansible_host", "ansible_ssh_host")
PORT_VARS = ("ansible_port", "ansible_ssh_port")
USER_VARS = ("ansible_user", "ansible_ssh_user")
KEY_VARS = ("ansible_ssh_private_key_file", "ansible_private_key_file")
BECOME_VARS = ("ansible_become",)
PROTECTED_VAR = "gameday_protected"
CONNECTION_VARS = frozenset(
    (*ADDRESS_VARS, *PORT_VARS, *USER_VARS, *KEY_VARS, *BECOME_VARS, PROTECTED_VAR)
)
SECRET_VARS = frozenset(
    {
        "ansible_password",
        "ansible_ssh_pass",
        "ansible_ssh_password",
        "ansible_become_password",
        "ansible_become_pass",
        "ansible_sudo_pass",
        "ansible_sudo_password",
    }
)
"""Plain-text passwords are kept as `Secret`s, never as tags that get printed."""

_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_RANGE = re.compile(r"\[([^\[\]]*)\]")
_BRACKETED_V6 = re.compile(r"\[([0-9A-Fa-f:.]+)\](?::([0-9]+))?")
_PORT_SUFFIX = re.compile(r"(.+):([0-9]+)")
_VAULT_PREFIX = "$ANSIBLE_VAULT;"


@dataclass(frozen=True)
class Var:
    """One variable as written: text, an opaque secret, or None for a list/mapping/null."""

    value: str | Secret | None
    line: int
    field: str
    null: bool = False
    """Written as null (`~`, `None`): for a connection variable, the same as not set."""


@dataclass
class _Group:
    name: str
    line: int
    hosts: list[str] = field(default_factory=list)
    listed: set[str] = field(default_factory=set)
    """The same names as `hosts`, for a membership test that stays fast on big fleets."""
    children: dict[str, tuple[int, str]] = field(default_factory=dict)
    """Child group → (line, field) of the place that made it a child."""
    vars: dict[str, Var] = field(default_factory=dict)


@dataclass
class _Host:
    name: str
    line: int
    vars: dict[str, Var] = field(default_factory=dict)


class Builder:
    """Collects what a reader finds, then builds the Inventory the way Ansible would."""

    def __init__(self, file: str, fmt: str) -> None:
        self.file = file
        self.format = fmt
        self.hosts: dict[str, _Host] = {}
        self.groups: dict[str, _Group] = {"all": _Group("all", 0)}

    def error(self, line: int, fld: str, problem: str) -> InputError:
        return InputError(self.file, line, fld, problem)

    def group(self, name: str, line: int, fld: str) -> _Group:
        if name not in self.groups:
            try:
                check_group_name(name)
            except ValueError as exc:
                raise self.error(line, fld, str(exc)) from None
            self.groups[name] = _Group(name, line)
        return self.groups[name]

    def add_host(
        self,
        group: str,
        name: str,
        line: int,
        fld: str,
        variables: dict[str, Var],
        *,
        port: Var | None = None,
    ) -> None:
        """Add a host (already range-expanded) to a group.

        A host written again (in the same group or another) is the same host and its vars
        merge, later ones winning, as in Ansible — except the variables gameday connects
        with: two different addresses, ports, users… for one host is an error, because
        guessing which one is meant could send a fault to the wrong machine.
        """
        try:
            check_host_name(name)
        except ValueError as exc:
            raise self.error(line, fld, str(exc)) from None
        if port is not None:
            self._pattern_port(name, port, variables.get("ansible_port"))
        if name not in self.hosts:
            if len(self.hosts) >= MAX_HOSTS:
                raise self.error(line, fld, f"more than {MAX_HOSTS} hosts")
            self.hosts[name] = _Host(name, line)
            if port is not None:
                self.hosts[name].vars["ansible_port"] = port
        known = self.hosts[name].vars
        for key, var in variables.items():
            before = known.get(key)
            if key in CONNECTION_VARS and before is not None and before.value != var.value:
                raise self.error(
                    var.line,
                    var.field,
                    f"host {name} is given two different {key} values (the other is on line "
                    f"{before.line}): write it once",
                )
        known.update(variables)
        members = self.groups[group]
        if name not in members.listed:
            members.hosts.append(name)
            members.listed.add(name)

    def _pattern_port(self, name: str, port: Var, explicit: Var | None) -> None:
        """Ansible takes `host:2222` only where it first meets the host, and lets an
        `ansible_port` beside it win; gameday refuses the cases where that would quietly
        drop a port someone wrote."""
        if explicit is not None and explicit.value != port.value:
            raise self.error(
                explicit.line,
                explicit.field,
                f"contradicts the port in the host name ({port.value}): write one of them",
            )
        host = self.hosts.get(name)
        if host is None:
            return
        before = host.vars.get("ansible_port")
        if before is None or before.value != port.value:
            raise self.error(
                port.line,
                port.field,
                f"host {name} was already written on line {host.line} without port "
                f"{port.value}; Ansible ignores a port added when a host is written again: "
                "put it on the first mention or use ansible_port",
            )

    def add_child(self, parent: str, child: str, line: int, fld: str) -> None:
        self.group(child, line, fld)
        if child == "all":
            raise self.error(line, fld, "the group all cannot be a child of another group")
        self.groups[parent].children.setdefault(child, (line, fld))

    # --- building ----------------------------------------------------------------------
    def build(self) -> Inventory:
        if not self.hosts:
            raise self.error(1 if self.format != "ansible-json" else 0, "", "defines no hosts")
        parents = self._parents()
        self._check_cycles()
        members = self._membership()
        order = {name: i for i, name in enumerate(self.hosts)}
        groups = {g: tuple(sorted(members[g], key=order.__getitem__)) for g in self.groups}
        if members["ungrouped"] and "ungrouped" not in groups:
            groups["ungrouped"] = tuple(sorted(members["ungrouped"], key=order.__getitem__))
        hosts: dict[str, Host] = {}
        protected: set[str] = set()
        for name, merged in self._merged_vars(members, self._depths(parents)).items():
            hosts[name], is_protected = self._host(self.hosts[name], merged)
            if is_protected:
                protected.add(name)
        return Inventory(
            file=self.file,
            hosts=MappingProxyType(hosts),
            groups=MappingProxyType(groups),
            protected=frozenset(protected),
            format=self.format,
        )

    def _membership(self) -> dict[str, set[str]]:
        """Every group's hosts, children's included, with `all` and `ungrouped` as Ansible
        reconciles them: `ungrouped` is exactly the hosts in no other group, wherever they
        were written."""
        members = self._members()
        members["all"] = set(self.hosts)
        in_a_group = {
            h for name, hs in members.items() if name not in ("all", "ungrouped") for h in hs
        }
        lone = {h for h in self.hosts if h not in in_a_group}
        if "ungrouped" in self.groups:
            for child in self.groups["ungrouped"].children:
                lone |= members[child]
        members["ungrouped"] = lone
        return members

    def _merged_vars(
        self, members: dict[str, set[str]], depth: dict[str, int]
    ) -> dict[str, dict[str, Var]]:
        """Each host's variables in Ansible's order: groups shallow to deep (then by name),
        then the host's own; each host walks only the groups it is in."""
        chains: dict[str, list[str]] = {name: [] for name in self.hosts}
        for g in sorted(self.groups, key=lambda g: (depth[g], g)):
            for host in members[g]:
                chains[host].append(g)
        merged: dict[str, dict[str, Var]] = {}
        for name, chain in chains.items():
            result: dict[str, Var] = {}
            for g in chain:
                result.update(self.groups[g].vars)
            result.update(self.hosts[name].vars)
            merged[name] = result
        return merged

    def _parents(self) -> dict[str, set[str]]:
        parents: dict[str, set[str]] = {name: set() for name in self.groups}
        for name, group in self.groups.items():
            for child in group.children:
                parents[child].add(name)
        for name, found in parents.items():
            if not found and name != "all":
                found.add("all")  # Ansible: a top-level group is a child of all
        return parents

    def _check_cycles(self) -> None:
        state: dict[str, int] = {}  # 1 = on the current path, 2 = done
        for start in self.groups:
            if state.get(start):
                continue
            # Iterative depth-first search: inventories from machines can nest deeply.
            stack: list[tuple[str, Iterator[str]]] = [(start, iter(self.groups[start].children))]
            state[start] = 1
            while stack:
                name, children = stack[-1]
                child = next(children, None)
                if child is None:
                    state[name] = 2
                    stack.pop()
                    continue
                if state.get(child) == 1:
                    line, fld = self.groups[name].children[child]
                    raise self.error(line, fld, f"group {child} contains itself (through {name})")
                if not state.get(child):
                    state[child] = 1
                    stack.append((child, iter(self.groups[child].children)))

    def _members(self) -> dict[str, set[str]]:
        """Each group's hosts, its descendants' included (the graph is acyclic here)."""
        done: dict[str, set[str]] = {}
        for start in self.groups:
            stack = [start]
            while stack:
                name = stack[-1]
                if name in done:
                    stack.pop()
                    continue
                pending = [c for c in self.groups[name].children if c not in done]
                if pending:
                    stack.extend(pending)
                    continue
                result = set(self.groups[name].hosts)
                for child in self.groups[name].children:
                    result |= done[child]
                done[name] = result
                stack.pop()
        return done

    def _depths(self, parents: dict[str, set[str]]) -> dict[str, int]:
        """Longest distance from `all`: deeper groups' variables win, as in Ansible."""
        depth: dict[str, int] = {"all": 0}
        for start in self.groups:
            stack = [start]
            while stack:
                name = stack[-1]
                if name in depth:
                    stack.pop()
                    continue
                pending = [p for p in parents[name] if p not in depth]
                if pending:
                    stack.extend(pending)
                    continue
                depth[name] = 1 + max(depth[p] for p in parents[name])
                stack.pop()
        return depth

    def _host(self, raw: _Host, merged: dict[str, Var]) -> tuple[Host, bool]:
        def text(names: tuple[str, ...], check: Callable[[str], Any]) -> Any:
            # The first name listed is the modern one; it wins over its legacy alias.
            for name in names:
                var = merged.get(name)
                if var is not None and not var.null:
                    return self._connection_value(name, var, check)
            return None

        address = text(ADDRESS_VARS, check_address) or raw.name
        port = text(PORT_VARS, check_port)
        user = text(USER_VARS, check_user)
        key = text(KEY_VARS, check_identity_file)
        sudo = text(BECOME_VARS, parse_bool)
        protected = text((PROTECTED_VAR,), parse_bool)
        tags: dict[str, str] = {}
        secrets: dict[str, Secret] = {}
        for name, var in merged.items():
            if isinstance(var.value, Secret):
                secrets[name] = var.value
            elif name in SECRET_VARS and var.value is not None:
                secrets[name] = Secret(var.value)
            elif (
                var.value is not None
                and not name.startswith(("ansible_", "gameday_"))
                and _is_tag_value(var.value)  # a certificate or a script is not a tag
            ):
                tags[name] = var.value
        host = Host(
            name=raw.name,
            address=address,
            port=port if port is not None else 22,
            user=user if user is not None else "root",
            identity_file=key,
            sudo=bool(sudo),
            tags=MappingProxyType(tags),
            line=raw.line,
            secrets=MappingProxyType(secrets),
        )
        return host, bool(protected)

    def _connection_value(self, name: str, var: Var, check: Callable[[str], Any]) -> Any:
        if isinstance(var.value, Secret):
            raise self.error(
                var.line,
                var.field,
                "is encrypted with Ansible Vault; gameday needs it to connect and cannot "
                "decrypt it: write this value in clear in the inventory given to gameday "
                "(only values gameday does not need may stay encrypted)",
            )
        if var.value is None:
            if var.null:
                return None
            raise self.error(var.line, var.field, f"{name} must be a single value")
        if "{{" in var.value or "{%" in var.value:
            raise self.error(
                var.line,
                var.field,
                "is a Jinja template, which gameday does not evaluate: write the value it "
                "stands for in the inventory given to gameday",
            )
        try:
            return check(var.value)
        except ValueError as exc:
            raise self.error(var.line, var.field, str(exc)) from None


# --- host patterns: ranges and ports ------------------------------------------------------


def expand_host_pattern(pattern: str) -> tuple[list[str], int | None]:
    """Host names and optional port from an Ansible host pattern.

    `web[01:03]` → web01 web02 web03; `db-[a:c]` → db-a db-b db-c; `[1:9:2]` has a step;
    `host:2222` and `[2001:db8::1]:2222` carry a port; a bare IPv6 address has none.
    Raises ValueError with a sentence for the user.
    """
    bracketed = _BRACKETED_V6.fullmatch(pattern)
    if bracketed and ":" in bracketed.group(1):
        port = bracketed.group(2)
        return [bracketed.group(1)], check_port(port) if port is not None else None
    port_value: int | None = None
    outside = _RANGE.sub("", pattern)
    if outside.count(":") == 1:
        match = _PORT_SUFFIX.fullmatch(pattern)
        if match is None:
            raise ValueError(f"{pattern!r}: a port follows the host name, e.g. web1:2222")
        pattern, port_value = match.group(1), check_port(match.group(2))
    return _expand_ranges(pattern), port_value


def _expand_ranges(pattern: str) -> list[str]:
    pieces: list[list[str]] = []
    pos = 0
    for match in _RANGE.finditer(pattern):
        pieces.append([pattern[pos : match.start()]])
        pieces.append(_range_items(match.group(1)))
        pos = match.end()
    pieces.append([pattern[pos:]])
    names = [""]
    for piece in pieces:
        if len(names) * len(piece) > MAX_HOSTS:
            raise ValueError(f"{pattern!r} expands to more than {MAX_HOSTS} hosts")
        names = [name + item for name in names for item in piece]
    return names


def _range_items(body: str) -> list[str]:
    bounds = body.split(":")
    if len(bounds) not in (2, 3):
        raise ValueError(f"[{body}] is not a host range: write [start:end] or [start:end:step]")
    begin, end = bounds[0] or "0", bounds[1]
    step_text = bounds[2] if len(bounds) == 3 else "1"
    if not re.fullmatch(r"[0-9]{1,6}", step_text) or int(step_text) < 1:
        raise ValueError(f"[{body}]: the step must be a whole number of at least 1")
    step = int(step_text)
    if re.fullmatch(r"[0-9]{1,9}", begin) and re.fullmatch(r"[0-9]{1,9}", end):
        width = len(begin) if begin.startswith("0") and len(begin) > 1 else 0
        if width and len(end) != width:
            raise ValueError(f"[{body}]: zero-padded start and end must have the same width")
        first, last = int(begin), int(end)
        if first > last:
            raise ValueError(f"[{body}]: the start is after the end")
        if (last - first) // step + 1 > MAX_HOSTS:
            raise ValueError(f"[{body}] expands to more than {MAX_HOSTS} hosts")
        return [str(i).zfill(width) for i in range(first, last + 1, step)]
    letters = string.ascii_letters
    if len(begin) == 1 and len(end) == 1 and begin in letters and end in letters:
        first, last = letters.index(begin), letters.index(end)
        if first > last:
            raise ValueError(f"[{body}]: the start is after the end")
        return list(letters[first : last + 1 : step])
    raise ValueError(f"[{body}] is not a host range: use numbers ([01:20]) or letters ([a:f])")


def _is_tag_value(text: str) -> bool:
    try:
        check_tag_value(text)
    except ValueError:
        return False
    return True


def check_var_name(name: str) -> str:
    if not _VAR_NAME.fullmatch(name):
        raise ValueError(f"{name!r} is not a valid variable name")
    return name


def text_var(value: str, line: int, fld: str) -> Var:
    if value.startswith(_VAULT_PREFIX):
        return Var(Secret(value), line, fld)
    return Var(value, line, fld)


def ini_text(value: str, line: int, fld: str) -> Var:
    """An INI value read as Ansible reads it: a Python literal if it is one (`5`, `1.50`,
    `True`, `"a b"`, `[1, 2]`), else the text as written."""
    if value.startswith(_VAULT_PREFIX) or len(value) > 4096:
        return text_var(value, line, fld)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. "invalid escape sequence" in a Windows path
            literal = ast.literal_eval(value)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return text_var(value, line, fld)
    if isinstance(literal, bool):
        return Var("true" if literal else "false", line, fld)
    if isinstance(literal, str):
        return text_var(literal, line, fld)
    if isinstance(literal, int | float):
        try:
            return Var(json.dumps(literal), line, fld)
        except ValueError:  # beyond Python's int-to-text limit
            return Var(value, line, fld)
    return Var(None, line, fld, null=literal is None)  # None, lists, mappings: not tags
