"""Notifications: every event reaches a real loopback receiver; a receiver that hangs or fails
never delays a revert; Slack bodies keep Slack's block shape; secrets never leave."""

from __future__ import annotations

import dataclasses
import json
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from types import MappingProxyType
from typing import Any

import pytest

from gameday.adapters.notify import Notifier
from gameday.core.formats.inventory import NOTIFY_EVENTS, NotifyTarget, Secret
from gameday.core.formats.scenario import AbortRule
from gameday.core.notify import NoticeMaker, slack_body, slack_problems, webhook_body
from gameday.core.plan import build_plan
from gameday.core.session import events as ev
from gameday.core.session.journal import JournalWriter, read_journal
from gameday.engine.session import Session, SessionConfig
from tests.unit.engine_fakes import FakeClock, FakeHost, FakeSource
from tests.unit.quiet_http import serving
from tests.unit.test_session import _inventory, _scenario

TOKEN = "tok-9f8e7d6c5b4a"
SLACK_PATH = "/services/T0001/B0002/XyZsecretPathPart"
WAIT = 10.0


class Received:
    def __init__(self) -> None:
        self.bodies: list[dict[str, object]] = []
        self.headers: list[dict[str, str]] = []
        self.raw: list[bytes] = []
        self.hits = 0
        self.lock = threading.Lock()
        self.release = threading.Event()
        self.status = 200
        self.hang = 0.0

    def events(self) -> list[str]:
        with self.lock:
            return [str(b.get("event", "")) for b in self.bodies]

    def wait_for(self, count: int) -> None:
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            with self.lock:
                if self.hits >= count:
                    return
            time.sleep(0.02)
        raise AssertionError(f"{count} requests expected, {self.hits} came")


