"""Notifications: which journaled events tell people outside the room, and what they say.

Pure. `NoticeMaker` folds a session's events (as every other projection does) and turns the
ones that matter into `Notice`s; `webhook_body`, `slack_body` and `command_input` render one
for a target. Sending is an adapter's job (gameday.adapters.notify).

    plan_made                              → session_started (targets and people are known)
    abort_triggered                        → abort_fired (and lease_lost for rule "lease lost")
    lease_lost (any event of that type)    → lease_lost
    kill_switch_pulled                     → kill_switch
    fault_reverted with verified: false    → revert_unconfirmed
    session_ended                          → session_ended (verdict, journal, findings)

Every text is masked twice: credential shapes (`redact_prose`) and the literal values of the
target's own secrets (its URL and header values), so a payload never carries one.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from gameday.core.findings.text import redact_prose, utc_iso
from gameday.core.formats.inventory import Inventory, NotifyTarget
from gameday.core.session import events as ev
from gameday.core.session.events import JSON
from gameday.core.session.state import SessionState

MASK = "********"
LEASE_RULE = "lease lost"


@dataclass(frozen=True)
class Notice:
    event: str
    """One of NOTIFY_EVENTS."""
    at: float
    session_id: str
    scenario_id: str
    scenario_title: str
    environment: str
    headline: str
    """One line: what happened."""
    detail: str
    """What to know or do about it (may be empty)."""
    facts: tuple[tuple[str, str], ...] = ()
    """Label → value: targets, verdict, journal, findings, host…"""


class NoticeMaker:
    """Feed it every event of one session in order; it returns the notices each one raises."""

    def __init__(self, journal_path: str = "") -> None:
        self.journal_path = journal_path
        self.state = SessionState()
        self.environment = ""
        self.gameday_name = ""
        self.verdict_reason = ""
        self._leases: set[str] = set()

    def __call__(self, event: ev.Event) -> list[Notice]:
        self.state.apply(event)
        if isinstance(event, ev.VerdictReached):
            self.verdict_reason = event.reason
        if isinstance(event, ev.SessionStarted):
            self.environment, self.gameday_name = event.environment, event.gameday_name
        build = _BUILDERS.get(event.type)
        return [] if build is None else build(self, event)

    def notice(
        self,
        event: ev.Event,
        name: str,
        headline: str,
        detail: str = "",
        facts: Iterable[tuple[str, str]] = (),
    ) -> Notice:
        s = self.state
        return Notice(
            event=name,
            at=event.ts,
            session_id=s.session_id,
            scenario_id=s.scenario_id,
            scenario_title=s.title,
            environment=self.environment,
            headline=headline,
            detail=detail,
            facts=tuple(facts),
        )

    def first_lease_notice(self, key: str) -> bool:
        """A host's lost lease is told once, whichever event says it first."""
        if key in self._leases:
            return False
        self._leases.add(key)
        return True


def _started(m: NoticeMaker, e: ev.Event) -> list[Notice]:
    s = m.state
    people = ", ".join(f"{n} ({r})" if r else n for n, r in s.participants.items())
    facts = [("gameday", m.gameday_name)] if m.gameday_name else []
    facts.append(("targets", ", ".join(s.targets) or "none"))
    if people:
        facts.append(("participants", people))
    facts.append(("session", s.session_id))
    return [
        m.notice(
            e,
            "session_started",
            f"GameDay started: {s.title}",
            "Faults are about to go in on the targets below.",
            facts,
        )
    ]


def _abort(m: NoticeMaker, e: ev.AbortTriggered) -> list[Notice]:
    notices = [m.notice(e, "abort_fired", f"Abort rule fired: {e.rule}", e.reason, _session(m))]
    if e.rule == LEASE_RULE and m.first_lease_notice(e.reason.split(" ", 1)[0]):
        notices.append(
            m.notice(
                e, "lease_lost", "Lease lost: a host reverted by itself", e.reason, _session(m)
            )
        )
    return notices


def _lease(m: NoticeMaker, e: ev.Event) -> list[Notice]:
    host = str(getattr(e, "host", ""))
    reason = str(getattr(e, "reason", "") or getattr(e, "detail", ""))
    if not m.first_lease_notice(host or reason):
        return []
    where = f" on {host}" if host else ""
    return [m.notice(e, "lease_lost", f"Lease lost{where}", reason, _session(m))]


