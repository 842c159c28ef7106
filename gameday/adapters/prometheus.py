"""PromQL instant queries through prometheus-api-client: one probe, one number, or no data.

What counts as a value: an instant vector with exactly one series, or a scalar, whose value is a
finite number. Everything else is *no data* with a reason, never a pass:
- no series at all: "empty result"
- NaN / ±Inf: "NaN" / "+Inf" / "-Inf"
- several series: "query returned N series; aggregate it (e.g. sum(...))"
- a range vector or a string: says so
- Prometheus refused the query (bad PromQL, timeout): its own error text
- Prometheus unreachable, slow, or not Prometheus: the reason, in a sentence

Secrets: header values (a bearer token) and any password in the URL never appear in a detail,
a repr or an error text; every detail is scrubbed of them before it leaves this module.
"""

from __future__ import annotations

import json
import math
import ssl
import urllib.parse
from collections.abc import Iterable
from typing import Any

import requests
from prometheus_api_client import PrometheusConnect
from prometheus_api_client.exceptions import PrometheusApiClientException
from urllib3.util.retry import Retry

from gameday.adapters.bounded import BoundedSampler
from gameday.core.formats.inventory import PrometheusConfig
from gameday.core.formats.probes import Probe
from gameday.engine.ports import Reading

_MAX_DETAIL = 200


