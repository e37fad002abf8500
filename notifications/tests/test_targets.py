"""SSRF: each rule of notifications.targets with an input that tries to break it, and the transport that
connects to the address that was checked (real sockets on loopback, no database)."""
import datetime
import socket
import ssl
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from discovery.endpoints import EndpointUnresolved
from notifications import targets, transport
from notifications.tests.receiver import Receiver

PUBLIC = "93.184.216.34"


def resolving_to(*addresses):
    calls = []

    def resolver(host, port):
        calls.append((host, port))
        return list(addresses)

    resolver.calls = calls
    return resolver


@pytest.fixture
def production(settings):
    settings.ROSTER_LOCAL_PEERS = False


@pytest.mark.parametrize("url, says", [
    ("http://hooks.example.com/x", "only https"),
    ("ftp://hooks.example.com/x", "only https"),
    ("//hooks.example.com/x", "only https"),
    ("https://user:pw@hooks.example.com/x", "credentials"),
    ("https://token@hooks.example.com/x", "credentials"),
    ("https://hooks.example.com/x#frag", "fragment"),
    ("https://hooks.example.com/a b", "without spaces"),
    ("https://hooks.example.com/\x00", "without spaces"),
    ("https://hooks.example.com:99999/", "invalid port"),
    ("https:///path-only", "no host"),
    ("https://hooks.example.com/" + "a" * 2000, "at most 2000"),
    ("", "missing"),
])
def test_urls_that_are_not_a_plain_https_url_are_refused(production, url, says):
    with pytest.raises(targets.TargetRefused) as refused:
        targets.check(url, resolver=resolving_to(PUBLIC))
    assert says in refused.value.message


@pytest.mark.parametrize("address", [
    "127.0.0.1", "127.8.9.10", "10.0.0.5", "172.16.3.4", "192.168.1.1", "169.254.169.254",  # metadata service
    "100.64.0.1", "0.0.0.0", "224.0.0.1", "::1", "fe80::1", "fd00::1", "::ffff:127.0.0.1", "::ffff:169.254.169.254",
    "fd00:ec2::254",  # the IPv6 metadata service
])
def test_hosts_resolving_to_internal_addresses_are_refused(production, address):
    with pytest.raises(targets.TargetRefused) as refused:
        targets.check("https://hooks.example.com/x", resolver=resolving_to(address))
    assert "non-public address" in refused.value.message


def test_one_internal_address_among_public_ones_is_enough_to_refuse(production):
    with pytest.raises(targets.TargetRefused):
        targets.check("https://hooks.example.com/x", resolver=resolving_to(PUBLIC, "10.1.2.3"))


@pytest.mark.parametrize("url", ["https://127.0.0.1/x", "https://2130706433/x", "https://127.1/x", "https://[::1]/x",
                                 "https://localhost/x", "https://169.254.169.254/latest/meta-data/"])
def test_internal_hosts_written_in_disguise_are_refused_by_what_they_resolve_to(production, url):
    with pytest.raises(targets.TargetRefused):
        targets.check(url)  # the system resolver: these resolve without any DNS server


def test_a_public_host_is_kept_with_the_address_to_connect_to(production):
    target = targets.resolve("https://Hooks.Example.com:8443/in?team=a", resolver=resolving_to(PUBLIC))
    assert (target.scheme, target.host, target.port, target.path, target.address) == (
        "https", "hooks.example.com", 8443, "/in?team=a", PUBLIC)
    assert target.host_header == "hooks.example.com:8443"


def test_a_name_that_does_not_resolve_is_refused_when_saved_and_retried_when_sending(production):
    with pytest.raises(targets.TargetRefused) as refused:
        targets.check("https://nowhere.invalid/x")
    assert "does not resolve" in refused.value.message
    with pytest.raises(EndpointUnresolved):
        targets.resolve("https://nowhere.invalid/x")


