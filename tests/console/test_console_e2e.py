"""The web console in a real browser (Debian's Chromium) against a real server, workers and peers, following
the shared console contract: sign in, find a service by a typo with Ctrl+K, read its ownership evidence,
correct its owner as an editor and be refused as a viewer, run a discovery and watch it to the end, onboard a
fresh tenant against the local moto and GitHub emulator, reach everything by keyboard, and pass axe-core with
no serious or critical violation on every page."""
from __future__ import annotations

import json
import math
import re
import time

import pytest
from playwright.sync_api import expect

from tests.console.conftest import TENANT

# django_db: pytest-django sets up the test database only for a session with a test that asks for it; without
# one (this folder run alone) every fixture would run against the development database.
pytestmark = [pytest.mark.e2e, pytest.mark.django_db]

SIMILAR = re.compile(r"similar service", re.I)
REFUSED = "Only editors and admins can correct services"
# Onboarding points at these: the sample company's AWS account (loaded into moto) and GitHub org (in the
# emulator), with the emulator's token.
SAMPLE_ACCOUNT = "723347347957"
SAMPLE_REGION = "us-east-1"
SAMPLE_ORG = "acme"
RUN_TIMEOUT_MS = 420_000


# --- helpers -------------------------------------------------------------------------------------------------

def services_of(tenant: str, **filters) -> list:
    from catalog.models import Service
    from portal.tenancy import tenant_scope

    with tenant_scope(tenant):
        return list(Service.objects.filter(hidden=False, **filters).select_related("owner").order_by("name"))


def service_with_evidence(tenant: str, *, exclude=()):
    """A visible, owned service with ownership signals, preferring long unambiguous names (typo tolerance)."""
    services = services_of(tenant, owner__isnull=False, ownership_status="owned")
    names = [s.name for s in services_of(tenant)]
    candidates = [s for s in services if s.name not in exclude and s.evidence and s.owner_source
                  and len(s.name) >= 10 and "-" in s.name
                  and not any(other != s.name and other.startswith(s.name) for other in names)]
    assert candidates, "the discovered sample company has no owned service with evidence"
    return candidates[0]


def one_swap(name: str) -> str:
    """The name with two neighbouring letters swapped (the first such pair after the third letter)."""
    for i in range(3, len(name) - 1):
        a, b = name[i], name[i + 1]
        if a.isalpha() and b.isalpha() and a != b:
            return name[:i] + b + a + name[i + 2:]
    raise AssertionError(f"no letters to swap in {name!r}")


def percents(confidence: float) -> str:
    """The confidence as a percent, however the console rounds it."""
    value = confidence * 100
    return "|".join(sorted({str(math.floor(value)), str(round(value)), str(math.ceil(value))}))


def open_palette(page):
    page.keyboard.press("Control+k")
    dialog = page.get_by_role("dialog", name="Search")
    expect(dialog).to_be_visible()
    combobox = dialog.get_by_role("combobox", name="Search services, teams and repositories")
    expect(combobox).to_be_focused()
    return dialog, combobox


def api(page, method: str, path: str, body: dict | None = None) -> dict:
    """A same-origin API call from the page with its session and CSRF token, as the console makes them."""
    return page.evaluate(
        """async ([method, path, body]) => {
            const csrf = (document.cookie.match(/(?:^|; )csrftoken=([^;]+)/) || [])[1] || "";
            const response = await fetch(path, {method, credentials: "same-origin",
                headers: {"Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf},
                body: body === null ? undefined : JSON.stringify(body)});
            return {status: response.status, body: await response.text()};
        }""", [method, path, body])


def progress_box(page, name: str = "Discovery progress"):
    """The progress bar named ``name`` and the block around it (its label, counts and status text)."""
    bar = page.get_by_role("progressbar", name=name, exact=True)
    expect(bar).to_be_visible(timeout=30_000)
    return bar, bar.locator("xpath=..")


