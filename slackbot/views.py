"""Slack's endpoints on the platform's public host, thin. Commands and events are authenticated by Slack's
signature alone (bolt checks it; no session, so CSRF does not apply); the install pages are plain GETs."""
from django.core.exceptions import RequestDataTooBig
from django.http import HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from slack_bolt.adapter.django.handler import to_bolt_request, to_django_response

from slackbot import bolt_app, install_links, oauth
from slackbot.oauth import page

MAX_BODY_BYTES = 64 * 1024  # Slack's commands and events are a few KB


def _not_configured(what: str) -> JsonResponse:
    return JsonResponse({"error": f"the Slack app is not configured on this Roster ({what} is not set)"}, status=503)


@csrf_exempt
@require_POST
def dispatch(request):
    handler = bolt_app.handler()
    if handler is None:
        return _not_configured("SLACK_SIGNING_SECRET")
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY_BYTES or len(request.body) > MAX_BODY_BYTES:
            return JsonResponse({"error": "payload too large"}, status=413)
    except (RequestDataTooBig, ValueError):
        return JsonResponse({"error": "payload too large"}, status=413)
    # Bolt's verifier reads the timestamp as an integer and fails loudly on anything else: refuse it as Bolt
    # refuses a bad signature.
    if not request.headers.get("X-Slack-Request-Timestamp", "").isdigit():
        return JsonResponse({"error": "invalid request"}, status=401)
    return handler.handle(request)


def _html(response) -> HttpResponse:
    return to_django_response(response)


@require_GET
def install(request):
    flow = oauth.flow()
    if flow is None:
        return _html(page(503, "Slack install is not configured",
                           "This Roster has no Slack app credentials (SLACK_CLIENT_ID, SLACK_CLIENT_SECRET); an "
                           "operator can connect a workspace with manage.py slack_connect."))
    try:
        install_links.read(request.GET.get("tenant"))
    except install_links.InstallLinkInvalid as exc:
        return _html(page(400, "Roster could not be installed", str(exc)))
    return _html(flow.handle_installation(to_bolt_request(request)))


@require_GET
def oauth_redirect(request):
    flow = oauth.flow()
    if flow is None:
        return _html(page(503, "Slack install is not configured", "This Roster has no Slack app credentials."))
    return _html(flow.handle_callback(to_bolt_request(request)))
