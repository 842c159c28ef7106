"""What every fault kind shares: the host context, the plan it produces, the spec protocol,
strict validators for parameters that reach a shell, and the builder of privileged lines.

A plan's lines are POSIX `sh` scripts. A line that needs shell syntax (`||`, `$(…)`, loops,
redirections) is wrapped whole in `sh -c '…'`, so it means the same whatever the login shell of
the remote user is, and under `sudo -n` the whole script runs privileged — a failing `sudo`
then fails the line instead of being hidden behind an `|| true`. Every value inside a script
is a rendered argv word (`gameday.core.shell.render`) or a fixed fragment of this package.
"""

from __future__ import annotations

import ipaddress
import math
import posixpath
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from gameday.core.shell import both, render
from gameday.core.yamlsrc import MapNode, Node

FAULT_ID = re.compile(r"[a-z0-9-]{1,32}")
_INTERFACE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,14}")
_PROCESS = re.compile(r"[A-Za-z0-9_.@:+][A-Za-z0-9_.@:+-]{0,14}")
_UNIT = re.compile(r"[A-Za-z0-9_.:@][A-Za-z0-9_.:@-]{0,254}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")

# Processes whose loss takes the console's own path (or the revert) down with them.
PROTECTED_PROCESSES = frozenset(
    {"sshd", "sshd-session", "sudo", "sh", "bash", "dash", "systemd", "init", "kthreadd"}
)


@dataclass(frozen=True)
class HostContext:
    """What a fault needs to know about the host it is planned for."""

    name: str
    ssh_port: int = 22
    """Never blocked by a network fault: it is the console's own path to the host."""
    sudo: bool = False
    """Prefix privileged commands with `sudo -n`."""
    state_dir: str = "/var/lib/gameday"
    """Where a fault keeps what its revert needs (process-group ids, recorded PIDs, logs)."""


@dataclass(frozen=True)
class FaultPlan:
    """Rendered shell lines for one fault on one host. Every line is safe to send as is.

    Lines of each phase run in order; a phase fails at its first line that exits non-zero, and
    that line's stderr is the reason to show.
    """

    kind: str
    fault_id: str
    host: str
    capability: tuple[str, ...]
    """Each must exit 0; the stderr of the first that fails is the reason shown."""
    inject: tuple[str, ...]
    verify_active: tuple[str, ...]
    """Each exits 0 iff the fault is in effect."""
    revert: tuple[str, ...]
    """Idempotent: safe to run when the fault is already gone or was never injected."""
    verify_reverted: tuple[str, ...]
    """Each exits 0 iff no trace of the fault is left."""
    summary: str = ""
    verified: bool = True
    """False when verify_active is a placeholder (`true`) that proves nothing (custom faults
    without `verify`)."""
    revert_verified: bool = True
    """False when verify_reverted is a placeholder that proves nothing (custom faults without
    `verify_reverted`, process_kill without `restart`)."""
    cleanup: tuple[str, ...] = ()
    """Removes the fault's own files under the state directory; run once verify_reverted
    passed (revert and verify_reverted still need them until then). Idempotent."""

    @property
    def phases(self) -> dict[str, tuple[str, ...]]:
        """Every phase by name, in the order of a fault's life (for previews)."""
        return {
            "capability": self.capability,
            "inject": self.inject,
            "verify_active": self.verify_active,
            "revert": self.revert,
            "verify_reverted": self.verify_reverted,
            "cleanup": self.cleanup,
        }


class FaultSpec(Protocol):
    """One parsed entry of a scenario's `faults:` list."""

    @property
    def kind(self) -> str: ...

    @property
    def line(self) -> int: ...

    @property
    def name(self) -> str | None: ...

    def plan(self, ctx: HostContext, fault_id: str, duration: float) -> FaultPlan: ...


# --- lines ---------------------------------------------------------------------------------