def watch_progress(page, name: str = "Discovery progress",
                   timeout_ms: int = RUN_TIMEOUT_MS) -> tuple[list[tuple[int, int]], str]:
    """Poll a run's progress bar until its status is final; returns the (done, total) pairs seen and the
    final text of its block."""
    bar, main = progress_box(page, name)
    seen: list[tuple[int, int]] = []
    final = re.compile(r"\b(Succeeded|Failed|Partial|Cancelled)\b")
    deadline = time.monotonic() + timeout_ms / 1000
    while time.monotonic() < deadline:
        now, top = bar.get_attribute("aria-valuenow"), bar.get_attribute("aria-valuemax")
        if now is not None and top is not None:
            pair = (int(float(now)), int(float(top)))
            if not seen or seen[-1] != pair:
                seen.append(pair)
        if final.search(main.inner_text()):
            break
        time.sleep(0.25)
    now, top = bar.get_attribute("aria-valuenow"), bar.get_attribute("aria-valuemax")
    if now is not None and top is not None:
        seen.append((int(float(now)), int(float(top))))
    return seen, main.inner_text()


def wait_runs_settled(tenant: str, exclude: set, timeout: float = 180) -> list:
    """The runs created since ``exclude`` was taken, once none of them is active any more."""
    from discovery.models import ACTIVE_STATUSES, Run
    from portal.tenancy import tenant_scope

    deadline = time.monotonic() + timeout
    with tenant_scope(tenant):
        while Run.objects.exclude(pk__in=exclude).filter(status__in=ACTIVE_STATUSES).exists():
            assert time.monotonic() < deadline, "runs still active"
            time.sleep(0.5)
        return list(Run.objects.exclude(pk__in=exclude))


# --- sign in -------------------------------------------------------------------------------------------------

def test_signing_in_through_the_sign_in_page_lands_on_home_as_the_user(anonymous_page, roster_server, company,
                                                                      screenshot):
    from tests.console.conftest import PASSWORD

    page = anonymous_page
    page.goto(roster_server.url(TENANT, "/services"))
    # Not signed in: the console sends the browser to the sign-in page, remembering where it was going.
    page.wait_for_url(re.compile(r"/accounts/login/\?next=(/|%2F)services"))
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    screenshot(page, "sign-in")
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill("not-the-password")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page).to_have_url(re.compile(r"/accounts/login/"))  # refused, still on the sign-in page
    page.get_by_label("Username").fill("editor")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(re.compile(r"/services$"))
    banner = page.get_by_role("banner")
    expect(banner.get_by_role("link", name="Roster")).to_be_visible()
    for name in ("Home", "Services", "Teams", "Runs"):
        expect(banner.get_by_role("link", name=name, exact=True)).to_be_visible()
    expect(banner.get_by_role("button", name="Search")).to_be_visible()
    expect(banner).to_contain_text("editor")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # The catalog lists the discovered services.
    some = services_of(TENANT)[0]
    page.goto(roster_server.url(TENANT, "/services?q=" + some.name))
    expect(page.get_by_role("main").get_by_text(some.name, exact=True).first).to_be_visible()


# --- the palette, a service page, its evidence ----------------------------------------------------------------

def test_ctrl_k_finds_a_service_by_a_typo_and_opens_it_with_its_evidence(signed_in, company, screenshot):
    service = service_with_evidence(TENANT)
    typo = one_swap(service.name)
    page = signed_in("viewer")
    dialog, combobox = open_palette(page)
    combobox.type(typo, delay=40)
    listbox = dialog.get_by_role("listbox")
    target = listbox.get_by_role("option").filter(has_text=service.name).first
    expect(target).to_be_visible(timeout=15_000)
    screenshot(page, "palette", docs=True)
    # Keyboard only: move to the service with the arrows, open it with Enter.
    for _ in range(12):
        if target.get_attribute("aria-selected") == "true":
            break
        page.keyboard.press("ArrowDown")
    expect(target).to_have_attribute("aria-selected", "true")
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(rf"/services/{service.pk}$"))
    expect(dialog).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_have_text(re.compile(
        rf"^\s*({re.escape(service.name)}|{re.escape(service.display_name or service.name)})\s*$"))

    ownership = page.get_by_role("region", name="Ownership")
    expect(ownership).to_contain_text(service.owner.name)
    expect(ownership).to_contain_text(re.compile(rf"\b({percents(service.owner_confidence)})\s?%"))
    expect(ownership).to_contain_text(re.compile(service.ownership_status, re.I))
    evidence = ownership.get_by_role("list", name="Evidence")
    items = evidence.get_by_role("listitem")
    expect(items.first).to_be_visible()
    assert items.count() >= 1
    # One line per signal of the winning candidate, each with its weight.
    winner = next((c for c in service.owner_candidates if c.get("team") == service.owner.slug), None)
    if winner and winner.get("signals"):
        expect(items).to_have_count(len(winner["signals"]))
    for text in items.all_inner_texts():
        assert re.search(r"weight\s+\d", text, re.I), text
    screenshot(page, "service", docs=True)
    page.keyboard.press("Control+k")
    expect(page.get_by_role("dialog", name="Search")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("dialog", name="Search")).to_be_hidden()