@pytest.fixture
def receiver() -> Iterator[tuple[str, Received]]:
    got = Received()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            data = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with got.lock:
                got.hits += 1
                got.raw.append(data)
                got.bodies.append(json.loads(data))
                got.headers.append(dict(self.headers.items()))
            if got.hang:
                got.release.wait(got.hang)
            self.send_response(got.status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    with serving(Handler) as url:
        try:
            yield url, got
        finally:
            got.release.set()


def _webhook(url: str, **kw: object) -> NotifyTarget:
    headers = MappingProxyType({"Authorization": Secret(f"Bearer {TOKEN}")})
    return NotifyTarget(kind="webhook", name="team hook", url=Secret(url), headers=headers, **kw)  # type: ignore[arg-type]


def _events() -> list[ev.Event]:
    """One session that fires every kind of notification once."""
    started = ev.SessionStarted(
        session_id="s1",
        scenario_id="web-cpu",
        scenario_title="Web survives CPU <pressure> & more",
        scenario_file="/s.yaml",
        scenario_sha256="0" * 64,
        hypothesis="p99 holds",
        inventory_file="/i.yaml",
        environment="staging",
    )
    return [
        started,
        ev.ParticipantJoined(name="alice", role="owner"),
        ev.PlanMade(targets=("web-1", "web-2"), spared={}),
        ev.AbortTriggered(rule="lease lost", reason="web-2 stopped answering the lease"),
        ev.AbortTriggered(rule="errors above 1 for 2", reason=f"password={TOKEN} leaked"),
        ev.KillSwitchPulled(source="keypress", actor="alice", reason="payments paged us"),
        ev.FaultReverted(host="web-1", fault_id="f1", verified=True),
        ev.FaultReverted(host="web-2", fault_id="f2", verified=False, detail="host unreachable"),
        ev.VerdictReached(verdict="revert_unconfirmed", reason="web-2: unconfirmed"),
        ev.SessionEnded(),
    ]


def _placed(events: list[ev.Event]) -> list[ev.Event]:
    return [ev.with_position(e, i, 1_700_000_000.0 + i) for i, e in enumerate(events, start=1)]


def test_every_notification_event_reaches_a_webhook_with_its_header(
    receiver: tuple[str, Received],
) -> None:
    url, got = receiver
    recorded: list[ev.Event] = []
    notifier = Notifier([_webhook(url)], record=recorded.append, journal_path="/j/s1.jsonl")
    for event in _placed(_events()):
        notifier(event)
    got.wait_for(7)
    notifier.close(WAIT)

    assert got.events() == [
        "session_started",
        "abort_fired",
        "lease_lost",
        "abort_fired",
        "kill_switch",
        "revert_unconfirmed",
        "session_ended",
    ]
    assert set(got.events()) == set(NOTIFY_EVENTS)
    assert all(h["Authorization"] == f"Bearer {TOKEN}" for h in got.headers)
    ended = got.bodies[-1]
    assert ended["facts"] == {
        "verdict": "revert_unconfirmed",
        "session": "s1",
        "journal": "/j/s1.jsonl",
        "findings": "gameday export /j/s1.jsonl -o findings.md",
    }
    started = got.bodies[0]
    assert started["facts"]["targets"] == "web-1, web-2"  # type: ignore[index]
    assert started["facts"]["participants"] == "alice (owner)"  # type: ignore[index]
    assert recorded == []  # nothing failed


def test_no_payload_carries_a_secret(receiver: tuple[str, Received]) -> None:
    url, got = receiver
    slack = NotifyTarget(kind="slack", name="slack", url=Secret(url + SLACK_PATH))
    notifier = Notifier([_webhook(url), slack], record=lambda _e: None, journal_path="/j")
    for event in _placed(_events()):
        notifier(event)
    got.wait_for(14)
    notifier.close(WAIT)
    for raw in got.raw:
        text = raw.decode()
        assert TOKEN not in text and "XyZsecretPathPart" not in text
    assert any("password=********" in raw.decode() for raw in got.raw)


def test_events_a_target_did_not_ask_for_are_not_sent(receiver: tuple[str, Received]) -> None:
    url, got = receiver
    target = _webhook(url, events=("kill_switch", "session_ended"))
    notifier = Notifier([target], record=lambda _e: None)
    for event in _placed(_events()):
        notifier(event)
    got.wait_for(2)
    notifier.close(WAIT)
    assert got.events() == ["kill_switch", "session_ended"]


def test_slack_bodies_keep_the_documented_block_shape() -> None:
    maker = NoticeMaker("/j/s1.jsonl")
    notices = [n for e in _placed(_events()) for n in maker(e)]
    assert {n.event for n in notices} == set(NOTIFY_EVENTS)
    for notice in notices:
        body: Any = slack_body(notice, (TOKEN,))
        assert slack_problems(body) == []
        blocks = body["blocks"]
        assert [b["type"] for b in blocks] == ["header", "section", "context"]
        section = blocks[1]["text"]["text"]
        assert "<" not in section and ">" not in section  # no accidental links or mentions
    huge = dataclasses.replace(notices[0], headline="x" * 500)
    assert slack_problems(slack_body(huge)) == []


def test_the_slack_checker_finds_what_slack_would_refuse() -> None:
    bad = {
        "text": "x",
        "blocks": [
            {"type": "header", "text": {"type": "mrkdwn", "text": "y" * 151}},
            {"type": "section"},
            {"type": "context", "elements": []},
        ],
    }
    problems = slack_problems(bad)
    assert "blocks[0].text.type: one of plain_text" in problems
    assert "blocks[0].text.text: 1 to 150 characters" in problems
    assert "blocks[1].a section needs text or fields" in problems
    assert "blocks[2].elements: 1 to 10 elements" in problems


def test_a_command_hook_reads_the_event_on_stdin(tmp_path: Path) -> None:
    out = tmp_path / "hook.jsonl"
    script = f"import sys; open({str(out)!r}, 'a').write(sys.stdin.read())"
    target = NotifyTarget(kind="command", name="pager", command=(sys.executable, "-c", script))
    notifier = Notifier([target], record=lambda _e: None)
    for event in _placed(_events()):
        notifier(event)
    notifier.close(WAIT)
    lines = [json.loads(line) for line in out.read_text().splitlines()]
    assert [x["event"] for x in lines][-1] == "session_ended"
    assert len(lines) == 7 and lines[0]["scenario_id"] == "web-cpu"


def test_a_failing_command_hook_is_journaled_with_its_message(tmp_path: Path) -> None:
    script = "import sys; sys.stderr.write('pager: no route\\n'); sys.exit(3)"
    target = NotifyTarget(
        kind="command",
        name="pager",
        command=(sys.executable, "-c", script),
        attempts=2,
        events=("kill_switch",),
    )
    recorded: list[ev.Event] = []
    notifier = Notifier([target], record=recorded.append, backoff=0.01)
    for event in _placed(_events()):
        notifier(event)
    notifier.close(WAIT)
    (failed,) = recorded
    assert isinstance(failed, ev.NotificationFailed)
    assert failed.target == "pager" and failed.event == "kill_switch" and failed.attempts == 2
    assert failed.reason == "the command exited with status 3: pager: no route"


def test_a_500_is_retried_a_bounded_number_of_times_then_journaled(
    receiver: tuple[str, Received],
) -> None:
    url, got = receiver
    got.status = 500
    recorded: list[ev.Event] = []
    notifier = Notifier(
        [_webhook(url, events=("kill_switch",), attempts=3)], record=recorded.append, backoff=0.01
    )
    for event in _placed(_events()):
        notifier(event)
    got.wait_for(3)
    notifier.close(WAIT)
    assert got.hits == 3
    (failed,) = recorded
    assert isinstance(failed, ev.NotificationFailed)
    assert failed.reason == "HTTP 500 Internal Server Error" and failed.attempts == 3
    assert url not in failed.reason


def test_a_hanging_receiver_times_out_and_close_is_bounded(
    receiver: tuple[str, Received],
) -> None:
    url, got = receiver
    got.hang = 30.0
    recorded: list[ev.Event] = []
    target = _webhook(url, events=("session_started",), timeout=0.3, attempts=2)
    notifier = Notifier([target], record=recorded.append, backoff=0.01)
    started = time.monotonic()
    for event in _placed(_events()):
        notifier(event)
    listener_time = time.monotonic() - started
    got.wait_for(2)
    notifier.close(WAIT)
    assert listener_time < 0.05
    (failed,) = recorded
    assert failed.reason == "no answer within 0.3s"  # type: ignore[attr-defined]


def test_what_is_still_pending_at_close_is_journaled_as_not_delivered(
    receiver: tuple[str, Received],
) -> None:
    url, got = receiver
    got.hang = 30.0
    recorded: list[ev.Event] = []
    notifier = Notifier([_webhook(url, timeout=20.0)], record=recorded.append)
    for event in _placed(_events()):
        notifier(event)
    got.wait_for(1)
    started = time.monotonic()
    notifier.close(0.5)
    assert time.monotonic() - started < 2.0
    reasons = {e.reason for e in recorded}  # type: ignore[attr-defined]
    assert len(recorded) == 7
    assert reasons == {"not delivered within 0.5s of the session's end: gave up"}


def _session(tmp_path: Path, name: str) -> tuple[Session, dict[str, FakeHost], Path]:
    rule = AbortRule(probe="errors", above=1.0, for_samples=1)
    plan = build_plan(_scenario(abort_when=(rule,)), _inventory())
    hosts = {h: FakeHost(h) for h in plan.selection.targets}
    clock = FakeClock()
    journal = tmp_path / f"{name}.jsonl"
    session = Session(
        plan,
        hosts,
        {"errors": FakeSource("errors", [0.1, 0.1, 0.1, 0.1, 5.0])},
        JournalWriter(journal, clock=clock.now),
        SessionConfig(session_id=name, heartbeat_interval=3600),
        clock=clock,
    )
    return session, hosts, journal


def _timed_run(session: Session) -> float:
    started = time.monotonic()
    result = session.run()
    assert result.verdict == "aborted"
    return time.monotonic() - started


def test_a_hanging_and_a_failing_receiver_never_delay_the_abort_and_its_reverts(
    tmp_path: Path, receiver: tuple[str, Received]
) -> None:
    url, got = receiver
    got.hang = 30.0
    with serving(_failing_handler()) as failing_url:
        baseline_session, _hosts, _journal = _session(tmp_path, "baseline")
        baseline = _timed_run(baseline_session)

        session, hosts, journal = _session(tmp_path, "notified")
        targets = [
            _webhook(url, timeout=5.0, attempts=3),
            _webhook(failing_url, attempts=3),
        ]
        notifier = Notifier(targets, record=session.record, journal_path=str(journal), backoff=0.01)
        session.subscribe(notifier)
        took = _timed_run(session)
        notifier.close(1.0)
        print(f"session with notifications {took * 1000:.0f} ms, without {baseline * 1000:.0f} ms")

    assert all(not h.active and not h.armed for h in hosts.values())
    # The whole session, abort and reverts included, runs as fast as without notifications
    # although one receiver never answers and the other fails every request.
    assert took < baseline + 0.25, (took, baseline)
    failed = [e for e in read_journal(journal).events if isinstance(e, ev.NotificationFailed)]
    assert {e.target for e in failed} == {"team hook"}
    assert any("HTTP 500" in e.reason and e.attempts == 3 for e in failed)
    assert any("not delivered" in e.reason for e in failed)


def _failing_handler() -> type[BaseHTTPRequestHandler]:
    class Failing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    return Failing


def test_webhook_body_is_plain_json_with_masked_texts() -> None:
    maker = NoticeMaker()
    notices = [n for e in _placed(_events()) for n in maker(e)]
    abort = next(n for n in notices if n.event == "abort_fired" and "password" in n.detail)
    body = webhook_body(abort, (TOKEN,))
    assert body["detail"] == "password=******** leaked"
    assert body["at"] == "2023-11-14T22:13:25Z"


def test_the_kill_switch_is_as_fast_with_a_hanging_receiver(
    tmp_path: Path, receiver: tuple[str, Received]
) -> None:
    url, got = receiver
    got.hang = 30.0

    def pull_on_first_inject(session: Session) -> list[float]:
        took: list[float] = []

        def listener(event: ev.Event) -> None:
            if isinstance(event, ev.FaultInjected) and not took:
                started = time.monotonic()
                session.kill_switch("keypress")
                took.append(time.monotonic() - started)

        session.subscribe(listener)
        return took

    quiet, _h, _j = _session(tmp_path, "quiet")
    quiet_took = pull_on_first_inject(quiet)
    quiet.run()

    loud, hosts, _journal = _session(tmp_path, "loud")
    notifier = Notifier([_webhook(url, timeout=5.0)], record=loud.record, backoff=0.01)
    loud.subscribe(notifier)  # before the puller: it sees the kill switch event first
    loud_took = pull_on_first_inject(loud)
    loud.run()
    notifier.close(0.5)

    print(
        f"kill switch {loud_took[0] * 1000:.1f} ms with a hanging receiver, "
        f"{quiet_took[0] * 1000:.1f} ms without"
    )
    assert loud_took[0] < quiet_took[0] + 0.05
    assert all(not h.active and not h.armed for h in hosts.values())
    assert got.events()[0] == "session_started"


def test_every_inventory_secret_is_masked_whichever_target_it_goes_to(
    receiver: tuple[str, Received],
) -> None:
    from gameday.core.formats.inventory import Host, Inventory, PrometheusConfig
    from gameday.core.notify import inventory_secrets

    prom_secret = "prom-header-31337"
    inventory = Inventory(
        file="i.yaml",
        hosts={"web-1": Host(name="web-1", address="10.0.0.1")},
        groups={},
        prometheus=PrometheusConfig(
            url="http://127.0.0.1:9", headers=MappingProxyType({"X-Token": Secret(prom_secret)})
        ),
    )
    url, got = receiver
    notifier = Notifier(
        [NotifyTarget(kind="webhook", name="plain", url=Secret(url), events=("abort_fired",))],
        record=lambda _e: None,
        extra_secrets=inventory_secrets(inventory),
    )
    for event in _placed(_events()[:3]):
        notifier(event)
    notifier(ev.AbortTriggered(rule="no_data: 3", reason=f"query failed: token {prom_secret}"))
    got.wait_for(1)
    notifier.close(WAIT)
    assert prom_secret not in got.raw[0].decode()
    assert got.bodies[0]["detail"] == "query failed: token ********"
