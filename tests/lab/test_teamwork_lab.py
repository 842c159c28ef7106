"""A GameDay as a team and a pipeline see it, against the real lab: a session that aborts,
told to a local receiver (generic webhook, Slack-shaped webhook, `--notify URL`), reported as
JUnit, then listed by `gameday sessions`; the inventory's secrets appear in no output."""

from __future__ import annotations

import json
import subprocess
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
import yaml

from gameday.core.notify import slack_problems
from gameday.lab import LabInfo
from tests.lab.support import GAMEDAY, headless_run, long_partition, partition_abort, wait_until

pytestmark = [pytest.mark.lab, pytest.mark.slow]

HEADER_SECRET = "hdr-7a1c0ffee9d2b4"
SLACK_SECRET = "slackpath9q8w7e6r"
PROM_SECRET = "prom-5e4d3c2b1a"
SCENARIO = partition_abort("lab-team-abort")


class Receiver:
    def __init__(self) -> None:
        self.posts: list[tuple[str, dict[str, str], bytes]] = []
        self.lock = threading.Lock()

    def bodies(self, path: str) -> list[dict[str, object]]:
        with self.lock:
            return [json.loads(body) for p, _h, body in self.posts if p == path]


@pytest.fixture
def receiver() -> Iterator[tuple[str, Receiver]]:
    got = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with got.lock:
                got.posts.append((self.path, dict(self.headers.items()), body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", got
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


def _inventory(lab: LabInfo, tmp_path: Path, url: str) -> Path:
    document = yaml.safe_load(Path(lab.inventory).read_text())
    document["prometheus"]["headers"] = {"X-Lab-Token": PROM_SECRET}
    document["notify"] = [
        {
            "kind": "webhook",
            "name": "team-hook",
            "url": f"{url}/hook",
            "headers": {"Authorization": f"Bearer {HEADER_SECRET}"},
        },
        {
            "kind": "slack",
            "url": f"{url}/services/T1/B2/{SLACK_SECRET}",
            "events": ["session_started", "abort_fired", "session_ended"],
        },
    ]
    path = tmp_path / "inventory.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False))
    return path


def test_an_aborted_session_is_told_reported_and_listed(
    lab: LabInfo, tmp_path: Path, receiver: tuple[str, Receiver]
) -> None:
    url, got = receiver
    scenario = tmp_path / "team.yaml"
    scenario.write_text(SCENARIO)
    journals = tmp_path / "journals"
    report = tmp_path / "report.xml"
    inventory = _inventory(lab, tmp_path, url)
    argv = [
        *GAMEDAY, "run", str(scenario), "-i", str(inventory), "--headless", "--yes", "--json",
        "--journal-dir", str(journals), "--junit", str(report), "--notify", f"{url}/cli",
        "--participant", "alice:owner", "--participant", "bob:coordinator",
    ]  # fmt: skip
    run = subprocess.run(argv, capture_output=True, text=True, timeout=240, check=False)
    assert run.returncode == 3, run.stdout + run.stderr

    # --json: stdout is JSON lines only; the JUnit path is said on stderr.
    events = [json.loads(line) for line in run.stdout.splitlines()]
    assert f"junit: {report}" in run.stderr
    assert not [e for e in events if e["type"] == "notification_failed"]

    hook = [b["event"] for b in got.bodies("/hook")]
    assert hook[0] == "session_started" and hook[-1] == "session_ended"
    assert "abort_fired" in hook
    assert [b["event"] for b in got.bodies("/cli")] == hook
    with got.lock:
        headers = [h for p, h, _b in got.posts if p == "/hook"]
    assert all(h["Authorization"] == f"Bearer {HEADER_SECRET}" for h in headers)
    slack = got.bodies(f"/services/T1/B2/{SLACK_SECRET}")
    assert len(slack) == len([e for e in hook if e != "kill_switch"]) >= 3
    assert all(slack_problems(body) == [] for body in slack)
    ended = got.bodies("/hook")[-1]
    assert ended["facts"]["verdict"] == "aborted"  # type: ignore[index]
    assert "gameday export" in ended["facts"]["findings"]  # type: ignore[index]

    suite = ET.parse(report).getroot().find("testsuite")
    assert suite is not None and suite.get("failures") != "0"
    cases = {c.get("name"): c for c in suite.findall("testcase")}
    aborted = cases["experiment ran to its end"].find("failure")
    assert aborted is not None and aborted.get("type") == "aborted"
    assert cases["every fault reverted and verified"].find("failure") is None

    listed = subprocess.run(
        [*GAMEDAY, "sessions", "--journal-dir", str(journals), "--json"],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip
    (row,) = json.loads(listed.stdout)
    assert (row["verdict"], row["exit_status"], row["running"]) == ("aborted", 3, False)
    assert row["targets"] == ["lab-1"]
    assert row["participants"] == [
        {"name": "alice", "role": "owner"},
        {"name": "bob", "role": "coordinator"},
    ]
    table = subprocess.run(
        [*GAMEDAY, "sessions", "--journal-dir", str(journals)],
        capture_output=True, text=True, timeout=60, check=True,
    )  # fmt: skip

    outputs = [run.stdout, run.stderr, listed.stdout, table.stdout, report.read_text()]
    outputs += [p.read_text() for p in journals.iterdir() if p.suffix == ".jsonl"]
    with got.lock:
        outputs += [body.decode() for _p, _h, body in got.posts]
    for secret in (HEADER_SECRET, SLACK_SECRET, PROM_SECRET):
        assert not [o for o in outputs if secret in o], f"{secret} leaked"


LONG_SCENARIO = long_partition("lab-team-kill", "A long partition that the owner halts")


def _events(journals: Path) -> list[dict[str, object]]:
    found = list(journals.glob("*.jsonl")) if journals.exists() else []
    if not found:
        return []
    lines = found[0].read_text().splitlines()
    return [json.loads(line) for line in lines if line.endswith("}")]


def _kill_switch_latency(lab: LabInfo, tmp_path: Path, name: str, *extra: str) -> float:
    """Run the long scenario, pull the kill switch (SIGTERM) once both faults are in, and
    return the kill switch's own latency as journaled (pull → every host verified)."""
    scenario = tmp_path / f"{name}.yaml"
    scenario.write_text(LONG_SCENARIO)
    journals = tmp_path / name
    argv = headless_run(scenario, lab.inventory, journals, *extra)
    process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(
            lambda: sum(e["type"] == "fault_injected" for e in _events(journals)) == 2,
            60,
            "both faults injected",
        )
        process.terminate()
        assert process.wait(60) == 3
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
    (done,) = [e for e in _events(journals) if e["type"] == "kill_switch_done"]
    assert set(done["hosts"].values()) == {"clean"}  # type: ignore[attr-defined]
    return float(done["latency"])  # type: ignore[arg-type]


def test_receivers_that_hang_or_fail_do_not_slow_the_kill_switch(
    lab: LabInfo, tmp_path: Path
) -> None:
    release = threading.Event()

    class Hanging(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            release.wait(60)

        def log_message(self, *args: object) -> None:
            return

    class Failing(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(500)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    servers = [ThreadingHTTPServer(("127.0.0.1", 0), h) for h in (Hanging, Failing)]
    for server in servers:
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        urls = [f"http://127.0.0.1:{s.server_address[1]}/hook" for s in servers]
        quiet = _kill_switch_latency(lab, tmp_path, "quiet")
        loud = _kill_switch_latency(lab, tmp_path, "loud", "--notify", urls[0], "--notify", urls[1])
    finally:
        release.set()
        for server in servers:
            server.shutdown()
            server.server_close()
    print(
        f"kill switch on 2 lab hosts: {loud * 1000:.0f} ms with a hanging and a failing "
        f"receiver, {quiet * 1000:.0f} ms without"
    )
    assert loud < quiet + 0.25
    failed = [e for e in _events(tmp_path / "loud") if e["type"] == "notification_failed"]
    assert {e["target"] for e in failed} == {"--notify #1", "--notify #2"}
