"""Turn a GitHub connection's secret into a token: a personal access token as is, or a GitHub App's
private key into a short-lived installation token (PyGithub does the JWT and the exchange).

The App JWT is a credential too: it goes only to the API root ``discovery.endpoints`` allows, after the
same SSRF guard as every other request."""
from __future__ import annotations

from discovery import endpoints
from discovery.connectors.github.client import refused
from discovery.connectors.github.errors import GithubFailure


def resolve_token(config: dict, secret: dict) -> str:
    if config.get("auth", "token") != "app":
        token = secret.get("token")
        if not token:
            raise GithubFailure("bad_credentials", "the connection has no token")
        return token
    return installation_token(config, secret)


def installation_token(config: dict, secret: dict) -> str:
    from github import Auth, GithubException, GithubIntegration

    app_id, private_key, org = config.get("app_id"), secret.get("private_key"), config.get("org", "")
    if not app_id or not private_key:
        raise GithubFailure("bad_credentials", "a GitHub App connection needs app_id and a private key")
    try:
        base_url = endpoints.github_api_base(config)
        endpoints.outbound_guard()(base_url)
    except endpoints.EndpointRefused as exc:
        raise refused(exc, org) from None
    except endpoints.EndpointUnresolved as exc:
        raise GithubFailure("endpoint_unreachable", str(exc), org) from None
    try:
        integration = GithubIntegration(auth=Auth.AppAuth(int(app_id), private_key), base_url=base_url)
        installation_id = config.get("installation_id") or integration.get_org_installation(org).id
        return integration.get_access_token(int(installation_id)).token
    except GithubException as exc:
        if exc.status == 404:
            raise GithubFailure("app_not_installed", f"the App is not installed on {org}", org) from None
        if exc.status == 401:
            raise GithubFailure("bad_credentials", "GitHub refused the App's JWT", org) from None
        raise GithubFailure("unexpected_response", f"GitHub answered {exc.status} to the App token exchange",
                            org) from None
    except ValueError as exc:  # a malformed private key
        raise GithubFailure("bad_credentials", f"the App private key is not a valid PEM key ({type(exc).__name__})",
                            org) from None
