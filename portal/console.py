"""The web console's pages: every console route of a tenant host answers console/dist/index.html (the
single-page app routes in the browser); its hashed assets are static files (WhiteNoise, /static/console/).

The page sets the ``csrftoken`` cookie: the console sends it back as ``X-CSRFToken`` with every change."""
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.http import HttpResponse
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.decorators.http import require_GET

NOT_BUILT = """<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Roster</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto; color: #111827">
<main><h1>The console is not built</h1>
<p>Run <code>make demo</code> (or <code>scripts/console.sh build</code>) to build it.
The API is at <a href="/api/v1/">/api/v1/</a> and the admin at <a href="/admin/">/admin/</a>.</p></main>
</body></html>"""


@lru_cache(maxsize=4)
def _index(path: Path, mtime_ns: int) -> bytes:
    return path.read_bytes()


def index_html() -> bytes | None:
    path = Path(settings.CONSOLE_DIST) / "index.html"
    try:
        return _index(path, path.stat().st_mtime_ns)  # a rebuild is picked up without a restart
    except FileNotFoundError:
        return None


@require_GET
@ensure_csrf_cookie
def console(request, path: str = ""):
    body = index_html()
    if body is None:
        return HttpResponse(NOT_BUILT, status=503, content_type="text/html; charset=utf-8")
    response = HttpResponse(body, content_type="text/html; charset=utf-8")
    response["Cache-Control"] = "no-cache"  # the page names the current assets: always revalidate it
    return response
