"""The findings read a journal's probe samples straight into columns: the document must be the
same as when every line is rebuilt as an event, whatever the journal's lines look like."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gameday.core.findings.build import (
    build_findings,
    findings_from_file,
    render_json,
    render_markdown,
)
from gameday.core.session.journal import read_journal
from gameday.core.session.samples import _other_lines, read_for_findings

GOLDEN = Path(__file__).resolve().parents[1] / "golden" / "findings"
WITH_SAMPLES = sorted(
    p.stem for p in GOLDEN.glob("*.jsonl") if b'"probe_sampled"' in p.read_bytes()
)


def _documents(path: Path) -> tuple[tuple[str, str], tuple[str, str]]:
    """(markdown, json) the lean way and the plain way."""
    lean = findings_from_file(path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    plain = build_findings(read_journal(path), digest)
    return (
        (render_markdown(lean), json.dumps(render_json(lean))),
        (render_markdown(plain), json.dumps(render_json(plain))),
    )


@pytest.mark.parametrize("name", WITH_SAMPLES)
def test_the_lean_reading_gives_the_same_document(name: str) -> None:
    path = GOLDEN / f"{name}.jsonl"
    lean, plain = _documents(path)
    assert lean == plain
    journal, _, samples = read_for_findings(path)
    every = read_journal(path).events
    assert samples.count == sum(1 for e in every if e.type == "probe_sampled")
    assert not any(e.type == "probe_sampled" for e in journal.events)


def _rewrite(tmp_path: Path, change: object) -> Path:
    lines = (GOLDEN / "deviated.jsonl").read_text().splitlines(keepends=True)
    target = tmp_path / "deviated.jsonl"
    target.write_text("".join(change(lines)))  # type: ignore[operator]
    return target


def _sample_indexes(lines: list[str]) -> list[int]:
    return [i for i, line in enumerate(lines) if '"probe_sampled"' in line]


def _int_value(lines: list[str]) -> list[str]:
    i = _sample_indexes(lines)[3]
    body = json.loads(lines[i])
    body["value"] = 3
    lines[i] = json.dumps(body, separators=(",", ":")) + "\n"
    return lines


def _keys_reordered(lines: list[str]) -> list[str]:
    i = _sample_indexes(lines)[5]
    body = json.loads(lines[i])
    lines[i] = json.dumps(dict(reversed(body.items())), separators=(",", ":")) + "\n"
    return lines


def _one_poll_short(lines: list[str]) -> list[str]:
    del lines[_sample_indexes(lines)[7]]
    return lines


def _torn_sample(lines: list[str]) -> list[str]:
    last = _sample_indexes(lines)[-1]
    return [*lines[:last], lines[last][:40]]


def _no_data(lines: list[str]) -> list[str]:
    i = _sample_indexes(lines)[9]
    body = json.loads(lines[i])
    body["value"], body["ok"] = None, None
    lines[i] = json.dumps(body, separators=(",", ":")) + "\n"
    return lines


@pytest.mark.parametrize(
    "change", [_int_value, _keys_reordered, _one_poll_short, _torn_sample, _no_data]
)
def test_any_journal_gives_the_same_document_both_ways(tmp_path: Path, change: object) -> None:
    path = _rewrite(tmp_path, change)
    lean, plain = _documents(path)
    assert lean == plain


def test_an_integer_value_stays_an_integer(tmp_path: Path) -> None:
    path = _rewrite(tmp_path, _int_value)
    _, _, samples = read_for_findings(path)
    values = [v for series in samples.by_probe.values() for v in series.value]
    assert 3 in values and any(type(v) is int for v in values)


@settings(max_examples=300)
@given(
    st.lists(
        st.sampled_from([b'{"type":"probe_sampled","seq":1}', b'{"type":"note_added"}', b"", b"x"]),
        max_size=12,
    ),
    st.booleans(),
)
def test_the_lines_kept_beside_the_samples_are_every_other_line_in_order(
    lines: list[bytes], ends_with_newline: bool
) -> None:
    raw = b"\n".join(lines) + (b"\n" if ends_with_newline else b"")
    marker = b'{"type":"probe_sampled"'
    expected = b"\n".join(line for line in raw.split(b"\n") if not line.startswith(marker))
    assert _other_lines(raw, marker) == expected
