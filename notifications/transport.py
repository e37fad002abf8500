"""One POST of a webhook: to the checked address (notifications.targets), TLS verified against the URL's host
name, a total time limit, no redirect followed, no retry of its own (retries are the outbox's, with backoff).

urllib3 rather than requests: its connection pools take the address to connect to and the host name to
present (Host header, TLS server name, certificate check) separately, which is what pinning the checked
address needs."""
from __future__ import annotations

import time
from dataclasses import dataclass

import certifi
import urllib3
from urllib3.exceptions import HTTPError, NewConnectionError, SSLError
from urllib3.exceptions import TimeoutError as Urllib3Timeout

from discovery.endpoints import EndpointUnresolved, Resolver
from notifications import targets
from portal.redact import sanitize_message


@dataclass(frozen=True)
class Result:
    status_code: int | None
    error: str
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def post(url: str, body: bytes, headers: dict[str, str], *, timeout: float, resolver: Resolver | None = None,
         secret: str = "") -> Result:
    """Send ``body``; never raises for anything the network or the receiver does. ``secret`` is masked out of
    any error text (it is in no URL or message we make, but the text is shown to people)."""
    started = time.monotonic()

    def done(status_code: int | None, error: str = "") -> Result:
        clean = sanitize_message(error, extra_secrets=(secret,) if secret else (), limit=300) if error else ""
        return Result(status_code, clean, int((time.monotonic() - started) * 1000))

    try:
        target = targets.resolve(url, resolver=resolver)
    except targets.TargetRefused as exc:
        return done(None, f"refused: {exc.message}")
    except EndpointUnresolved as exc:
        return done(None, str(exc))
    common = {"host": target.address, "port": target.port, "timeout": urllib3.Timeout(total=timeout),
              "retries": False, "maxsize": 1}
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(**common, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where(),
                                           server_hostname=target.host, assert_hostname=target.host)
    else:
        pool = urllib3.HTTPConnectionPool(**common)
    try:
        response = pool.urlopen("POST", target.path, body=body, headers={**headers, "Host": target.host_header},
                                redirect=False, retries=False, preload_content=False, assert_same_host=False)
        status = response.status
        response.release_conn()  # the receiver's body is not read: only its status counts
    except NewConnectionError as exc:  # before timeouts: urllib3 makes it a subclass of ConnectTimeoutError
        return done(None, f"could not connect to {target.host}: {str(exc).rsplit(': ', 1)[-1]}")
    except Urllib3Timeout:
        return done(None, f"no answer within {timeout:g} s")
    except SSLError as exc:
        return done(None, f"TLS failed: {exc}")
    except (HTTPError, OSError) as exc:
        return done(None, f"{type(exc).__name__}: {exc}")
    finally:
        pool.close()
    if 300 <= status < 400:
        return done(status, f"HTTP {status}: redirects are not followed; subscribe the final URL")
    if not 200 <= status < 300:
        return done(status, f"HTTP {status}")
    return done(status)
