"""SSH adapter rules that need no server: error mapping, ~/.ssh/config, ProxyJump parsing,
fingerprints."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import paramiko
import pytest

from gameday.adapters import ssh, ssh_config
from gameday.core.formats.inventory import Host
from gameday.errors import AuthFailed, HostKeyRejected, HostUnreachable, TransportError

TARGET = ssh_config.Endpoint("web-1", "10.0.0.5", 2222, "deploy", ())


def _key() -> paramiko.PKey:
    return paramiko.Ed25519Key.from_private_key_file(str(_keyfile()))


_KEYS: dict[str, Path] = {}


def _keyfile() -> Path:
    if "k" not in _KEYS:
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="gd-key-"))
        path = folder / "k"
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(path)],
            check=True,
            timeout=30,
        )
        _KEYS["k"] = path
    return _KEYS["k"]


def test_fingerprint_matches_ssh_keygen() -> None:
    out = subprocess.run(
        ["ssh-keygen", "-lf", str(_keyfile()) + ".pub"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert ssh_config.fingerprint(_key()) == out.split()[1]


@pytest.mark.parametrize(
    ("error", "mapped", "words"),
    [
        (paramiko.AuthenticationException("Authentication failed."), AuthFailed, "deploy@"),
        (
            paramiko.PasswordRequiredException("private key file is encrypted"),
            AuthFailed,
            "ssh-agent",
        ),
        (
            paramiko.SSHException("Error reading SSH protocol banner"),
            HostUnreachable,
            "does not speak SSH",
        ),
        (paramiko.SSHException("Incompatible ssh peer"), TransportError, "SSH error"),
        (paramiko.SSHException("No existing session"), HostUnreachable, "handshake in time"),
        (paramiko.SSHException("No authentication methods available"), AuthFailed, "no key"),
        (EOFError(), HostUnreachable, "closed the connection"),
        (
            ConnectionResetError(104, "Connection reset by peer"),
            HostUnreachable,
            "closed the connection",
        ),
        (TimeoutError("timed out"), HostUnreachable, "in time"),
        (OSError(113, "No route to host"), HostUnreachable, "No route to host"),
        (ValueError("odd"), TransportError, "ValueError"),
    ],
)
def test_connect_errors_map_to_gameday_errors_naming_the_host(
    error: Exception, mapped: type[TransportError], words: str
) -> None:
    result = ssh._map_connect_error("web-1", TARGET, error)
    assert type(result) is mapped
    assert result.host == "web-1"
    assert words in result.message


def test_changed_key_error_shows_both_fingerprints_and_refuses() -> None:
    offered, known = _key(), paramiko.Ed25519Key.from_private_key_file(str(_keyfile()))
    error = paramiko.BadHostKeyException("10.0.0.5", offered, known)
    result = ssh._map_connect_error("web-1", TARGET, error)
    assert isinstance(result, HostKeyRejected)
    assert "CHANGED" in result.message and ssh_config.fingerprint(offered) in result.message
    assert "[10.0.0.5]:2222" in result.message


def test_unknown_key_policy_refuses_with_fingerprint_and_the_way_to_trust(tmp_path: Path) -> None:
    record = tmp_path / "known_hosts"
    policy = ssh_config.KnownHostsPolicy(TARGET, str(record), trust=False)
    with pytest.raises(HostKeyRejected) as caught:
        policy.missing_host_key(paramiko.SSHClient(), "[10.0.0.5]:2222", _key())
    assert ssh_config.fingerprint(_key()) in caught.value.message
    assert "--trust-new-hosts" in caught.value.message
    assert "ssh-keyscan -p 2222 10.0.0.5" in caught.value.message
    assert not record.exists()


def test_unknown_key_policy_records_only_when_asked(tmp_path: Path) -> None:
    record = tmp_path / "sub" / "known_hosts"
    ssh_config.KnownHostsPolicy(TARGET, str(record), trust=True).missing_host_key(
        paramiko.SSHClient(), "[10.0.0.5]:2222", _key()
    )
    keys = paramiko.HostKeys(str(record))
    assert keys.lookup("[10.0.0.5]:2222") is not None


def _config(text: str) -> paramiko.SSHConfig:
    return paramiko.SSHConfig.from_text(text)


def test_ssh_config_fills_what_the_inventory_left_at_defaults() -> None:
    config = _config(
        "Host web-1\n  HostName 10.0.0.5\n  User deploy\n  Port 2200\n"
        "  IdentityFile ~/.ssh/web\n  ProxyJump bastion\n"
    )
    endpoint = ssh_config.resolve_endpoint(Host(name="w1", address="web-1"), config)
    assert (endpoint.address, endpoint.user, endpoint.port) == ("10.0.0.5", "deploy", 2200)
    assert endpoint.identity_files[0].endswith("/.ssh/web")
    assert endpoint.proxy_jump == ("bastion",)
    assert endpoint.known_hosts_name == "[10.0.0.5]:2200"


def test_inventory_values_win_over_ssh_config() -> None:
    config = _config("Host web-1\n  User deploy\n  Port 2200\n")
    host = Host(name="w1", address="web-1", user="ops", port=2022, identity_file="/k")
    endpoint = ssh_config.resolve_endpoint(host, config)
    assert (endpoint.user, endpoint.port, endpoint.identity_files[0]) == ("ops", 2022, "/k")


def test_without_config_the_inventory_is_used_as_is() -> None:
    endpoint = ssh_config.resolve_endpoint(Host(name="w1", address="10.1.1.1"), None)
    assert endpoint == ssh_config.Endpoint("w1", "10.1.1.1", 22, "root", ())
    assert endpoint.known_hosts_name == "10.1.1.1"


@pytest.mark.parametrize(
    ("spec", "user", "address", "port"),
    [
        ("jump@bastion:2200", "jump", "192.0.2.10", 2200),
        ("bastion", "admin", "192.0.2.10", 22),
        ("ops@[2001:db8::1]:2022", "ops", "2001:db8::1", 2022),
    ],
)
def test_proxy_jump_hops_parse_like_ssh(spec: str, user: str, address: str, port: int) -> None:
    config = _config("Host bastion\n  HostName 192.0.2.10\n  User admin\n")
    hop = ssh_config.resolve_jump(spec, config)
    assert (hop.user, hop.address, hop.port) == (user, address, port)


def test_proxy_jump_none_means_direct() -> None:
    config = _config("Host *\n  ProxyJump none\n")
    assert ssh_config.resolve_endpoint(Host(name="w", address="w"), config).proxy_jump == ()


def test_unreachable_address_is_mapped_quickly() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = ssh_config.Endpoint("w", "127.0.0.1", port, "root", ())
    with pytest.raises(HostUnreachable) as caught:
        ssh._tcp_connect("w", endpoint, 2.0)
    assert "refused" in caught.value.message


@pytest.mark.skipif(not hasattr(socket, "TCP_QUICKACK"), reason="TCP_QUICKACK is Linux's")
def test_the_connection_acknowledges_what_it_reads_at_once() -> None:
    # sshd keeps Nagle on without a terminal: every message it sends after one we have not
    # acknowledged waits for our delayed ACK (~40 ms) unless we acknowledge at once
    with socket.create_server(("127.0.0.1", 0)) as server:
        endpoint = ssh_config.Endpoint("w", "127.0.0.1", server.getsockname()[1], "root", ())
        client = ssh._tcp_connect("w", endpoint, 2.0)
        peer, _ = server.accept()
        with client, peer:
            assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY)
            for turn in range(3):  # a conversation: the kernel alone would delay ACKs by now
                peer.sendall(b"line %d\n" % turn)
                assert client.recv(64) == b"line %d\n" % turn
                assert client.getsockopt(socket.IPPROTO_TCP, socket.TCP_QUICKACK) == 1
                client.sendall(b"ok\n")
                assert peer.recv(64) == b"ok\n"


def test_aead_ciphers_are_offered_first_and_every_other_one_still_after_them() -> None:
    left, right = socket.socketpair()
    with left, right:
        defaults = paramiko.Transport(left).get_security_options().ciphers
        offered = ssh.aead_first(right).get_security_options().ciphers
    aead = [name for name in defaults if name.endswith("-gcm@openssh.com")]
    assert aead and list(offered[: len(aead)]) == aead
    assert sorted(offered) == sorted(defaults)
