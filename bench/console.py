"""Web console benchmark: the built console in Debian's Chromium against gunicorn, on a tenant of 10,000 services.

    .venv/bin/python bench/console.py            # build the tenant, serve, measure, report
    .venv/bin/python bench/console.py --reuse    # keep the tenant of a previous run (skips the build)

What it does:
1. Builds the console when console/dist is missing (scripts/console.sh build) and collects static files.
2. Creates tenant bench-console in the development database (reset unless --reuse) with bench/search.py's
   generator: ~65 teams and 10,000 services, indexed for search; a viewer signs in through /accounts/login/.
3. Serves portal.wsgi with gunicorn on a free 127.0.0.1 port (Redis db 2, production settings, no TLS redirect).
4. Measures in Chromium (system binary, headless):
   - first-load JS: every script the index page loads, gzipped here (level 9), summed; budget 250 KB;
   - time to interactive: navigationStart -> the header's "Search" button enabled and the page's h1 rendered,
     cold (new browser context, empty cache) and warm (median of 5 reloads);
   - palette: keystroke (keydown, performance.now()) -> the listbox first shows results for the text typed so
     far (from the palette's local index, else the server's answer), and -> the search endpoint's answer for
     that text rendered (it has arrived and the listbox has stopped changing; includes the 25 ms debounce),
     over 200 keystrokes of service names, one-typo names and topic words, typed one key at a time on a
     fresh page per query, each after the page's idle prefetch of the index; also the index's size;
   - catalog: click on "Services" -> the first page of the table rendered (500 rows of 10,000, virtualized),
     and a cold load of /services, median of 5.
Prints a table and, as its last line, one JSON object of the figures. Exits 1 if the JS budget is missed.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[0] = str(ROOT)  # run as a script: "search" must be the app, not bench/search.py
from bench.processes import start_gunicorn, stop_process as stop  # noqa: E402

TENANT = "bench-console"
USER = "bench-console"
PASSWORD = "bench-console-Passw0rd!"
JS_BUDGET_KB = 250.0
KEYSTROKES = 200
CHROMIUM_ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
VIEWPORT = {"width": 1280, "height": 800}

# In the page before any of its scripts: keydown and search-response times, and the last change of the
# palette's listbox, all in performance.now() of the page.
PAGE_HOOKS = """
(() => {
  window.__bench = {kd: 0, lastMut: 0, resp: {}, shown: {}, index: 0, indexBytes: 0};
  document.addEventListener("keydown", () => { window.__bench.kd = performance.now(); }, true);
  const original = window.fetch;
  window.fetch = async (...args) => {
    const response = await original(...args);
    const url = args[0] instanceof Request ? args[0].url : String(args[0]);
    if (url.includes("/services/search/index")) {
      response.clone().text().then((t) => { window.__bench.index = performance.now(); window.__bench.indexBytes = t.length; });
    } else if (url.includes("/services/search")) {
      const q = new URL(url, location.href).searchParams.get("q");
      response.clone().text().then(() => { window.__bench.resp[q] = performance.now(); });
    }
    return response;
  };
  new MutationObserver((records) => {
    if (records.some((r) => (r.target.closest ? r.target : r.target.parentElement)?.closest?.("[role=listbox]")))
      window.__bench.lastMut = performance.now();
    // the first time the listbox shows options for a text (the palette sets data-query to what it shows)
    const box = document.getElementById("palette-listbox");
    const q = box && box.dataset.query;
    if (q && box.querySelector("[role=option]") && window.__bench.shown[q] === undefined)
      window.__bench.shown[q] = performance.now();
  }).observe(document, {subtree: true, childList: true, attributes: true, characterData: true});
})();
"""
INTERACTIVE = """() => {
  const button = [...document.querySelectorAll("header button, [role=banner] button")]
    .find((b) => b.textContent.trim().startsWith("Search"));
  const h1 = document.querySelector("main h1");
  if (button && !button.disabled && button.getAttribute("aria-disabled") !== "true" && h1 && h1.textContent.trim())
    return performance.now();
  return false;
}"""
CATALOG_RENDERED = """() => {
  const table = document.querySelector("[role=table][aria-label=Services]");
  if (!table) return false;
  const rows = table.querySelectorAll("[role=row][aria-rowindex]").length;
  const count = Number(table.getAttribute("aria-rowcount") || 0);
  return rows > 1 && count > 100 ? [performance.now(), rows, count - 1] : false;
}"""


def chromium_path() -> str:
    path = os.environ.get("ROSTER_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise SystemExit("no Chromium: install Debian's `chromium` (scripts/roster.sh setup) or set ROSTER_CHROMIUM")
    return path


def prepare_console(env: dict) -> None:
    if not (ROOT / "console" / "dist" / "index.html").exists():
        script = ROOT / "scripts" / "console.sh"
        if not script.exists():
            raise SystemExit("console/dist is not built and scripts/console.sh does not exist")
        subprocess.run(["bash", str(script), "build"], cwd=ROOT, check=True)
    subprocess.run([sys.executable, str(ROOT / "manage.py"), "collectstatic", "--noinput", "-v", "0"], cwd=ROOT,
                   env=env, check=True)


def start_server(env: dict, port: int) -> subprocess.Popen:
    return start_gunicorn("portal.wsgi:application", env, port, name="console", threads=4)


def seed(reuse: bool) -> list[str]:
    """The tenant (10,000 services) and a viewer with a password; returns the service names."""
    from django.contrib.auth import get_user_model

    from accounts.roles import set_role
    from bench.search import SERVICES_PER_TENANT, build_tenant
    from catalog.models import Service
    from portal.tenancy import tenant_scope

    if reuse:
        with tenant_scope(TENANT):
            count = Service.objects.count()
        if count != SERVICES_PER_TENANT:
            raise SystemExit(f"{TENANT} has {count} services, not {SERVICES_PER_TENANT}: run without --reuse")
        print(f"  {TENANT}: reused ({count:,} services)", flush=True)
    else:
        build_tenant(TENANT, 4242)
    with tenant_scope(TENANT):
        user, _ = get_user_model().objects.get_or_create(username=USER)
        user.set_password(PASSWORD)
        user.save()
        set_role(user, "viewer", reason="bench/console.py")
        return list(Service.objects.values_list("name", flat=True))


def build_queries(names: list[str], count: int) -> list[str]:
    """Texts to type, one key at a time, until ``count`` keystrokes: names, one-typo names, two-word topics."""
    from bench.search import one_typo

    rng = random.Random(7)
    queries, total = [], 0
    while total < count:
        name = rng.choice(names)
        kind = rng.random()
        text = one_typo(name, rng) if kind < 0.4 else name if kind < 0.8 else name.replace("-", " ")[:12]
        text = text[: count - total]
        queries.append(text)
        total += len(text)
    return queries


def percentiles(values: list[float]) -> dict:
    if not values:
        return {"n": 0}
    cuts = statistics.quantiles(values, n=100, method="inclusive") if len(values) > 1 else [values[0]] * 99
    return {"n": len(values), "p50": round(cuts[49], 1), "p95": round(cuts[94], 1), "max": round(max(values), 1)}


def sign_in(page, base: str) -> None:
    page.goto(f"{base}/accounts/login/?next=/")
    page.get_by_label("Username").fill(USER)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(lambda url: "/accounts/login" not in url, timeout=30_000)


def measure_first_load(browser, base: str, state: dict) -> dict:
    """Cold load of the index page in a new context: the scripts it loads and its time to interactive."""
    context = browser.new_context(viewport=VIEWPORT, storage_state=state)
    page = context.new_page()
    scripts: list = []
    page.on("response", lambda r: scripts.append(r) if r.request.resource_type == "script" else None)
    page.goto(f"{base}/")
    tti = page.wait_for_function(INTERACTIVE, polling="raf", timeout=60_000).json_value()
    page.wait_for_load_state("networkidle")
    files = []
    for response in scripts:
        body = response.body()
        files.append({"url": urllib.parse.urlsplit(response.url).path, "bytes": len(body),
                      "gzip": len(gzip.compress(body, 9)),
                      "sent": response.headers.get("content-encoding", "identity")})
    transferred = page.evaluate("""() => performance.getEntriesByType("resource")
        .filter((e) => e.initiatorType === "script" || e.name.endsWith(".js"))
        .reduce((n, e) => n + (e.encodedBodySize || 0), 0)""")
    context.close()
    return {"files": files, "gzip_kb": round(sum(f["gzip"] for f in files) / 1024, 1),
            "raw_kb": round(sum(f["bytes"] for f in files) / 1024, 1),
            "transferred_kb": round(transferred / 1024, 1), "cold_tti_ms": round(tti, 1)}


def measure_warm_tti(page, base: str, repeats: int = 5) -> list[float]:
    times = []
    for _ in range(repeats):
        page.goto(f"{base}/")
        times.append(page.wait_for_function(INTERACTIVE, polling="raf", timeout=60_000).json_value())
    return times


def measure_palette(page, base: str, queries: list[str]) -> dict:
    """Keystroke -> rendered results, one key at a time, each query on a fresh page (no client-side cache).

    Two figures per key: ``first``, until the listbox first shows options for the text typed so far (from
    the palette's local index, or the server's answer when the index has nothing or is not there), and
    ``server``, until the search endpoint's answer for that text has arrived and the listbox stopped
    changing. Each page waits for its idle prefetch of the palette index (revalidated: a 304 after the
    first page) before the palette opens, as a person's first key comes after the page has settled.
    """
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    first, server, no_request, local, index_ms, index_bytes = [], [], 0, 0, [], 0
    for text in queries:
        page.goto(f"{base}/")
        started = page.wait_for_function(INTERACTIVE, polling="raf", timeout=60_000).json_value()
        try:
            page.wait_for_function("() => window.__bench.index > 0", polling="raf", timeout=10_000)
            loaded, index_bytes = page.evaluate("() => [window.__bench.index, window.__bench.indexBytes]")
            index_ms.append(loaded - started)
        except PlaywrightTimeout:
            pass  # no index (too big a catalog, or it failed): the palette searches on the server only
        page.keyboard.press("Control+k")
        box = page.get_by_role("combobox", name="Search services, teams and repositories")
        box.wait_for()
        typed = ""
        for char in text:
            typed += char
            page.evaluate("() => { window.__bench.kd = 0; }")
            page.keyboard.press(char if char != " " else "Space")
            q = typed.strip()
            if not q:
                continue
            try:
                page.wait_for_function(
                    """(q) => window.__bench.resp[q] !== undefined &&
                              performance.now() - Math.max(window.__bench.resp[q], window.__bench.lastMut) > 150""",
                    arg=q, polling="raf", timeout=10_000)
            except PlaywrightTimeout:
                no_request += 1
                continue
            kd, resp, mut, shown = page.evaluate(
                "(q) => [window.__bench.kd, window.__bench.resp[q], window.__bench.lastMut, window.__bench.shown[q]]", q)
            rendered = mut if mut > resp else resp
            server.append(rendered - kd)
            if shown is not None and shown < resp:
                local += 1
            first.append((min(shown, rendered) if shown is not None else rendered) - kd)
        page.keyboard.press("Escape")
    return {**percentiles(first), "server": percentiles(server), "answered_locally": local,
            "index_ready_after_tti_ms": percentiles(index_ms), "index_kb": round(index_bytes / 1024, 1),
            "keystrokes": sum(len(t) for t in queries), "no_request": no_request}


def measure_catalog(page, base: str, repeats: int = 5) -> dict:
    """Click on "Services" from Home -> the table's first page rendered; and cold loads of /services."""
    clicks, loads, rows, total = [], [], 0, 0
    for _ in range(repeats):
        page.goto(f"{base}/")
        page.wait_for_function(INTERACTIVE, polling="raf", timeout=60_000)
        started = page.evaluate("() => performance.now()")
        page.get_by_role("banner").get_by_role("link", name="Services", exact=True).click()
        at, rows, total = page.wait_for_function(CATALOG_RENDERED, polling="raf", timeout=60_000).json_value()
        clicks.append(at - started)
    for _ in range(repeats):
        page.goto(f"{base}/services")
        at, rows, total = page.wait_for_function(CATALOG_RENDERED, polling="raf", timeout=60_000).json_value()
        loads.append(at)
    import re

    shown = re.search(r"([\d,]+)\s+services", page.get_by_role("main").inner_text())
    return {"click_to_rows_ms": percentiles(clicks), "cold_load_to_rows_ms": percentiles(loads),
            "rows_in_dom": rows, "rows_per_page": total,
            "services_shown": int(shown.group(1).replace(",", "")) if shown else None}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reuse", action="store_true", help="reuse the bench tenant of a previous run")
    args = parser.parse_args()

    from bench.search import _bench_env, free_port

    env = _bench_env()
    env["ROSTER_SSL_REDIRECT"] = "0"  # plain HTTP on loopback, production settings otherwise
    os.environ["ROSTER_SSL_REDIRECT"] = "0"
    import django

    django.setup()
    from django.db import connection

    prepare_console(env)
    print(f"Building tenant {TENANT} with 10,000 services" if not args.reuse else f"Reusing {TENANT}", flush=True)
    names = seed(args.reuse)
    connection.close()
    queries = build_queries(names, KEYSTROKES)

    from playwright.sync_api import sync_playwright

    port = free_port()
    server = start_server(env, port)
    base = f"http://{TENANT}.localhost:{port}"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
            context = browser.new_context(viewport=VIEWPORT)
            page = context.new_page()
            sign_in(page, base)
            state = context.storage_state()
            load_before = os.getloadavg()[0]
            first = measure_first_load(browser, base, state)
            page.add_init_script(PAGE_HOOKS)
            warm = measure_warm_tti(page, base)
            palette = measure_palette(page, base, queries)
            catalog = measure_catalog(page, base)
            load_after = os.getloadavg()[0]
            version = browser.version
            browser.close()
    finally:
        stop(server)

    figures = {
        "chromium": version, "services": len(names), "load_average": [round(load_before, 2), round(load_after, 2),
                                                                        os.cpu_count()],
        "first_load_js_gzip_kb": first["gzip_kb"], "first_load_js_raw_kb": first["raw_kb"],
        "first_load_js_transferred_kb": first["transferred_kb"], "js_budget_kb": JS_BUDGET_KB,
        "js_files": len(first["files"]),
        "tti_cold_ms": first["cold_tti_ms"], "tti_warm_ms": percentiles(warm),
        "palette_keystroke_ms": palette,
        "catalog": catalog,
    }
    print(f"\nConsole on {len(names):,} services, Chromium {version}, load average {load_before:.2f} -> "
          f"{load_after:.2f} on {os.cpu_count()} CPUs")
    print("first-load scripts:")
    for f in first["files"]:
        print(f"  {f['url']:<60} {f['bytes'] / 1024:>8.1f} KB raw {f['gzip'] / 1024:>7.1f} KB gzip (sent {f['sent']})")
    rows = [
        ("first-load JS, gzipped", f"{first['gzip_kb']} KB", f"budget {JS_BUDGET_KB:.0f} KB"),
        ("first-load JS, raw / transferred", f"{first['raw_kb']} / {first['transferred_kb']} KB", ""),
        ("time to interactive, cold", f"{first['cold_tti_ms']} ms", "navigationStart -> Search enabled + h1"),
        ("time to interactive, warm", f"p50 {figures['tti_warm_ms']['p50']} ms", f"n={len(warm)}"),
        ("palette keystroke -> results", f"p50 {palette.get('p50')} / p95 {palette.get('p95')} ms",
         f"n={palette['n']} of {palette['keystrokes']} keys, {palette['answered_locally']} first from the local index"),
        ("palette keystroke -> server answer", f"p50 {palette['server'].get('p50')} / p95 "
         f"{palette['server'].get('p95')} ms", "the search endpoint's answer rendered (includes the 25 ms debounce)"),
        ("palette index", f"{palette['index_kb']} KB", f"ready p50 {palette['index_ready_after_tti_ms'].get('p50')} ms "
         "after interactive (idle prefetch, then 304s)"),
        ("catalog, click Services -> rows", f"p50 {catalog['click_to_rows_ms']['p50']} ms",
         f"{catalog['rows_per_page']} rows/page ({catalog['rows_in_dom']} in DOM), "
         f"{catalog['services_shown']} services shown"),
        ("catalog, cold load -> rows", f"p50 {catalog['cold_load_to_rows_ms']['p50']} ms", ""),
    ]
    width = max(len(r[0]) for r in rows)
    for label, value, note in rows:
        print(f"  {label:<{width}}  {value:<24} {note}")
    ok = first["gzip_kb"] <= JS_BUDGET_KB
    print(f"  [{'ok' if ok else 'MISSED'}] first-load JS <= {JS_BUDGET_KB:.0f} KB gzipped")
    print(json.dumps(figures))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
