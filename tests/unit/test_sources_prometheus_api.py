"""The Prometheus source's edges, against small real HTTP servers on 127.0.0.1 that are not
Prometheus: proxies answering errors, a slow server, a trickling one, header secrets."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import ClassVar
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gameday.adapters.prometheus import PrometheusSource, interpret_result, redact_url, scrub
from gameday.core.formats.inventory import PrometheusConfig, Secret
from gameday.core.formats.probes import Probe
from tests.unit.quiet_http import QuietHandler, serving

TOKEN = "tok-9f8e7d6c5b4a"


class _Handler(QuietHandler):
    seen: ClassVar[list[dict[str, str]]] = []

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, **dict(self.headers.items())})
        query = parse_qs(urlsplit(self.path).query).get("query", [""])[0]
        if query == "echo-auth":  # a proxy that prints the request back in its error page
            self.reply(
                401, f"denied for {self.headers.get('Authorization')}".encode(), "text/plain"
            )
        elif query == "bad-gateway":
            self.reply(502, b"<html><body>502 Bad Gateway</body></html>", "text/html")
        elif query == "html":
            self.reply(200, b"<html>login page</html>", "text/html")
        elif query == "hang":
            time.sleep(3)
            self.reply(200, b"{}", "application/json")
        elif query == "drip":
            self.drip(25, 0.1)
        else:
            body = {"status": "success", "data": {"resultType": "scalar", "result": [1, "3.5"]}}
            self.reply(200, json.dumps(body).encode(), "application/json")


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    with serving(_Handler) as url:
        yield url


def _source(url: str, query: str, timeout: float = 1.0) -> PrometheusSource:
    config = PrometheusConfig(url=url, headers={"Authorization": Secret(f"Bearer {TOKEN}")})
    return PrometheusSource(
        Probe(name="p", kind="prometheus", query=query, timeout=timeout), config
    )


def test_headers_are_sent_and_a_value_is_read(server: str) -> None:
    source = _source(server, "ok")
    assert source.sample().value == 3.5
    source.close()
    assert _Handler.seen[-1]["Authorization"] == f"Bearer {TOKEN}"
    assert "timeout=1s" in _Handler.seen[-1]["path"]


def test_secret_echoed_by_a_proxy_is_scrubbed(server: str) -> None:
    source = _source(server, "echo-auth")
    reading = source.sample()
    source.close()
    assert reading.value is None
    assert "HTTP 401" in reading.detail
    assert TOKEN not in reading.detail
    assert "********" in reading.detail


def test_error_page_is_reported_once_without_retries(server: str) -> None:
    before = len(_Handler.seen)
    source = _source(server, "bad-gateway")
    reading = source.sample()
    source.close()
    assert reading.value is None
    assert reading.detail.startswith("HTTP 502 from Prometheus")
    assert len(_Handler.seen) - before == 1


def test_a_login_page_is_not_a_prometheus_answer(server: str) -> None:
    source = _source(server, "html")
    reading = source.sample()
    source.close()
    assert reading.value is None
    assert "not a Prometheus API answer" in reading.detail


def test_slow_server_is_no_data_within_the_timeout(server: str) -> None:
    source = _source(server, "hang", timeout=0.5)
    started = time.monotonic()
    reading = source.sample()
    elapsed = time.monotonic() - started
    source.close()
    assert reading.value is None
    assert "0.5s" in reading.detail
    assert elapsed < 0.5 + 0.5


def test_trickling_server_is_bounded_and_polls_never_pile_up(server: str) -> None:
    source = _source(server, "drip", timeout=0.5)
    started = time.monotonic()
    first = source.sample()
    assert time.monotonic() - started < 0.5 + 0.5
    assert first.value is None
    before = len(_Handler.seen)
    second = source.sample()  # the first query is still trickling: no second request is sent
    source.close()
    assert second == first.__class__(None, "previous sample still running")
    assert len(_Handler.seen) == before


def test_password_in_the_url_is_never_shown() -> None:
    assert redact_url("http://admin:hunter22@prom:9090/x") == "http://prom:9090/x"
    source = _source("http://admin:hunter22@127.0.0.1:1", "up")
    reading = source.sample()
    source.close()
    assert "hunter22" not in reading.detail + repr(source)


# -- interpreting data.result ---------------------------------------------------------------------


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_one_series_gives_its_finite_value(value: float) -> None:
    reading = interpret_result([{"metric": {}, "value": [1700000000.0, repr(value)]}])
    assert reading.value == value


@pytest.mark.parametrize(
    ("result", "detail"),
    [
        ([], "empty result"),
        ([{"metric": {}, "value": [1, "NaN"]}], "NaN"),
        ([{"metric": {}, "value": [1, "+Inf"]}], "+Inf"),
        ([1, "-Inf"], "-Inf"),
        ([1, "hello"], "not a number: 'hello'"),
        (
            [{"metric": {"a": "1"}, "value": [1, "1"]}, {"metric": {"a": "2"}, "value": [1, "2"]}],
            "query returned 2 series; aggregate it (e.g. sum(...))",
        ),
        (
            [{"metric": {}, "values": [[1, "1"]]}],
            "query returned a range vector; use an instant query",
        ),
        ({"oops": 1}, "not a Prometheus API answer"),
    ],
)
def test_anything_but_one_finite_number_is_no_data(result: object, detail: str) -> None:
    assert interpret_result(result) == interpret_result(result).__class__(None, detail)


def test_scalar_result_gives_its_value() -> None:
    assert interpret_result([1700000000.0, "12.5"]).value == 12.5


_TEXT = st.text(alphabet="abcdefgh XYZ:=/", max_size=60)


@given(st.lists(st.text(alphabet="abcdefgh", min_size=4, max_size=12), max_size=4), _TEXT, _TEXT)
def test_no_secret_survives_scrubbing(secrets: list[str], before: str, after: str) -> None:
    text = before + "".join(secrets) + after + (secrets[0] if secrets else "")
    ordered = sorted(set(secrets), key=len, reverse=True)
    cleaned = scrub(text, ordered)
    for secret in secrets:
        assert secret not in cleaned