# --- corrections ----------------------------------------------------------------------------------------------

def test_an_editor_corrects_the_owner_and_sees_how_many_similar_services_followed(signed_in, company, screenshot):
    from catalog.models import Service, Team
    from portal.tenancy import tenant_scope

    service = service_with_evidence(TENANT, exclude={service_with_evidence(TENANT).name})
    with tenant_scope(TENANT):
        new_owner = Team.objects.exclude(pk=service.owner_id).filter(services__isnull=False).distinct() \
            .order_by("slug").first()
        corrections_before = service.corrections.count()
    page = signed_in("editor", next_path=f"/services/{service.pk}")
    page.wait_for_url(re.compile(rf"/services/{service.pk}$"))
    page.get_by_role("button", name="Correct", exact=True).click()
    dialog = page.get_by_role("dialog", name="Correct this service")
    expect(dialog).to_be_visible()
    what = dialog.get_by_label("What to correct")
    options = [o.strip() for o in what.locator("option").all_inner_texts()]
    for wanted in ("Owner", "Repository", "Name", "Lifecycle", "Tier", "Merge into", "Split", "Not a service"):
        assert wanted in options, options
    what.select_option(label="Owner")
    dialog.get_by_label("New owner").select_option(label=new_owner.name)
    dialog.get_by_label("Reason").fill("Team reorganisation: moved in the console end-to-end test")
    screenshot(page, "correct-dialog")
    dialog.get_by_role("button", name="Save correction").click()
    status = page.get_by_role("status").filter(has_text=SIMILAR)
    expect(status).to_be_visible(timeout=20_000)
    expect(page.get_by_role("region", name="Ownership")).to_contain_text(new_owner.name)
    with tenant_scope(TENANT):
        stored = Service.objects.get(pk=service.pk)
        assert stored.owner_id == new_owner.pk and stored.owner_source == "user_correction"
        correction = stored.corrections.order_by("-created_at").first()
        assert stored.corrections.count() == corrections_before + 1
        assert correction.user == "editor" and "reorganisation" in correction.reason
    # The count the console shows is the API's.
    count = int(re.search(r"(\d+|No|no)\s+similar service", status.inner_text()).group(1).replace("No", "0")
                .replace("no", "0"))
    assert count == correction.propagated_count, (status.inner_text(), correction.propagated_count)


def test_a_viewer_is_refused_a_correction_in_the_console_and_by_the_api(signed_in, company):
    from catalog.models import Service
    from portal.tenancy import tenant_scope

    service = services_of(TENANT, owner__isnull=False)[-1]
    page = signed_in("viewer", next_path=f"/services/{service.pk}")
    page.wait_for_url(re.compile(rf"/services/{service.pk}$"))
    correct = page.get_by_role("button", name="Correct", exact=True)
    expect(correct).to_have_attribute("aria-disabled", "true")
    correct.focus()
    page.keyboard.press("Enter")  # a keyboard user presses it
    expect(page.get_by_text(REFUSED).first).to_be_visible()
    expect(page.get_by_role("dialog", name="Correct this service")).to_have_count(0)
    correct.click(force=True)  # and so does a mouse user
    expect(page.get_by_text(REFUSED).first).to_be_visible()
    expect(page.get_by_role("dialog", name="Correct this service")).to_have_count(0)
    # The API still refuses the viewer's session (the console only explains it).
    with tenant_scope(TENANT):
        other = service.owner.__class__.objects.exclude(pk=service.owner_id).order_by("slug").first()
    answer = api(page, "PATCH", f"/api/v1/services/{service.pk}/",
                 {"owner": other.slug, "correction_reason": "a viewer tries"})
    assert answer["status"] == 403, answer
    assert "detail" in json.loads(answer["body"]), answer
    with tenant_scope(TENANT):
        assert Service.objects.get(pk=service.pk).owner_id == service.owner_id


