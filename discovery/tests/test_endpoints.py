"""The outbound-endpoint policy: tenant config never chooses where credentials go."""
import pytest

from discovery import endpoints
from discovery.connectors.github.client import GithubClient
from discovery.connectors.github.errors import GithubFailure

GHES = "https://github.example.com/api/v3"
EMULATOR = "http://127.0.0.1:45011"
MOTO = "http://127.0.0.1:45010"


@pytest.fixture
def production(settings):
    settings.ROSTER_LOCAL_PEERS = False
    settings.ROSTER_GITHUB_ENTERPRISE_URLS = [GHES + "/"]
    settings.ROSTER_GITHUB_EMULATOR_URL = EMULATOR
    settings.ROSTER_AWS_ENDPOINT_URL = ""
    return settings


@pytest.fixture
def local(settings):
    settings.ROSTER_LOCAL_PEERS = True
    settings.ROSTER_GITHUB_ENTERPRISE_URLS = []
    settings.ROSTER_GITHUB_EMULATOR_URL = EMULATOR
    settings.ROSTER_AWS_ENDPOINT_URL = MOTO
    return settings


def resolver(table):
    return lambda host, port: table[host]


@pytest.mark.parametrize("config,expected", [
    ({}, "https://api.github.com"),
    ({"base_url": ""}, "https://api.github.com"),
    ({"base_url": "https://api.github.com/"}, "https://api.github.com"),
    ({"base_url": GHES}, GHES),
    ({"base_url": "HTTPS://GitHub.Example.com/api/v3/"}, GHES),
])
def test_github_base_is_the_vendor_or_the_operator_allow_list(production, config, expected):
    assert endpoints.github_api_base(config) == expected


@pytest.mark.parametrize("base_url", [
    "https://attacker.example/api/v3",           # the exfiltration: a host of the tenant user's
    "https://github.example.com.attacker.example/api/v3",
    "https://github.example.com/api/v3/../../x",  # another path on an allowed host
    "https://user:pw@github.example.com/api/v3",
    "https://github.example.com/api/v3?x=1",
    EMULATOR,                                     # the emulator only counts in local peers mode
    "http://169.254.169.254/latest/meta-data",
    ["https://api.github.com"],
])
def test_github_base_refuses_anything_else(production, base_url):
    with pytest.raises(endpoints.EndpointRefused) as refused:
        endpoints.github_api_base({"base_url": base_url})
    assert refused.value.reason_code == "endpoint_refused" and refused.value.remediation


def test_local_peers_allow_the_emulator_and_nothing_else(local):
    assert endpoints.github_api_base({"base_url": EMULATOR + "/"}) == EMULATOR
    for other in ("http://127.0.0.1:6379", "http://127.0.0.1:45012", GHES):
        with pytest.raises(endpoints.EndpointRefused):
            endpoints.github_api_base({"base_url": other})


def test_aws_endpoint_in_local_peers_mode_is_the_operators(local):
    assert endpoints.aws_endpoint({}) == MOTO
    assert endpoints.aws_endpoint({"endpoint_url": MOTO + "/"}) == MOTO  # older demo connections
    with pytest.raises(endpoints.EndpointRefused):
        endpoints.aws_endpoint({"endpoint_url": "http://127.0.0.1:9999"})


def test_aws_endpoint_from_tenant_config_is_refused_in_production(production):
    assert endpoints.aws_endpoint({}) is None  # real AWS
    for url in ("https://sts.attacker.example", "https://sts.amazonaws.com", MOTO):
        with pytest.raises(endpoints.EndpointRefused):
            endpoints.aws_endpoint({"endpoint_url": url})
    production.ROSTER_AWS_ENDPOINT_URL = "https://vpce-123.sts.us-east-1.vpce.amazonaws.com"
    assert endpoints.aws_endpoint({}) == "https://vpce-123.sts.us-east-1.vpce.amazonaws.com"


@pytest.mark.parametrize("addresses", [
    ["10.0.0.5"], ["172.16.3.4"], ["192.168.1.1"], ["127.0.0.1"], ["169.254.169.254"], ["0.0.0.0"],
    ["224.0.0.1"], ["240.0.0.1"], ["100.64.0.1"], ["::1"], ["fe80::1"], ["fd00::1"], ["::ffff:169.254.169.254"],
    ["2002:a9fe:a9fe::1"],             # 6to4 wrapping the metadata address
    ["140.82.112.6", "10.0.0.5"],      # one internal address among public ones is enough
])
def test_ssrf_guard_refuses_internal_addresses(addresses):
    with pytest.raises(endpoints.EndpointRefused):
        endpoints.check_outbound_url("https://github.example.com/api/v3",
                                     resolver=resolver({"github.example.com": addresses}))


def test_ssrf_guard_allows_public_https_only():
    public = resolver({"api.github.com": ["140.82.112.6", "2606:50c0:8000::64"]})
    endpoints.check_outbound_url("https://api.github.com/orgs/acme", resolver=public)
    for url in ("http://api.github.com/orgs/acme", "ftp://api.github.com/", "https://u:p@api.github.com/"):
        with pytest.raises(endpoints.EndpointRefused):
            endpoints.check_outbound_url(url, resolver=public)


def test_client_applies_the_guard_before_sending_outside_local_mode(production):
    """An allowed host that resolves to the metadata service: refused, nothing sent, no crash."""
    client = GithubClient(GHES, "ghp_secret", max_retries=0,
                          url_guard=endpoints.outbound_guard(resolver({"github.example.com": ["169.254.169.254"]})))
    sent = []
    client.session.request = lambda *a, **kw: sent.append(a) or pytest.fail("a request was sent")
    with pytest.raises(GithubFailure) as failure:
        client.rest("/orgs/acme")
    assert failure.value.reason_code == "endpoint_refused" and failure.value.remediation
    assert "ghp_secret" not in str(failure.value) and not sent


def test_client_guard_is_on_by_default_outside_local_mode(production):
    client = GithubClient("http://api.github.com", "ghp_secret", max_retries=0)
    client.session.request = lambda *a, **kw: pytest.fail("a request was sent")
    with pytest.raises(GithubFailure) as failure:
        client.query("{ viewer { login } }")
    assert failure.value.reason_code == "endpoint_refused"


def test_a_listed_enterprise_server_may_live_on_the_company_network(production):
    """The operator listed it: private ranges are expected there; loopback and the metadata service never are."""
    url = GHES + "/orgs/acme"
    endpoints.check_outbound_url(url, resolver=resolver({"github.example.com": ["10.20.30.40"]}))
    endpoints.check_outbound_url(url, resolver=resolver({"github.example.com": ["fd12::7"]}))
    for internal in (["127.0.0.1"], ["169.254.169.254"], ["::ffff:169.254.169.254"], ["0.0.0.0"], ["fe80::1"]):
        with pytest.raises(endpoints.EndpointRefused):
            endpoints.check_outbound_url(url, resolver=resolver({"github.example.com": internal}))
    # Another port or host of the same name is not what the operator listed.
    with pytest.raises(endpoints.EndpointRefused):
        endpoints.check_outbound_url("https://github.example.com:8443/api/v3",
                                     resolver=resolver({"github.example.com": ["10.20.30.40"]}))
    with pytest.raises(endpoints.EndpointRefused):
        endpoints.check_outbound_url("https://git.internal/api/v3", resolver=resolver({"git.internal": ["10.0.0.9"]}))
