"""Text for the findings document: times, numbers, Markdown escaping and secret masking.

Everything typed by a person or printed by a host passes through `inline` (or `cell` inside a
table, `code` for commands) before it reaches the Markdown, so that no note can open a table
cell, an HTML tag, a code span, a heading or a link. Secrets are masked before escaping.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime

from gameday.core.journal import redact

# Prose is not a command line: "reset the password for alice" must stay readable, so the
# prose patterns need an explicit `=`/`:` (or a URL / header shape) before they mask anything.
_PROSE_SECRETS = (
    re.compile(
        r"(?i)\b(authorization|x-api-key|api-key|x-auth-token)(\s*[:=]\s*)(bearer\s+|basic\s+)?\S+"
    ),
    re.compile(r"(?i)(\b[a-z_-]*(?:password|passwd|token|secret|apikey|api_key))(\s*[=:]\s*)()\S+"),
    re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^/\s:@]+)(:)()[^@\s/]+(?=@)"),
    re.compile(r"(?i)(\bbearer)(\s+)()[A-Za-z0-9._~+/=-]{8,}"),
    # a command line quoted in a message: `--password x`, `-token x`
    re.compile(
        r"(?i)((?<![\w-])--?[a-z_-]*(?:password|passwd|token|secret|apikey|api_key))(\s+)()\S+"
    ),
)


def redact_prose(text: str) -> str:
    """Mask credentials written as `key=value`, `key: value`, `--key value`, in URLs or Bearer.

    For notes and for messages from hosts (details, reasons), where "sudo: password required"
    must stay readable; commands go through `redact_command`.
    """
    for pattern in _PROSE_SECRETS:
        text = pattern.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}********", text)
    return text


def redact_command(text: str) -> str:
    """Commands were redacted when journaled; mask again in case an older writer did not."""
    return redact(text)


# --- times -------------------------------------------------------------------------------


def _utc(ts: float, fmt: str) -> str:
    try:
        return datetime.fromtimestamp(ts, UTC).strftime(fmt)
    except (ValueError, OverflowError, OSError):
        return "(invalid time)"  # a hand-edited journal; say so rather than fail


def utc_iso(ts: float) -> str:
    """`2026-11-27T09:00:05Z` (whole seconds; the journal keeps the fractions)."""
    return _utc(ts, "%Y-%m-%dT%H:%M:%SZ")


def utc_time(ts: float) -> str:
    return _utc(ts, "%H:%M:%S")


def utc_date(ts: float) -> str:
    return _utc(ts, "%Y-%m-%d")


def offset(seconds: float) -> str:
    """`T+mm:ss` from the session's start; minutes grow past 59 (`T+75:02`)."""
    if not math.isfinite(seconds):
        return "T+??:??"
    sign = "-" if seconds < 0 else "+"
    whole = round(abs(seconds))
    return f"T{sign}{whole // 60:02d}:{whole % 60:02d}"


def seconds_text(seconds: float) -> str:
    """A duration for people: `34 ms`, `1.2 s`, `45 s`, `3 min 05 s`, `1 h 02 min`."""
    if not math.isfinite(seconds):
        return "—"
    if seconds < 0:
        return f"-{seconds_text(-seconds)}"
    if seconds < 1:
        return f"{round(seconds * 1000)} ms"
    if seconds < 10:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {(whole % 3600) // 60:02d} min"


def count(n: int, one: str, many: str = "") -> str:
    """`1 host`, `2 hosts`; `many` for irregular plurals (`breaches`)."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


# --- numbers -----------------------------------------------------------------------------


def number(value: float | None, unit: str = "") -> str:
    """A value as people read it: at most 4 significant digits, no exponent, unit appended."""
    if value is None or not math.isfinite(value):
        return "—"
    tiny_or_huge = value != 0 and not 1e-6 <= abs(value) < 1e15
    text = f"{value:.4g}" if tiny_or_huge else plain_number(value)
    if not unit:
        return text
    return f"{text}{unit}" if unit == "%" else f"{text} {unit}"


def plain_number(value: float) -> str:
    """Decimal without exponent (Mermaid's grammar has none): 0.0012, 1234.5, 1200000."""
    if not math.isfinite(value):
        return "0"
    if value == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(value)))
    decimals = max(0, 3 - magnitude)
    text = f"{value:.{min(decimals, 12)}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


# --- Markdown ----------------------------------------------------------------------------

_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_PUNCT = set("\\`*[]|~")
# Headings, list items, thematic breaks and setext underlines: what a line must not start as.
_LINE_START = re.compile(r"^(\s*)(#|=|[-+*_](?=\s|$|[-+*_=]*$)|\d+[.)](?=\s|$))")


def _escape_line(line: str) -> str:
    out = []
    for i, char in enumerate(line):
        if char in _HTML:
            out.append(_HTML[char])
        elif char in _PUNCT or (char == "_" and not _inside_word(line, i)):
            out.append("\\" + char)
        else:
            out.append(char)
    escaped = "".join(out)
    # A line that starts like a heading, a list item or a setext underline would change the
    # document's structure; a backslash before its first character keeps it text.
    match = _LINE_START.match(escaped)
    if match and not escaped.startswith("\\", match.end(1)):
        head = match.group(2)
        if head[0].isdigit():
            escaped = f"{match.group(1)}{head[:-1]}\\{head[-1]}{escaped[match.end() :]}"
        else:
            escaped = f"{match.group(1)}\\{escaped[match.end(1) :]}"
    return escaped


def _inside_word(line: str, i: int) -> bool:
    """GFM never reads `error_rate`'s underscore as emphasis; only edge underscores need `\\`."""
    return 0 < i < len(line) - 1 and line[i - 1].isalnum() and line[i + 1].isalnum()


def inline(text: str) -> str:
    """Escape free text for a paragraph or list item; newlines become hard line breaks."""
    lines = [_escape_line(line.strip()) for line in text.strip().splitlines() or [""]]
    return "\\\n  ".join(lines)


def cell(text: str) -> str:
    """Escape free text for a table cell: one physical line, pipes escaped, `<br>` for breaks."""
    lines = [_escape_line(line.strip()) for line in text.strip().splitlines()]
    return "<br>".join(line for line in lines if line) or " "


def code(text: str, *, in_table: bool = False) -> str:
    """A code span that no backtick, pipe or newline in `text` can close or split."""
    flat = " ⏎ ".join(part for part in text.splitlines() if part.strip()) or " "
    longest = max((len(run) for run in re.findall(r"`+", flat)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if flat.startswith("`") or flat.endswith("`") or longest else ""
    body = flat.replace("|", "\\|") if in_table else flat
    return f"{fence}{pad}{body}{pad}{fence}"


def plain(text: str) -> str:
    """Text for a place without Markdown (a Mermaid string, a code block): one line, no quotes."""
    flat = " ".join(text.split())
    return re.sub(r'["`;%#]', "'", flat)
