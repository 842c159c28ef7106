"""One error tree for gameday; third-party errors are mapped to it at the edges.

GamedayError                 title + message; the CLI prints them and exits 2
├── InputError               a file, line and field that is wrong (scenario, inventory, flags)
├── PlanError                input that is valid alone but not together (e.g. zero targets)
├── LabError                 the lab fleet could not be built or torn down
├── TransportError           talking to a host failed; always names the host
│   ├── HostUnreachable
│   ├── AuthFailed
│   ├── HostKeyRejected      unknown or changed host key
│   ├── CommandTimedOut
│   └── CommandFailed        non-zero exit status, with stderr
├── CapabilityMissing        a host lacks a tool, a privilege or kernel support
└── MetricSourceError        Prometheus, HTTP probe or command probe gave no usable value
"""

from __future__ import annotations


class GamedayError(Exception):
    """Base of every error gameday raises on purpose."""

    title = "gameday error"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def one_line(text: str) -> str:
    """Escape what would break a one-line message: line breaks, tabs, other control characters
    and the Unicode line and paragraph separators (a file name or key may contain any)."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ascii(ch)[1:-1] for ch in text)


class InputError(GamedayError):
    """Bad input, located: `FILE:LINE: field.path: what is wrong`."""

    title = "Invalid input"

    def __init__(self, file: str, line: int, field: str, problem: str) -> None:
        self.file = file
        self.line = line
        self.field = field
        self.problem = problem
        where = f"{one_line(file)}:{line}" if line > 0 else one_line(file)
        text = f"{where}: {one_line(field)}: " if field else f"{where}: "
        super().__init__(text + one_line(problem))


class InputErrors(GamedayError):
    """Several located input errors found in one pass."""

    title = "Invalid input"

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        super().__init__("\n".join(e.message for e in errors))


class PlanError(GamedayError):
    title = "Cannot plan this experiment"


class LabError(GamedayError):
    title = "Lab error"


class CapabilityMissing(GamedayError):
    title = "Host lacks a capability"

    def __init__(self, host: str, problem: str) -> None:
        self.host = host
        self.problem = problem
        super().__init__(f"{host}: {problem}")


class MetricSourceError(GamedayError):
    title = "No usable metric"


class TransportError(GamedayError):
    title = "Cannot talk to a host"

    def __init__(self, host: str, problem: str) -> None:
        self.host = host
        self.problem = problem
        super().__init__(f"{host}: {problem}")


class HostUnreachable(TransportError):
    title = "Host unreachable"


class AuthFailed(TransportError):
    title = "Authentication failed"


class HostKeyRejected(TransportError):
    title = "Host key rejected"


class CommandTimedOut(TransportError):
    title = "Command timed out"


class CommandFailed(TransportError):
    title = "Command failed"

    def __init__(self, host: str, command: str, status: int, stderr: str) -> None:
        self.command = command
        self.status = status
        self.stderr = stderr
        detail = stderr.strip().splitlines()[-1] if stderr.strip() else "no error output"
        super().__init__(host, f"exit status {status}: {detail}")