# --- runs -----------------------------------------------------------------------------------------------------

def test_discovery_started_from_the_runs_page_shows_live_progress_to_the_end(signed_in, company, screenshot):
    from discovery.models import Run
    from portal.tenancy import tenant_scope

    with tenant_scope(TENANT):
        before = set(Run.objects.values_list("pk", flat=True))
    page = signed_in("editor", next_path="/runs")
    page.wait_for_url(re.compile(r"/runs$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.get_by_role("button", name="Run discovery").click()
    page.wait_for_url(re.compile(r"/runs/[^/?#]+$"), timeout=30_000)
    run_id = page.url.rstrip("/").rsplit("/", 1)[-1]
    expect(page.get_by_role("button", name="Cancel")).to_be_visible()
    seen, status = watch_progress(page)
    screenshot(page, "run", docs=True)
    assert re.search(r"\bSucceeded\b", status), status[:800]
    done, total = seen[-1]
    assert total > 0 and done == total, seen
    assert len(set(seen)) >= 2, f"no live progress seen, only {seen}"
    new = wait_runs_settled(TENANT, before)
    assert new, "the button started no run"
    assert run_id in {str(r.pk) for r in new}, (run_id, new)
    assert all(r.status == "succeeded" for r in new), [(r.kind, r.status, r.failures) for r in new]


# --- onboarding -----------------------------------------------------------------------------------------------

def test_onboarding_wizard_connects_a_fresh_tenant_and_ends_on_a_populated_catalog(signed_in, fresh_tenant,
                                                                                   screenshot):
    from catalog.models import Service
    from discovery.models import Connection
    from portal.tenancy import tenant_scope

    page = signed_in("admin", tenant=fresh_tenant, next_path="/onboarding")
    page.wait_for_url(re.compile(r"/onboarding$"))
    main = page.get_by_role("main")
    expect(main.get_by_role("heading", name="Connect AWS")).to_be_visible()
    main.get_by_label("Account ID").fill(SAMPLE_ACCOUNT)
    main.get_by_label("Regions").fill(SAMPLE_REGION)
    template = main.get_by_role("link", name="Download CloudFormation template").or_(
        main.get_by_role("button", name="Download CloudFormation template"))
    expect(template.first).to_be_visible()
    screenshot(page, "onboarding")
    main.get_by_role("button", name="Test role").click()
    expect(main.get_by_role("status").filter(has_text=SAMPLE_ACCOUNT)).to_be_visible()
    # The role test is a scan of the new AWS connection through the workers: it succeeds against moto.
    _, role_test = watch_progress(page, "Role test")
    assert re.search(r"\bSucceeded\b", role_test), role_test
    expect(main.get_by_role("heading", name="Connect GitHub")).to_be_visible()
    main.get_by_label("Organization").fill(SAMPLE_ORG)
    main.get_by_label("Token").fill("roster-demo-token")
    main.get_by_role("button", name="Connect GitHub").click()
    expect(main.get_by_role("status").filter(has_text=f"github-{SAMPLE_ORG}")).to_be_visible()
    expect(main.get_by_role("heading", name="First discovery")).to_be_visible()
    with tenant_scope(fresh_tenant):
        providers = sorted(Connection.objects.values_list("provider", flat=True))
    assert providers == ["aws", "github"], providers
    main.get_by_role("button", name="Start discovery").click()
    seen, status = watch_progress(page)
    assert re.search(r"\bSucceeded\b", status), status[:800]
    done, total = seen[-1]
    assert done == total, seen
    screenshot(page, "onboarding-done")
    open_catalog = main.get_by_role("link", name="Open the catalog")
    expect(open_catalog).to_be_visible(timeout=30_000)
    open_catalog.click()
    page.wait_for_url(re.compile(r"/services(\?.*)?$"))
    with tenant_scope(fresh_tenant):
        names = list(Service.objects.filter(hidden=False).order_by("name").values_list("name", flat=True))
    assert len(names) >= 100, len(names)  # the sample company has 153 services
    expect(page.get_by_role("main").get_by_text(names[0], exact=True).first).to_be_visible(timeout=20_000)
    assert page.get_by_role("row").count() > 10
    screenshot(page, "catalog-after-onboarding")


# --- keyboard -------------------------------------------------------------------------------------------------

def accessible_name(page) -> tuple[str, str]:
    """(role-ish tag, accessible text) of the focused element."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        if (!el || el === document.body) return ["", ""];
        const role = el.getAttribute("role") || el.tagName.toLowerCase();
        const name = (el.getAttribute("aria-label") || el.innerText || el.value || "").trim();
        return [role, name];
    }""")


def tab_to(page, label: str, limit: int = 25) -> None:
    """Load Home afresh (the Tab sequence starts at the top of the document) and press Tab until the focus is on
    the control named ``label`` (its name starts with it): by keyboard alone, within ``limit`` presses."""
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.wait_for_load_state("networkidle")  # what loads late (recent items, my team) is in the sequence too
    for _ in range(limit):
        page.keyboard.press("Tab")
        if accessible_name(page)[1].startswith(label):
            return
    raise AssertionError(f"Tab never reached {label!r} within {limit} presses")


def test_keyboard_alone_reaches_the_main_nav_and_the_palette_in_order(signed_in):
    page = signed_in("viewer")
    page.wait_for_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    reached: list[tuple[str, str]] = []
    for _ in range(25):
        page.keyboard.press("Tab")
        reached.append(accessible_name(page))
    names = [name.split("\n")[0].strip() for _, name in reached]

    def first(label: str) -> int:
        for i, name in enumerate(names):
            if name == label or name.startswith(label + " ") or name.startswith(label + "\u2318") or \
                    (label == "Search" and name.startswith("Search")):
                return i
        raise AssertionError(f"Tab never reached {label!r}; reached {names}")

    order = [first(label) for label in ("Home", "Services", "Teams", "Runs")]
    assert order == sorted(order), f"nav reached out of order: {names}"
    assert first("Search") < 25
    # From the keyboard: back to the Search button, Enter opens the palette with the focus in its input.
    tab_to(page, "Search")
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Search")
    expect(dialog).to_be_visible()
    expect(dialog.get_by_role("combobox", name="Search services, teams and repositories")).to_be_focused()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    # Tab to "Services" and follow it with Enter.
    tab_to(page, "Services")
    assert accessible_name(page)[1] == "Services"
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"/services(\?.*)?$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    # Ctrl+K works on this page too (once it has loaded its rows).
    page.wait_for_load_state("networkidle")
    expect(page.get_by_role("row").nth(1)).to_be_visible()
    open_palette(page)


# --- accessibility ---------------------------------------------------------------------------------------------

def serious_violations(page) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {v['help']} -> " + "; ".join(n["target"][0] if n["target"] else "?"
                                                                     for n in v["nodes"][:5])
            for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