def _kill(m: NoticeMaker, e: ev.KillSwitchPulled) -> list[Notice]:
    by = f" by {e.actor}" if e.actor != ev.SYSTEM else ""
    detail = "Every fault on every host is being reverted." + (
        f" Reason: {e.reason}" if e.reason else ""
    )
    return [m.notice(e, "kill_switch", f"Kill switch pulled ({e.source}){by}", detail, _session(m))]


def _reverted(m: NoticeMaker, e: ev.FaultReverted) -> list[Notice]:
    if e.verified:
        return []
    todo = f"A person must look at {e.host}: gameday recover {m.journal_path}".rstrip()
    facts = [("host", e.host), ("fault", e.fault_id), *_session(m)]
    detail = f"{e.detail}. {todo}" if e.detail else todo
    return [m.notice(e, "revert_unconfirmed", f"Revert UNCONFIRMED on {e.host}", detail, facts)]


def _ended(m: NoticeMaker, e: ev.SessionEnded) -> list[Notice]:
    s = m.state
    if s.verdict is None:
        headline = f"GameDay stopped in preflight: {s.title}"
        detail = "Nothing was touched. " + "; ".join(s.preflight_failures)
    else:
        headline = f"GameDay ended: {s.verdict.replace('_', ' ')} — {s.title}"
        detail = m.verdict_reason
    facts = [("verdict", s.verdict or "none (preflight failed)"), *_session(m)]
    if m.journal_path:
        facts.append(("journal", m.journal_path))
        findings = s.findings_file or f"gameday export {m.journal_path} -o findings.md"
        facts.append(("findings", findings))
    return [m.notice(e, "session_ended", headline, detail.strip(), facts)]


def _session(m: NoticeMaker) -> list[tuple[str, str]]:
    return [("session", m.state.session_id)]


_BUILDERS: dict[str, Callable[[NoticeMaker, Any], list[Notice]]] = {
    ev.PlanMade.type: _started,
    ev.AbortTriggered.type: _abort,
    "lease_lost": _lease,
    ev.KillSwitchPulled.type: _kill,
    ev.FaultReverted.type: _reverted,
    ev.SessionEnded.type: _ended,
}


# --- payloads ---------------------------------------------------------------------------


def target_secrets(target: NotifyTarget) -> tuple[str, ...]:
    """The literal values no payload to this target may contain."""
    values = [h.reveal() for h in target.headers.values()]
    if target.url is not None:
        values.append(target.url.reveal())
    return tuple(v for v in values if len(v) >= 4)


def inventory_secrets(inventory: Inventory) -> tuple[str, ...]:
    """Every secret value the inventory holds (Prometheus headers, host secrets, every notify
    target's URL and headers): none may reach any payload, whichever target it goes to."""
    values: list[str] = []
    if inventory.prometheus is not None:
        values += [h.reveal() for h in inventory.prometheus.headers.values()]
    for host in inventory.hosts.values():
        values += [s.reveal() for s in host.secrets.values()]
    for target in inventory.notify:
        values += target_secrets(target)
    return tuple(v for v in dict.fromkeys(values) if len(v) >= 4)


def mask(text: str, secrets: Iterable[str] = ()) -> str:
    """Credential shapes, then the target's own secret values, become `********`."""
    for secret in sorted(secrets, key=len, reverse=True):
        text = text.replace(secret, MASK)
    return redact_prose(text)


def webhook_body(notice: Notice, secrets: Iterable[str] = ()) -> dict[str, JSON]:
    """The generic JSON webhook body (also what a command hook reads on stdin)."""
    hidden = tuple(secrets)

    def m(text: str) -> str:
        return mask(text, hidden)

    return {
        "source": "gameday",
        "event": notice.event,
        "at": utc_iso(notice.at),
        "ts": notice.at,
        "session_id": m(notice.session_id),
        "scenario_id": m(notice.scenario_id),
        "scenario_title": m(notice.scenario_title),
        "environment": m(notice.environment),
        "text": m(notice.headline),
        "detail": m(notice.detail),
        "facts": {m(k): m(v) for k, v in notice.facts},
    }


