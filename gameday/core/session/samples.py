"""A journal's probe samples kept apart, as columns per probe, for the findings.

A 4-hour session at 20 probes a second journals ~290 000 `probe_sampled` lines and a few
hundred others. The findings need the samples only as series (statistics, charts, the ladder's
worst values, the recovery time), so `read_for_findings` reads those lines straight into
columns, without building an event object for each, and builds events only for the rest.
Every other part of the findings then scans a few hundred events instead of the whole journal.

The lean reader understands only the exact line the journal writer produces for a sample; when
any `probe_sampled` line differs (an older writer, an escaped string, a bad line), it falls
back to `read_journal` and splits its events: the result is the same, only slower.
"""

from __future__ import annotations

import bisect
import gc
import itertools
import operator
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

from gameday.core.session import events as ev
from gameday.core.session.journal import JournalRead, read_journal, read_journal_bytes
from gameday.errors import InputError


@dataclass
class Series:
    """One probe's samples, in journal order."""

    seq: list[int] = field(default_factory=list)
    ts: list[float] = field(default_factory=list)
    value: list[float | None] = field(default_factory=list)
    ok: list[bool | None] = field(default_factory=list)
    phase: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.seq)


@dataclass
class Samples:
    """Every probe sample of a journal, by probe in the order each was first sampled."""

    by_probe: dict[str, Series] = field(default_factory=dict)
    seqs: list[int] = field(default_factory=list)
    """Every sample's seq, ascending."""
    tss: list[float] = field(default_factory=list)
    """The ts of the sample at the same index of `seqs`."""

    @property
    def count(self) -> int:
        return len(self.seqs)

    def first(self) -> tuple[int, float] | None:
        """(seq, ts) of the journal's first sample."""
        return (self.seqs[0], self.tss[0]) if self.seqs else None

    def last(self) -> tuple[int, float] | None:
        return (self.seqs[-1], self.tss[-1]) if self.seqs else None

    def last_before(self, seq: int) -> tuple[int, float] | None:
        """(seq, ts) of the latest sample journaled before `seq`."""
        i = bisect.bisect_left(self.seqs, seq)
        return (self.seqs[i - 1], self.tss[i - 1]) if i else None

    def any_between(self, low: int, high: int) -> bool:
        """True when a sample was journaled after `low` and before `high` (by seq)."""
        i = bisect.bisect_right(self.seqs, low)
        return i < len(self.seqs) and self.seqs[i] < high


def split_samples(events: Iterable[ev.Event]) -> tuple[tuple[ev.Event, ...], Samples]:
    """The events other than probe samples, and the samples as columns."""
    others: list[ev.Event] = []
    samples = Samples()
    seqs: list[int] = []
    tss: list[float] = []
    for e in events:
        if not isinstance(e, ev.ProbeSampled):
            others.append(e)
            continue
        series = samples.by_probe.get(e.probe)
        if series is None:
            series = samples.by_probe[e.probe] = Series()
        series.seq.append(e.seq)
        series.ts.append(e.ts)
        series.value.append(e.value)
        series.ok.append(e.ok)
        series.phase.append(e.phase)
        seqs.append(e.seq)
        tss.append(e.ts)
    _index(samples, seqs, tss)
    return tuple(others), samples


def _index(samples: Samples, seqs: list[int], tss: list[float]) -> None:
    if not all(map(operator.lt, seqs, itertools.islice(seqs, 1, None))):
        pairs = sorted(zip(seqs, tss, strict=True))
        seqs, tss = [seq for seq, _ in pairs], [ts for _, ts in pairs]
    samples.seqs, samples.tss = seqs, tss


# The writer's exact line for a sample (events.to_json, json.dumps with compact separators).
_NUMBER = rb"-?[0-9]+(?:\.[0-9]+(?:[eE][-+]?[0-9]+)?|[eE][-+]?[0-9]+)"
"""Only a float's form (a `.` or an exponent): a line with an integer is read the slow way,
which keeps it an int as `json` would."""
_SAMPLE = re.compile(
    rb'\{"type":"probe_sampled","seq":([0-9]+),"ts":(' + _NUMBER + rb'),"actor":"system",'
    rb'"probe":"([^"\\\n]*)","value":(' + _NUMBER + rb'|null),"ok":(true|false|null),'
    rb'"phase":"([a-z_]+)","detail":"[^"\\\n]*"\}\n'
)
_OK: dict[bytes, bool | None] = {b"true": True, b"false": False, b"null": None}
_PHASES: dict[bytes, str] = {str(p).encode(): str(p) for p in get_args(ev.Phase)}


