"""Text for the findings document: times, numbers, Markdown escaping and secret masking.

Everything typed by a person or printed by a host passes through `inline` (or `cell` inside a
table, `code` for commands) before it reaches the Markdown, so that no note can open a table
cell, an HTML tag, a code span, a heading or a link. Secrets are masked before escaping.
"""

from __future__ import annotations

import re

from gameday.core.session.journal import redact
from gameday.core.wording import (  # times and numbers are the core's vocabulary, re-exported
    count,
    number,
    offset,
    plain_number,
    seconds_text,
    utc_date,
    utc_iso,
    utc_time,
)

__all__ = [
    "cell",
    "code",
    "count",
    "inline",
    "number",
    "offset",
    "plain",
    "plain_number",
    "redact_command",
    "redact_prose",
    "seconds_text",
    "utc_date",
    "utc_iso",
    "utc_time",
]

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
