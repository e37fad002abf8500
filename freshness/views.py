"""The GitHub webhook receiver: on the tenant's host (the host picks the tenant), one URL per connection,
authenticated by the delivery's signature alone (GitHub sends no session or token), so CSRF does not apply."""
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from freshness import receiving


@csrf_exempt
@require_POST
def github(request, connection_id):
    try:
        body = request.body
    except RequestDataTooBig:
        return JsonResponse({"message": "payload too large"}, status=413)
    answer = receiving.receive(
        connection_id, event=request.headers.get("X-GitHub-Event", ""),
        delivery_id=request.headers.get("X-GitHub-Delivery", ""),
        signature=request.headers.get("X-Hub-Signature-256"), body=body)
    if answer.status == 204:
        return HttpResponse(status=204)
    return JsonResponse(answer.body, status=answer.status)