def command_input(notice: Notice, secrets: Iterable[str] = ()) -> bytes:
    return (json.dumps(webhook_body(notice, secrets), ensure_ascii=False) + "\n").encode()


_HEADER_LIMIT = 150
_SECTION_LIMIT = 3000
_CONTEXT_LIMIT = 10


def slack_body(notice: Notice, secrets: Iterable[str] = ()) -> dict[str, JSON]:
    """A Slack incoming-webhook message: fallback `text`, then header, section, context."""
    hidden = tuple(secrets)

    def m(text: str) -> str:
        return _slack_escape(mask(text, hidden))

    header = _clip(mask(notice.headline, hidden), _HEADER_LIMIT)
    section = "\n".join(
        [f"*{m(notice.headline)}*"]
        + ([m(notice.detail)] if notice.detail else [])
        + [f"*{m(k)}:* {m(v)}" for k, v in notice.facts]
    )
    where = " · ".join(
        part
        for part in (
            m(notice.scenario_id),
            m(notice.environment),
            utc_iso(notice.at),
            f"event {notice.event}",
        )
        if part
    )
    blocks: list[JSON] = [
        {"type": "header", "text": {"type": "plain_text", "text": header}},
        {"type": "section", "text": {"type": "mrkdwn", "text": _clip(section, _SECTION_LIMIT)}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(where, 300)}]},
    ]
    return {"text": _clip(m(notice.headline), _SECTION_LIMIT), "blocks": blocks}


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup (links, mentions): escape them."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_problems(body: Mapping[str, Any]) -> list[str]:
    """Where a body breaks Slack's documented message shape (empty: it conforms).

    Checks what Slack's Block Kit reference states for these blocks: at most 50 blocks; a
    header's text is plain_text of at most 150 characters; a section has a text object of at
    most 3000 characters (or up to 10 fields of at most 2000); a context has 1 to 10 elements;
    a text object's type is plain_text or mrkdwn, and its text is not empty.
    """
    problems: list[str] = []
    if not isinstance(body.get("text", ""), str):
        problems.append("text: must be a string")
    blocks = body.get("blocks")
    if not isinstance(blocks, list) or not 1 <= len(blocks) <= 50:
        return [*problems, "blocks: a list of 1 to 50 blocks"]
    for i, block in enumerate(blocks):
        problems += [f"blocks[{i}].{p}" for p in _block_problems(block)]
    return problems


def _block_problems(block: Any) -> list[str]:
    if not isinstance(block, dict):
        return ["not an object"]
    kind = block.get("type")
    if kind == "header":
        return _text_problems(block.get("text"), "text", _HEADER_LIMIT, plain_only=True)
    if kind == "section":
        if "text" not in block and "fields" not in block:
            return ["a section needs text or fields"]
        problems = []
        if "text" in block:
            problems += _text_problems(block["text"], "text", _SECTION_LIMIT)
        fields = block.get("fields", [])
        if not isinstance(fields, list) or len(fields) > 10:
            problems.append("fields: at most 10")
        else:
            for j, f in enumerate(fields):
                problems += _text_problems(f, f"fields[{j}]", 2000)
        return problems
    if kind == "context":
        elements = block.get("elements")
        if not isinstance(elements, list) or not 1 <= len(elements) <= _CONTEXT_LIMIT:
            return ["elements: 1 to 10 elements"]
        return [
            p for j, el in enumerate(elements) for p in _text_problems(el, f"elements[{j}]", 3000)
        ]
    if kind == "divider":
        return []
    return [f"type: {kind!r} is not a block this message uses"]


def _text_problems(obj: Any, where: str, limit: int, *, plain_only: bool = False) -> list[str]:
    if not isinstance(obj, dict):
        return [f"{where}: a text object"]
    kinds = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
    problems = []
    if obj.get("type") not in kinds:
        problems.append(f"{where}.type: one of {', '.join(kinds)}")
    text = obj.get("text")
    if not isinstance(text, str) or not 1 <= len(text) <= limit:
        problems.append(f"{where}.text: 1 to {limit} characters")
    return problems


def wanted(target: NotifyTarget, notice: Notice) -> bool:
    return notice.event in target.events
