from django.db import connection
from django.http import HttpResponse, JsonResponse


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})  # nothing about the tenant: anyone may probe it


def public_home(request):
    return HttpResponse(
        "<h1>Roster</h1><p>Open your tenant at <code>http://&lt;tenant&gt;.localhost:PORT/</code> "
        "(admin at <code>/admin/</code>, API at <code>/api/v1/</code>).</p>"
    )