PAGES = {
    "home": "/",
    "overview": "/?view=director",  # coverage by team and the accuracy trend
    "services": "/services",
    "service": None,  # a discovered service's page
    "teams": "/teams",
    "runs": "/runs",
    "onboarding": "/onboarding",
    "palette": "/",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_axe_finds_no_serious_or_critical_violation(name, signed_in, company, screenshot):
    path = PAGES[name] or f"/services/{service_with_evidence(TENANT).pk}"
    page = signed_in("admin", next_path=path)
    page.wait_for_url(re.compile(re.escape(path) + "$"))
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if name == "overview":
        expect(page.get_by_role("heading", name="Accuracy trend")).to_be_visible()
        expect(page.get_by_role("list", name="Accuracy by week").get_by_role("listitem")).to_have_count(12)
    page.wait_for_load_state("networkidle")
    expect(page.get_by_text(re.compile(r"^Loading", re.I))).to_have_count(0, timeout=20_000)
    if name == "palette":
        dialog, combobox = open_palette(page)
        combobox.type("pay", delay=30)
        expect(dialog.get_by_role("option").first).to_be_visible()
    screenshot(page, f"a11y-{name}")
    found = serious_violations(page)
    assert not found, "\n".join(found)


def test_axe_finds_no_serious_or_critical_violation_on_the_sign_in_page(anonymous_page, roster_server, company):
    page = anonymous_page
    page.goto(roster_server.url(TENANT, "/accounts/login/"))
    expect(page.get_by_role("button", name="Sign in", exact=True)).to_be_visible()
    found = serious_violations(page)
    assert not found, "\n".join(found)
