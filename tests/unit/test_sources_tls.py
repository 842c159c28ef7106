"""TLS: a self-signed HTTPS endpoint on 127.0.0.1 is refused unless the inventory says so."""

from __future__ import annotations

import datetime
import ipaddress
import json
import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from gameday.adapters.http_probe import HttpSource
from gameday.adapters.prometheus import PrometheusSource
from gameday.core.formats.inventory import PrometheusConfig
from gameday.core.formats.probes import Probe
from tests.unit.quiet_http import QuietHandler, serving


def _self_signed(directory: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = directory / "cert.pem", directory / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


class _Handler(QuietHandler):
    def do_GET(self) -> None:
        body = {"status": "success", "data": {"resultType": "scalar", "result": [1, "2"]}}
        self.reply(200, json.dumps(body).encode(), "application/json")


@pytest.fixture(scope="module")
def https_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    cert_file, key_file = _self_signed(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)
    with serving(_Handler, tls=context) as url:
        yield url


def _prometheus(url: str, verify_tls: bool) -> PrometheusSource:
    probe = Probe(name="p", kind="prometheus", query="x", timeout=2.0)
    return PrometheusSource(probe, PrometheusConfig(url=url, verify_tls=verify_tls))


def test_untrusted_certificate_is_no_data_with_the_reason(https_url: str) -> None:
    source = _prometheus(https_url, verify_tls=True)
    reading = source.sample()
    source.close()
    assert reading.value is None
    assert "TLS certificate not trusted (self-signed certificate)" in reading.detail
    assert "verify_tls" in reading.detail


def test_verify_tls_false_accepts_a_self_signed_prometheus(https_url: str) -> None:
    source = _prometheus(https_url, verify_tls=False)
    reading = source.sample()
    source.close()
    assert reading.value == 2.0


def test_http_probe_verifies_certificates(https_url: str) -> None:
    probe = Probe(name="h", kind="http", url=f"{https_url}/", measure="error_ratio", timeout=2.0)
    source = HttpSource(probe)
    reading = source.sample()
    source.close()
    assert reading.value == 100.0
    assert "TLS certificate not trusted (self-signed certificate)" in reading.detail