class Lines:
    """Builds the lines of one plan for one host: `sudo -n` when the host needs it, state
    file paths named by the fault id."""

    def __init__(self, ctx: HostContext, fault_id: str) -> None:
        check_context(ctx, fault_id)
        self.ctx = ctx
        self.fault_id = fault_id
        self.state_dir = check_abs_path(ctx.state_dir)

    def cmd(self, *argv: str) -> str:
        """One command with no shell syntax, privileged."""
        return render(("sudo", "-n", *argv) if self.ctx.sudo else argv)

    def sh(self, body: str) -> str:
        """A script of rendered words and fixed operators, run whole by `sh -c`, privileged."""
        return self.cmd("sh", "-c", body)

    def state(self, suffix: str) -> str:
        """The path of this fault's state file `<state_dir>/<fault_id>.<suffix>`."""
        return f"{self.state_dir.rstrip('/')}/{self.fault_id}.{suffix}"

    def make_state_dir(self) -> str:
        """Script fragment: create the state directory (root-only)."""
        return render(("mkdir", "-p", "-m", "0700", self.state_dir))

    def state_dir_capability(self) -> str:
        return self.sh(
            either_fail(
                both(self.make_state_dir(), f"[ -w {render((self.state_dir,))} ]"),
                f"cannot create or write the gameday state directory {self.state_dir}",
            )
        )

    def sudo_capability(self) -> tuple[str, ...]:
        """`sudo -n true` first when the host needs sudo: a password prompt fails here."""
        return (render(("sudo", "-n", "true")),) if self.ctx.sudo else ()

    def tools_capability(self, *tools: tuple[str, str]) -> str:
        """One line: each (tool, package) is installed (as the privileged user sees PATH)."""
        pairs = render(tuple(f"{tool}:{package}" for tool, package in tools))
        return self.sh(
            f"for t in {pairs}; do "
            'command -v "${t%%:*}" >/dev/null 2>&1 || { '
            + render(("printf", "%s is not installed on this host (package %s)\\n"))
            + ' "${t%%:*}" "${t#*:}" >&2; exit 1; }; done'
        )


def fail(message: str) -> str:
    """Script fragment: print `message` on stderr and exit 1 (from the enclosing `sh -c`)."""
    return "{ " + render(("printf", "%s\\n", message)) + " >&2; exit 1; }"


def either_fail(check: str, message: str) -> str:
    """`check || fail(message)`."""
    return f"{check} || {fail(message)}"


def wait_until(condition: str, tenths: int) -> str:
    """Script fragment: poll `condition` every 0.1 s, at most `tenths` times; its status is
    the condition's last status."""
    return (
        f'i=0; until {condition}; do [ "$i" -ge {int(tenths)} ] && break; '
        f"sleep 0.1; i=$((i + 1)); done; {condition}"
    )


# --- validation ----------------------------------------------------------------------------


def check_context(ctx: HostContext, fault_id: str) -> None:
    """Raise ValueError on a fault id or host context that must never reach a shell."""
    if not FAULT_ID.fullmatch(fault_id):
        raise ValueError(f"fault id {fault_id!r} must match [a-z0-9-]{{1,32}}")
    if not 1 <= ctx.ssh_port <= 65535:
        raise ValueError(f"ssh port {ctx.ssh_port} is out of range")
    check_abs_path(ctx.state_dir)


_PATH_UNSAFE = re.compile(r"[^A-Za-z0-9._/@+=,:%~-]")


def check_abs_path(text: str) -> str:
    """An absolute path with no `..`, no control characters; returned without trailing `/`."""
    if not text.startswith("/"):
        raise ValueError(f"{text!r} must be an absolute path (starting with /)")
    if _CONTROL.search(text):
        raise ValueError("a path must not contain control characters or newlines")
    unsafe = sorted(set(_PATH_UNSAFE.findall(text)))
    if unsafe:
        # Quoting would keep them harmless, but a path with `$(`, `;` or quotes in a fault
        # parameter is far more likely an injection attempt or a templating slip than a path.
        shown = " ".join(repr(ch) for ch in unsafe)
        raise ValueError(f"{text!r}: a path may not contain shell characters or spaces ({shown})")
    if ".." in text.split("/"):
        raise ValueError(f"{text!r} must not contain '..'")
    if len(text) > 1024:
        raise ValueError("path is too long")
    return posixpath.normpath(text).replace("//", "/")


