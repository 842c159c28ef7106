"""The Prometheus source against a real Prometheus server on loopback that scrapes itself."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, Gauge, start_http_server

from gameday.adapters.prometheus import PrometheusSource
from gameday.core.formats.inventory import PrometheusConfig, Secret
from gameday.core.formats.probes import Probe

PROMETHEUS = Path("/usr/bin/prometheus")

pytestmark = [
    pytest.mark.lab,
    pytest.mark.skipif(not PROMETHEUS.exists(), reason="needs /usr/bin/prometheus"),
]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _query_has_data(url: str) -> bool:
    """True once both scrape targets have been scraped at least once."""
    query = urllib.parse.quote('count(queue_depth) + count(up{job="self"})')
    try:
        with urllib.request.urlopen(f"{url}/api/v1/query?query={query}", timeout=1) as response:
            return b'"value"' in response.read()
    except OSError:
        return False


@pytest.fixture(scope="module")
def exporter_port() -> Iterator[int]:
    """A tiny exporter: `queue_depth{queue="a"} 42.5` and `queue_depth{queue="b"} 7`."""
    registry = CollectorRegistry()
    depth = Gauge("queue_depth", "Jobs waiting.", ["queue"], registry=registry)
    depth.labels("a").set(42.5)
    depth.labels("b").set(7)
    port = _free_port()
    server, thread = start_http_server(port, addr="127.0.0.1", registry=registry)
    try:
        yield port
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture(scope="module")
def prometheus_url(tmp_path_factory: pytest.TempPathFactory, exporter_port: int) -> Iterator[str]:
    workdir = tmp_path_factory.mktemp("prometheus")
    port = _free_port()
    config = workdir / "prometheus.yml"
    config.write_text(
        "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
        "scrape_configs:\n"
        "  - job_name: self\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{port}']}}]\n"
        "  - job_name: app\n"
        f"    static_configs: [{{targets: ['127.0.0.1:{exporter_port}']}}]\n"
    )
    log = (workdir / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            str(PROMETHEUS),
            f"--config.file={config}",
            f"--storage.tsdb.path={workdir / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while not _query_has_data(url):
            if proc.poll() is not None:
                pytest.fail(f"prometheus exited: {(workdir / 'prometheus.log').read_text()[-800:]}")
            if time.monotonic() > deadline:
                pytest.fail("prometheus had no data for `up` within 30 s")
            time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def _source(url: str, query: str, timeout: float = 2.0, **headers: str) -> PrometheusSource:
    config = PrometheusConfig(url=url, headers={k: Secret(v) for k, v in headers.items()})
    return PrometheusSource(
        Probe(name="p", kind="prometheus", query=query, timeout=timeout), config
    )


def test_single_series_query_gives_its_value(prometheus_url: str) -> None:
    source = _source(prometheus_url, 'up{job="self"}')
    try:
        reading = source.sample()
    finally:
        source.close()
    assert reading.value == 1.0, reading.detail


def test_exporter_value_is_read_exactly(prometheus_url: str) -> None:
    source = _source(prometheus_url, 'queue_depth{queue="a"}')
    assert source.sample().value == 42.5
    source.close()


def test_aggregated_series_give_one_value(prometheus_url: str) -> None:
    source = _source(prometheus_url, "sum(queue_depth)")
    assert source.sample().value == 49.5
    source.close()


def test_series_of_one_metric_are_refused_unaggregated(prometheus_url: str) -> None:
    source = _source(prometheus_url, "queue_depth")
    reading = source.sample()
    source.close()
    assert (reading.value, reading.detail) == (
        None,
        "query returned 2 series; aggregate it (e.g. sum(...))",
    )


def test_scalar_arithmetic_gives_its_value(prometheus_url: str) -> None:
    source = _source(prometheus_url, "sum(up) * 100")
    assert source.sample().value == 200.0
    source.close()


def test_empty_result_is_no_data(prometheus_url: str) -> None:
    source = _source(prometheus_url, 'up{job="no-such-job"}')
    reading = source.sample()
    source.close()
    assert reading.value is None
    assert reading.detail == "empty result"


def test_nan_is_no_data(prometheus_url: str) -> None:
    source = _source(prometheus_url, "0/0")
    reading = source.sample()
    source.close()
    assert reading.value is None
    assert reading.detail == "NaN"


def test_nan_inside_a_vector_is_no_data(prometheus_url: str) -> None:
    source = _source(prometheus_url, "sum(up) * 0 / 0")
    reading = source.sample()
    source.close()
    assert (reading.value, reading.detail) == (None, "NaN")


def test_several_series_are_refused_with_a_hint_to_aggregate(prometheus_url: str) -> None:
    source = _source(prometheus_url, '{__name__=~"up|scrape_samples_scraped", job="self"}')
    reading = source.sample()
    source.close()
    assert reading.value is None
    assert reading.detail == "query returned 2 series; aggregate it (e.g. sum(...))"


def test_bad_promql_is_no_data_with_prometheus_error(prometheus_url: str) -> None:
    source = _source(prometheus_url, "sum(up")
    reading = source.sample()
    source.close()
    assert reading.value is None
    assert reading.detail.startswith("query refused:")
    assert "parse error" in reading.detail


def test_range_vector_is_refused(prometheus_url: str) -> None:
    source = _source(prometheus_url, "up[1m]")
    reading = source.sample()
    source.close()
    assert reading.value is None
    assert "range vector" in reading.detail


def test_header_secret_is_sent_and_never_shown(prometheus_url: str) -> None:
    token = "s3cr3t-token-value"
    source = _source(prometheus_url, "sum(up", Authorization=f"Bearer {token}")
    reading = source.sample()
    assert reading.value is None
    assert token not in reading.detail
    assert token not in repr(source)
    source.close()


def test_unreachable_prometheus_is_no_data_quickly() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    source = _source(url, "up", timeout=2.0)
    started = time.monotonic()
    reading = source.sample()
    elapsed = time.monotonic() - started
    source.close()
    assert reading.value is None
    assert "cannot reach Prometheus" in reading.detail
    assert "refused" in reading.detail
    assert elapsed < 1.0


def test_samples_are_fast_enough_for_a_one_second_interval(prometheus_url: str) -> None:
    source = _source(prometheus_url, "sum(rate(prometheus_http_requests_total[30s]))")
    started = time.monotonic()
    readings = [source.sample() for _ in range(20)]
    elapsed = time.monotonic() - started
    source.close()
    assert all(r.detail in ("", "empty result") for r in readings)
    assert elapsed < 2.0