def read_for_findings(path: Path | str) -> tuple[JournalRead, bytes, Samples]:
    """The journal's events other than probe samples, its bytes (for the digest) and its
    samples; raises InputError like `read_journal`."""
    name = str(path)
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(name, 0, "", f"cannot read journal: {exc.strerror or exc}") from None
    lean = _lean(name, raw)
    if lean is not None:
        return lean[0], raw, lean[1]
    journal = read_journal(path)
    others, samples = split_samples(journal.events)
    return JournalRead(journal.path, others, journal.torn, journal.skipped), raw, samples


def _lean(name: str, raw: bytes) -> tuple[JournalRead, Samples] | None:
    """None when a sample line is not the writer's exact form (the caller reads it slowly)."""
    marker = b'{"type":"probe_sampled"'
    written = raw.count(b"\n" + marker) + (1 if raw.startswith(marker) else 0)
    if not written or raw.count(b'"probe_sampled"') != written:
        return None  # none, or one not at the start of its line: read it the plain way
    with collector_paused():
        found = _SAMPLE.findall(raw)
        if len(found) != written:
            return None
        columns = _transpose(found)
    if columns is None:
        return None
    try:
        journal = read_journal_bytes(name, _other_lines(raw, marker))
    except InputError:
        return None  # the slow path reports the line number as it is in the file
    return journal, columns


_OTHER_LINE = re.compile(rb'\n(?!\{"type":"probe_sampled")')
"""A newline that does not start a sample line: where one of the few other lines begins."""


def _other_lines(raw: bytes, marker: bytes) -> bytes:
    """The journal without its sample lines, every other line whole and in order (one C-speed
    scan for where they start, instead of splitting ~290 000 lines to keep a few hundred)."""
    starts = [] if raw.startswith(marker) else [0]
    starts += [found.end() for found in _OTHER_LINE.finditer(raw)]
    pieces = []
    for start in starts:
        end = raw.find(b"\n", start)
        pieces.append(raw[start:] if end < 0 else raw[start:end])
    return b"\n".join(pieces)


def _rows(probes: Sequence[bytes]) -> dict[bytes, list[int]]:
    """Each probe's row numbers, the probes in the order they first appear."""
    rows: dict[bytes, list[int]] = {}
    for i, probe in enumerate(probes):
        taken = rows.get(probe)
        if taken is None:
            taken = rows[probe] = []
        taken.append(i)
    return rows


def _picker(index: list[int]) -> Callable[[list[Any]], list[Any]]:
    """A function taking the items at `index` from a column (C-speed for long columns)."""
    if len(index) == 1:
        only = index[0]
        return lambda column: [column[only]]
    get = operator.itemgetter(*index)
    return lambda column: list(get(column))


@contextmanager
def collector_paused() -> Iterator[None]:
    """Hold the garbage collector off while hundreds of thousands of tuples are made: it
    would otherwise walk the growing lists again and again (none of them is a cycle)."""
    was_on = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_on:
            gc.enable()


def _transpose(found: Sequence[tuple[bytes, ...]]) -> Samples | None:
    seqs_b, tss_b, probes_b, values_b, oks_b, phases_b = zip(*found, strict=True)
    seqs = list(map(int, seqs_b))
    tss = list(map(float, tss_b))
    try:
        values: list[float | None] = list(map(float, values_b))
    except ValueError:  # a poll without data: `null`
        values = [None if v == b"null" else float(v) for v in values_b]
    oks = list(map(_OK.__getitem__, oks_b))
    try:
        phases = list(map(_PHASES.__getitem__, phases_b))
    except KeyError:
        return None
    columns: tuple[list[Any], ...] = (seqs, tss, values, oks, phases)
    samples = Samples()
    names = list(dict.fromkeys(probes_b))
    every = len(names)
    if probes_b[every:] == probes_b[:-every]:  # each poll samples every probe in one order
        for offset, probe in enumerate(names):
            picked = [column[offset::every] for column in columns]
            samples.by_probe[probe.decode()] = Series(*picked)
    else:
        for probe, index in _rows(probes_b).items():
            pick = _picker(index)
            samples.by_probe[probe.decode()] = Series(*(pick(column) for column in columns))
    _index(samples, seqs, tss)
    return samples
