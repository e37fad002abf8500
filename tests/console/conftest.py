"""The web console end to end: a real Roster web server (gunicorn on a free loopback port, the test database),
real Celery workers and peers (tests/peers.py), the bundled sample company discovered for real, and Debian's
system Chromium driven by Playwright (no browser of Playwright's own).

Fixtures:
- ``company``: tenant ``console-e2e`` with the sample company loaded into moto and the GitHub emulator and
  discovered through the workers; users ``viewer``, ``editor`` and ``admin`` with those roles.
- ``fresh_tenant``: tenant ``console-onboard`` with only an admin and no connections (the onboarding wizard).
- ``roster_server``: the web server; ``url(tenant, path)`` builds tenant URLs on it.
- ``browser``: one Chromium for the session; ``signed_in(role, tenant=...)`` a page signed in through the real
  sign-in page; ``shot(page, name, docs=False)`` saves a 1280x800 screenshot under .run/screenshots/ (and
  docs/screenshots/ for the README).
"""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from django_tenants.utils import schema_context

# Playwright's sync API keeps an event loop on this thread; the ORM calls the fixtures and tests make between
# browser steps are ordinary synchronous calls (Django would otherwise refuse them as "async context").
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

ROOT = Path(__file__).resolve().parent.parent.parent
SCENARIO = ROOT / "scenarios" / "sample-company.yaml"
SCREENSHOTS = ROOT / ".run" / "screenshots"
DOCS_SCREENSHOTS = ROOT / "docs" / "screenshots"
TENANT = "console-e2e"
FRESH_TENANT = "console-onboard"
PASSWORD = "console-e2e-Passw0rd!"
ROLES = ("viewer", "editor", "admin")
VIEWPORT = {"width": 1280, "height": 800}
# Without the background-networking flags Chromium keeps calling out of this closed network.
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def chromium_path() -> str:
    path = os.environ.get("ROSTER_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise RuntimeError("no Chromium: install Debian's `chromium` (scripts/roster.sh setup) or set ROSTER_CHROMIUM")
    return path


def ensure_console_built() -> None:
    """console/dist/index.html, built by scripts/console.sh when it is missing. With neither, the server answers
    its "console is not built" page and the tests fail on what they look for (the sign-in page still works)."""
    if (ROOT / "console" / "dist" / "index.html").exists():
        return
    script = ROOT / "scripts" / "console.sh"
    if script.exists():
        subprocess.run(["bash", str(script), "build"], cwd=ROOT, check=True, timeout=600)


def discover_and_wait(tenant_name: str, timeout: float = 420) -> list:
    """Trigger a discovery of every connection of the tenant (as the API does) and wait for all its runs."""
    from portal.tenancy import get_tenant
    from tests.test_e2e_discovery import discover_and_wait as discover

    return discover(get_tenant(tenant_name), timeout=timeout)


def assert_test_database() -> None:
    """Never load, discover or drop tenants in the development database."""
    from django.db import connection

    name = connection.settings_dict["NAME"]
    assert name.startswith("test"), f"not a test database: {name!r} (give the tests the django_db mark)"


def add_users(tenant_name: str, roles=ROLES) -> None:
    from django.contrib.auth import get_user_model

    from accounts.roles import set_role
    from portal.tenancy import tenant_scope

    with tenant_scope(tenant_name):
        for role in roles:
            user, _ = get_user_model().objects.get_or_create(username=role, defaults={"first_name": role.title()})
            user.set_password(PASSWORD)
            user.save()
            set_role(user, role, reason="console end-to-end tests")


@pytest.fixture(scope="session")
def company(live_peers, live_workers, django_db_blocker):
    """The sample company, discovered for real into tenant console-e2e. Yields (scenario, tenant name)."""
    from peers.demo import setup_tenant
    from peers.scenario import load_scenario
    from portal.models import Tenant

    scenario = load_scenario(SCENARIO)
    assert_test_database()
    with django_db_blocker.unblock():
        setup_tenant(scenario, aws_endpoint=live_peers["aws"], github_url=live_peers["github"], tenant_name=TENANT)
        runs = discover_and_wait(TENANT)
        assert [r.status for r in runs] == ["succeeded"] * len(runs), [r.failures for r in runs]
        add_users(TENANT)
        yield scenario, TENANT
        with schema_context("public"):  # whatever schema the tests after it left the connection in
            for tenant in Tenant.objects.filter(name=TENANT):
                tenant.delete(force_drop=True)


@pytest.fixture(scope="session")
def fresh_tenant(company, django_db_blocker):
    """A tenant with an admin and nothing else, on the same peers (which hold the sample company)."""
    from portal.models import Tenant
    from portal.tenancy import create_tenant

    with django_db_blocker.unblock():
        create_tenant(FRESH_TENANT, reset=True)
        add_users(FRESH_TENANT, roles=("admin",))
        yield FRESH_TENANT
        with schema_context("public"):
            for tenant in Tenant.objects.filter(name=FRESH_TENANT):
                tenant.delete(force_drop=True)


class LiveServer:
    def __init__(self, port: int):
        self.port = port

    def url(self, tenant: str, path: str = "/") -> str:
        return f"http://{tenant}.localhost:{self.port}{path}"


@pytest.fixture(scope="session")
def roster_server(live_peers, live_workers, django_db_setup, django_db_blocker):
    """gunicorn serving portal.wsgi on the test database, in local peers mode (the peers' URLs are the
    operator's endpoints, as the workers have them), DEBUG as in .run/env (plain-HTTP cookies on localhost)."""
    from django.db import connection

    from portal import serve
    from tests.peers import Process, free_port, wait_http, worker_env

    assert_test_database()
    ensure_console_built()
    port = free_port()
    env = {**worker_env(connection.settings_dict["NAME"]), "ROSTER_DEBUG": "1", "ROSTER_SSL_REDIRECT": "0"}
    server = Process("console-web", serve.argv("--bind", f"127.0.0.1:{port}", "--workers", "2", "--timeout",
                                               "120", "--log-level", "warning"), env=env)
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        yield LiveServer(port)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


def sign_in(page, base: str, role: str, next_path: str = "/") -> None:
    """Through the real sign-in page, as a person would."""
    from playwright.sync_api import expect

    page.goto(f"{base}/accounts/login/?next={next_path}")
    page.get_by_label("Username").fill(role)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login" not in url, timeout=30_000)
    # The console is up (past its loading screen, which has a main of its own): the header is there.
    expect(page.get_by_role("banner").get_by_role("button", name="Search")).to_be_visible(timeout=30_000)
    expect(page.get_by_role("main").get_by_role("heading", level=1)).to_be_visible(timeout=30_000)


@pytest.fixture
def signed_in(browser, roster_server, company):
    """signed_in(role, tenant=TENANT, next_path="/") -> a Playwright page of a fresh browser context, signed in."""
    contexts = []

    def open_page(role: str, tenant: str = TENANT, next_path: str = "/"):
        context = browser.new_context(viewport=VIEWPORT, base_url=roster_server.url(tenant, ""))
        context.set_default_timeout(20_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, roster_server.url(tenant, ""), role, next_path)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def anonymous_page(browser, roster_server):
    context = browser.new_context(viewport=VIEWPORT)
    context.set_default_timeout(20_000)
    yield context.new_page()
    context.close()


def shot(page, name: str, docs: bool = False) -> Path:
    """A 1280x800 PNG of the viewport under .run/screenshots/ (copied to docs/screenshots/ when ``docs``)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path))
    if docs:
        DOCS_SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SCREENSHOTS / f"{name}.png")
    return path


@pytest.fixture
def screenshot():
    return shot