def test_local_peers_mode_allows_http_and_loopback_only(settings):
    settings.ROSTER_LOCAL_PEERS = True
    assert targets.check("http://127.0.0.1:9/hook")
    assert targets.check("http://[::1]:9/hook")
    for address in ("10.0.0.1", "169.254.169.254", "192.168.0.10"):
        with pytest.raises(targets.TargetRefused):
            targets.check("http://receiver.test/hook", resolver=resolving_to(address))
    with pytest.raises(targets.TargetRefused):
        targets.check("ftp://127.0.0.1/hook")


# --- at delivery time ----------------------------------------------------------------------------------------
BODY, HEADERS = b'{"type":"ping"}', {"Content-Type": "application/json", "X-Roster-Event": "ping"}


def test_a_name_rebound_to_an_internal_address_after_saving_is_not_called(production):
    with Receiver() as receiver:
        url = f"https://hooks.example.com:{receiver.port}/hook"
        assert targets.check(url, resolver=resolving_to(PUBLIC))  # what it resolved to when saved
        result = transport.post(url, BODY, HEADERS, timeout=3, resolver=resolving_to("127.0.0.1"))
    assert result.status_code is None and result.error.startswith("refused:") and "127.0.0.1" in result.error
    assert receiver.requests == []


def test_the_request_goes_to_the_checked_address_under_the_urls_host_name(settings):
    settings.ROSTER_LOCAL_PEERS = True
    resolver = resolving_to("127.0.0.1")
    with Receiver() as receiver:
        # hooks.example.test resolves nowhere but through the checked answer: the request can only arrive if
        # the connection went to that address, and the library did not look the name up again.
        result = transport.post(f"http://hooks.example.test:{receiver.port}/in?x=1", BODY, HEADERS, timeout=3,
                                resolver=resolver)
    assert result.ok, result
    assert len(resolver.calls) == 1
    [got] = receiver.requests
    assert got.path == "/in?x=1" and got.body == BODY
    assert got.headers["host"] == f"hooks.example.test:{receiver.port}"


def test_redirects_are_not_followed(settings):
    settings.ROSTER_LOCAL_PEERS = True
    with Receiver() as elsewhere, Receiver(statuses=[302]) as receiver:
        receiver.location = elsewhere.url("/stolen")
        result = transport.post(receiver.url(), BODY, HEADERS, timeout=3)
    assert not result.ok and result.status_code == 302 and "redirects are not followed" in result.error
    assert len(receiver.requests) == 1 and elsewhere.requests == []


def test_a_receiver_that_never_answers_times_out(settings):
    settings.ROSTER_LOCAL_PEERS = True
    with socket.socket() as silent:  # accepts connections (the backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(5)
        result = transport.post(f"http://127.0.0.1:{silent.getsockname()[1]}/", BODY, HEADERS, timeout=1)
    assert result.status_code is None and result.error == "no answer within 1 s"
    assert 900 <= result.duration_ms < 5000


def test_nobody_listening_is_an_error_not_an_exception(settings):
    settings.ROSTER_LOCAL_PEERS = True
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    result = transport.post(f"http://127.0.0.1:{port}/", BODY, HEADERS, timeout=2)
    assert result.status_code is None and result.error.startswith("could not connect to 127.0.0.1")


def test_an_error_never_shows_the_secret(settings):
    settings.ROSTER_LOCAL_PEERS = True
    secret = "whsec_dont-show-me-0123456789"
    result = transport.post(f"http://{secret}.invalid/", BODY, HEADERS, timeout=2, secret=secret)
    assert result.error and secret not in result.error


def _self_signed(tmp_path, name: str):
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
            .sign(key, hashes.SHA256()))
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                         serialization.NoEncryption()))
    return tmp_path / "cert.pem", tmp_path / "key.pem"


def test_https_receivers_must_show_a_certificate_a_public_ca_signed(settings, tmp_path):
    settings.ROSTER_LOCAL_PEERS = True
    cert, key = _self_signed(tmp_path, "hooks.example.test")
    hits = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        result = transport.post(f"https://hooks.example.test:{server.server_address[1]}/", BODY, HEADERS, timeout=3,
                                resolver=resolving_to("127.0.0.1"))
    finally:
        server.shutdown()
        server.server_close()
    assert result.status_code is None and result.error.startswith("TLS failed") and "certificate" in result.error
    assert hits == []