class PrometheusSource:
    """A `MetricSource` for a `prometheus:` probe. Each sample is one `/api/v1/query` call."""

    def __init__(self, probe: Probe, config: PrometheusConfig) -> None:
        """Raises ValueError when the configured URL cannot be a Prometheus URL."""
        _check_url(config.url)
        self.name = probe.name
        self._query = probe.query
        self._timeout = probe.timeout
        self._secrets = _secret_values(config)
        self._shown_url = redact_url(config.url)
        self._last_response: tuple[int, bytes] | None = None
        session = requests.Session()
        session.trust_env = False  # no proxies or netrc from the environment: faster, no surprises
        session.verify = config.verify_tls
        session.hooks["response"].append(self._remember_response)
        if not config.verify_tls:
            import urllib3

            urllib3.disable_warnings(urllib3.exceptions.InsecureRequestWarning)
        self._client = PrometheusConnect(
            url=config.url.rstrip("/"),
            headers={key: secret.reveal() for key, secret in config.headers.items()},
            disable_ssl=not config.verify_tls,
            # retries with backoff would blow the probe's timeout; the next poll is the retry
            retry=Retry(total=0, read=False, raise_on_status=False),
            session=session,
            timeout=self._timeout,
        )
        self._sampler = BoundedSampler(self.name, self._sample_once, self._timeout)

    def __repr__(self) -> str:
        return f"PrometheusSource(name={self.name!r}, url={self._shown_url!r})"

    def sample(self) -> Reading:
        """One instant query; returns within the probe's timeout (+0.25 s), never raises."""
        reading = self._sampler.sample()
        return Reading(reading.value, self._scrub(reading.detail))

    def close(self) -> None:
        self._sampler.close()
        try:
            self._client.close()
        except Exception:  # closing must never raise
            return

    def _sample_once(self) -> Reading:
        self._last_response = None
        try:
            result = self._client.custom_query(
                self._query,
                params={"timeout": f"{self._timeout:g}s"},
                timeout=self._timeout,
            )
        except requests.exceptions.InvalidJSONError:
            return Reading(None, f"not a Prometheus API answer from {self._shown_url}")
        except requests.exceptions.RequestException as exc:
            if _timed_out(exc):
                return Reading(None, f"no answer from Prometheus within {self._timeout:g}s")
            return Reading(None, f"cannot reach Prometheus at {self._shown_url}: {_cause(exc)}")
        except PrometheusApiClientException:
            return Reading(None, self._refusal())
        except (ValueError, KeyError, TypeError):
            return Reading(None, f"not a Prometheus API answer from {self._shown_url}")
        return interpret_result(result)

    def _remember_response(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        self._last_response = (response.status_code, response.content[:4096])

    def _refusal(self) -> str:
        """What Prometheus (or a proxy before it) said when it did not answer 200."""
        if self._last_response is None:
            return "Prometheus refused the query"
        status, body = self._last_response
        try:
            payload = json.loads(body)
            error = str(payload["error"])
            kind = str(payload.get("errorType", ""))
        except (ValueError, KeyError, TypeError):
            text = body.decode("utf-8", "replace").strip().splitlines()
            first = text[0] if text else "no body"
            hint = " (check the inventory's prometheus headers)" if status in (401, 403) else ""
            return f"HTTP {status} from Prometheus{hint}: {first}"
        prefix = "query refused" if status == 400 else f"query failed ({kind or status})"
        return f"{prefix}: {error}"

    def _scrub(self, text: str) -> str:
        return scrub(text, self._secrets)[:_MAX_DETAIL]


def interpret_result(result: object) -> Reading:
    """Turn `custom_query`'s `data.result` into a Reading (see the module docstring)."""
    if not isinstance(result, list):
        return Reading(None, "not a Prometheus API answer")
    if len(result) == 2 and not isinstance(result[0], dict):  # scalar or string: [time, "value"]
        return _number(result[1])
    if not result:
        return Reading(None, "empty result")
    if not all(isinstance(item, dict) for item in result):
        return Reading(None, "not a Prometheus API answer")
    if any("values" in series for series in result):
        return Reading(None, "query returned a range vector; use an instant query")
    if len(result) > 1:
        return Reading(None, f"query returned {len(result)} series; aggregate it (e.g. sum(...))")
    value = result[0].get("value")
    if isinstance(value, list) and len(value) == 2:
        return _number(value[1])
    return Reading(None, "not a Prometheus API answer")


def _number(text: object) -> Reading:
    try:
        value = float(str(text))
    except ValueError:
        return Reading(None, f"not a number: {str(text)[:40]!r}")
    if math.isnan(value):
        return Reading(None, "NaN")
    if math.isinf(value):
        return Reading(None, "+Inf" if value > 0 else "-Inf")
    return Reading(value, "")


def _check_url(url: str) -> None:
    try:
        parts = urllib.parse.urlsplit(url)
        parts.port  # noqa: B018 - parsing the port is the check
    except ValueError:
        raise ValueError("the inventory's prometheus url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"the inventory's prometheus url must be http://HOST:PORT or https://...: "
            f"{redact_url(url)!r}"
        )


def redact_url(url: str) -> str:
    """The URL without any user:password part (it is shown in details)."""
    try:
        parts = urllib.parse.urlsplit(url)
    except ValueError:
        return "<invalid url>"
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def scrub(text: str, secrets: Iterable[str]) -> str:
    """`text` with every secret value replaced by asterisks."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "********")
    return text


def _secret_values(config: PrometheusConfig) -> tuple[str, ...]:
    values = [secret.reveal() for secret in config.headers.values()]
    # a header like "Bearer abc" may be echoed as just "abc": scrub the token part too
    values += [v.split(None, 1)[1] for v in values if len(v.split(None, 1)) == 2]
    try:
        password = urllib.parse.urlsplit(config.url).password
    except ValueError:
        password = None
    if password:
        values.append(password)
    # longest first, so a token is not half-replaced by a shorter secret inside it
    return tuple(sorted({v for v in values if len(v) >= 4}, key=len, reverse=True))


def _chain(exc: BaseException) -> list[BaseException]:
    """`exc` and the errors it wraps (requests → urllib3 → socket), outermost first."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and all(current is not seen for seen in chain) and len(chain) < 10:
        chain.append(current)
        nested = current.args[0] if current.args else None
        inner = getattr(current, "reason", None) or (
            nested if isinstance(nested, BaseException) else None
        )
        current = inner if isinstance(inner, BaseException) else current.__cause__
    return chain


def _timed_out(exc: BaseException) -> bool:
    return any(
        isinstance(e, TimeoutError | requests.exceptions.Timeout)
        or type(e).__name__ in ("ReadTimeoutError", "ConnectTimeoutError")
        for e in _chain(exc)
    )


def _cause(exc: BaseException) -> str:
    """The innermost reason of a requests error, e.g. 'connection refused'."""
    reason = ""
    for current in _chain(exc):
        if isinstance(current, ssl.SSLCertVerificationError):
            why = current.verify_message or "verification failed"
            return f"TLS certificate not trusted ({why}); see the inventory's prometheus verify_tls"
        if isinstance(current, OSError) and current.strerror:
            reason = current.strerror
    if reason:
        return reason[0].lower() + reason[1:]
    if isinstance(exc, requests.exceptions.SSLError):
        return "TLS error (certificate not trusted? see the inventory's prometheus verify_tls)"
    return type(exc).__name__
