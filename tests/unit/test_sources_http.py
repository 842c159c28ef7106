"""The HTTP probe against a real HTTP server on 127.0.0.1 (status, latency, timeouts, body)."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gameday.adapters.http_probe import HttpSource, Outcome, percentile, summarize
from gameday.core.formats.probes import Probe
from tests.unit.quiet_http import QuietHandler, serving


class _Handler(QuietHandler):
    hits = 0

    def do_GET(self) -> None:
        type(self).hits += 1
        parts = urlsplit(self.path)
        query = parse_qs(parts.query)
        if parts.path == "/slow":
            time.sleep(int(query["ms"][0]) / 1000)
        if parts.path.startswith("/status/"):
            self.reply(int(parts.path.rsplit("/", 1)[1]), b"status page")
        elif parts.path == "/hang":
            time.sleep(3)
            self.reply(200, b"late")
        elif parts.path == "/drip":
            self.drip(30, 0.1)
        elif parts.path == "/redirect":
            self.send_response(301)
            self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.reply(200, b"hello: service is healthy")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(_Handler) as url:
        yield url


def _probe(url: str, **kw: object) -> Probe:
    return Probe(name="web", kind="http", url=url, **kw)  # type: ignore[arg-type]


def _sample(probe: Probe) -> tuple[float | None, str, float]:
    source = HttpSource(probe)
    started = time.monotonic()
    reading = source.sample()
    elapsed = time.monotonic() - started
    source.close()
    return reading.value, reading.detail, elapsed


def test_healthy_endpoint_has_no_errors(server: str) -> None:
    value, detail, _ = _sample(_probe(f"{server}/ok", measure="error_ratio"))
    assert value == 0.0
    assert detail.startswith("3/3 ok")


def test_sends_the_configured_number_of_requests(server: str) -> None:
    before = _Handler.hits
    _sample(_probe(f"{server}/ok", requests=5))
    assert _Handler.hits - before == 5


def test_unexpected_status_is_an_error(server: str) -> None:
    value, detail, _ = _sample(_probe(f"{server}/status/503", measure="error_ratio"))
    assert value == 100.0
    assert "3× HTTP 503" in detail


def test_expected_status_list_is_honoured(server: str) -> None:
    probe = _probe(f"{server}/status/204", measure="error_ratio", expect_status=(200, 204))
    assert _sample(probe)[0] == 0.0


def test_redirects_are_not_followed(server: str) -> None:
    value, detail, _ = _sample(_probe(f"{server}/redirect", measure="error_ratio"))
    assert value == 100.0
    assert "HTTP 301" in detail
    assert (
        _sample(_probe(f"{server}/redirect", measure="error_ratio", expect_status=(301,)))[0] == 0.0
    )


def test_slow_endpoint_shows_in_latency(server: str) -> None:
    value, _, _ = _sample(_probe(f"{server}/slow?ms=300", measure="latency_p95", timeout=2.0))
    assert value is not None
    assert 290 <= value < 1500


def test_fast_endpoint_latency_is_small(server: str) -> None:
    value, _, _ = _sample(_probe(f"{server}/ok", measure="latency_p50"))
    assert value is not None
    assert 0 < value < 250


def test_hanging_endpoint_times_out_within_the_probe_timeout(server: str) -> None:
    value, detail, elapsed = _sample(_probe(f"{server}/hang", measure="error_ratio", timeout=0.5))
    assert value == 100.0
    assert "timeout" in detail
    assert elapsed < 0.5 + 0.5


def test_timeouts_count_as_the_timeout_in_latency_never_as_fast(server: str) -> None:
    value, _, _ = _sample(_probe(f"{server}/hang", measure="latency_p95", timeout=0.5))
    assert value == 500.0


def test_trickling_body_is_bounded_by_the_timeout(server: str) -> None:
    value, detail, elapsed = _sample(_probe(f"{server}/drip", measure="error_ratio", timeout=0.5))
    assert value == 100.0
    assert "timeout" in detail
    assert elapsed < 0.5 + 0.5


def test_body_match(server: str) -> None:
    ok = _probe(f"{server}/ok", measure="error_ratio", body_contains="healthy")
    bad = _probe(f"{server}/ok", measure="error_ratio", body_contains="unhealthy")
    assert _sample(ok)[0] == 0.0
    value, detail, _ = _sample(bad)
    assert value == 100.0
    assert "body did not match" in detail


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/"


def test_refused_connection_is_full_error_ratio() -> None:
    value, detail, elapsed = _sample(_probe(_closed_port_url(), measure="error_ratio"))
    assert value == 100.0
    assert "connection refused" in detail.lower()
    assert elapsed < 1.0


def test_refused_connection_has_no_latency_data() -> None:
    value, detail, _ = _sample(_probe(_closed_port_url(), measure="latency_p95"))
    assert value is None
    assert "0/3 ok" in detail


def test_bad_measure_or_url_is_refused_at_construction() -> None:
    with pytest.raises(ValueError, match="measure"):
        HttpSource(_probe("http://127.0.0.1/", measure="latency_p99"))
    with pytest.raises(ValueError, match="http://"):
        HttpSource(_probe("ftp://127.0.0.1/"))


def test_closed_source_gives_no_data(server: str) -> None:
    source = HttpSource(_probe(f"{server}/ok"))
    source.close()
    assert source.sample().value is None


# -- the arithmetic -----------------------------------------------------------------------------


def test_summary_of_mixed_outcomes() -> None:
    outcomes = [Outcome(True, 10.0), Outcome(True, 30.0), Outcome(False, 20.0, "HTTP 500")]
    assert summarize(outcomes, "error_ratio").value == pytest.approx(100 / 3)
    assert summarize(outcomes, "latency_p50").value == 20.0
    assert summarize(outcomes, "latency_p95").value == 30.0
    assert summarize(outcomes, "latency_max").value == 30.0
    assert summarize(outcomes, "latency_p95").detail == "2/3 ok; 1× HTTP 500; p50 20 ms, p95 30 ms"


@given(st.lists(st.floats(0, 1e6), min_size=1, max_size=50), st.floats(0, 100))
def test_percentile_is_a_member_between_min_and_max(values: list[float], q: float) -> None:
    ordered = sorted(values)
    result = percentile(ordered, q)
    assert result in ordered
    # nearest rank: at least q% of the values are <= the result
    assert sum(v <= result for v in ordered) >= q / 100 * len(ordered)


@given(st.lists(st.booleans(), min_size=1, max_size=20))
def test_error_ratio_is_the_percentage_of_failures(oks: list[bool]) -> None:
    outcomes = [Outcome(ok, 1.0, "" if ok else "HTTP 500") for ok in oks]
    value = summarize(outcomes, "error_ratio").value
    assert value == pytest.approx(100.0 * oks.count(False) / len(oks))