def check_interface(text: str) -> str:
    """`auto` or a Linux interface name (at most 15 characters of A-Z a-z 0-9 _ . -)."""
    if text == "auto" or _INTERFACE.fullmatch(text):
        return text
    raise ValueError(f"{text!r} is not an interface name (up to 15 of A-Z a-z 0-9 _ . -, or auto)")


def check_process(text: str) -> str:
    """An exact process name as `pgrep -x` sees it (the kernel's 15-character comm)."""
    if len(text) > 15 and _PROCESS.fullmatch(text[:15]):
        raise ValueError(
            f"{text!r} is longer than the 15 characters Linux keeps of a process name; "
            f"write {text[:15]!r}"
        )
    if not _PROCESS.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a process name (letters, digits and _ . @ : + -, "
            "not starting with -, no spaces or shell characters)"
        )
    if text in PROTECTED_PROCESSES:
        raise ValueError(
            f"{text!r} cannot be a fault target: the console needs it to reach the host "
            "and revert the fault"
        )
    return text


def process_pattern(name: str) -> str:
    """The exact-match regex for pgrep/pkill; `.` and `+` made literal."""
    return name.replace(".", "[.]").replace("+", "[+]")


def check_unit(text: str) -> str:
    """A systemd unit name such as `nginx`, `nginx.service` or `getty@tty1.service`."""
    if not _UNIT.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a systemd unit name (letters, digits and _ . : @ -, "
            "not starting with -)"
        )
    return text


Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def check_network(text: str) -> Network:
    """An IPv4 or IPv6 address or CIDR block; host bits set in a CIDR are an error, not a
    guess."""
    try:
        network = ipaddress.ip_network(text.strip(), strict=True)
    except ValueError as exc:
        if "host bits set" in str(exc):
            loose = ipaddress.ip_network(text.strip(), strict=False)
            raise ValueError(f"{text!r} has host bits set: did you mean {loose}?") from None
        raise ValueError(f"{text!r} is not an IP address or CIDR block") from None
    return network


# --- parsing helpers -------------------------------------------------------------------------


def check_command(text: str) -> str:
    """An author's shell command: any text a shell accepts (newlines included), but no NUL and
    no other control character except tab and newline (they cannot be sent, or hide text)."""
    value = text.strip()
    if not value:
        raise ValueError("must not be empty")
    if re.search(r"[\x00-\x08\x0b-\x1f\x7f]", value):
        raise ValueError("a command must not contain control characters (other than tab, newline)")
    return value


def check_label(text: str) -> str:
    """A fault's display label: one line of printable text, at most 80 characters."""
    value = text.strip()
    if not value or _CONTROL.search(value) or len(value) > 80:
        raise ValueError("must be one line of text, 1 to 80 characters")
    return value


def opt_text(m: MapNode, key: str) -> str | None:
    """An optional shell command written by the scenario author (see check_command)."""
    node = m.get(key)
    return None if node is None else node.convert(check_command)


def command_of(m: MapNode, key: str) -> str:
    return m.require(key).convert(check_command)


def interface_of(m: MapNode) -> str:
    node = m.get("interface")
    return "auto" if node is None else node.convert(check_interface)


def abs_path_of(node: Node) -> str:
    return node.convert(check_abs_path)


def seconds_for_timeout(duration: float) -> int:
    """Whole seconds for a tool's own timeout: never zero, never shorter than asked."""
    if not math.isfinite(duration) or duration <= 0:
        raise ValueError(f"duration must be positive, got {duration!r}")
    return max(1, math.ceil(duration))


def words(parts: Sequence[str]) -> str:
    """Join already-rendered fragments with single spaces."""
    return " ".join(part for part in parts if part)


def label(m: MapNode) -> str | None:
    """The fault's optional `name:` label."""
    node = m.get("name")
    return None if node is None else node.convert(check_label)


def items_of(node: Node) -> list[Node]:
    """A list's items; a single value is read as a list of one."""
    return node.as_list() if node.is_list else [node]


def choice(m: MapNode, key: str, choices: tuple[str, ...], default: str) -> str:
    """One of fixed words, or the default when the key is absent."""
    node = m.get(key)
    if node is None:
        return default
    value = node.as_str()
    if value not in choices:
        raise node.error(f"must be one of {', '.join(choices)}, got {value!r}")
    return value
