"""Who may do what: the one table the API and the admin both enforce, and the tests walk completely.

API operations are keyed by URL name and HTTP method (HEAD and OPTIONS follow GET); an operation not in
the table is refused to everyone (fail closed). ``PUBLIC`` operations need no sign-in.
"""
from accounts.roles import Role

VIEWER, EDITOR, ADMIN = Role.VIEWER, Role.EDITOR, Role.ADMIN
PUBLIC = "public"

API = {
    # catalog: everyone reads; editors correct
    "service-list": {"GET": VIEWER},
    "service-detail": {"GET": VIEWER, "PATCH": EDITOR},
    "service-events": {"GET": VIEWER},
    "service-search": {"GET": VIEWER},
    "service-search-slash": {"GET": VIEWER},
    "service-search-index": {"GET": VIEWER},  # the palette's local index (search/palette.py)
    "team-list": {"GET": VIEWER},
    "team-detail": {"GET": VIEWER},
    "team-services": {"GET": VIEWER},
    "discovery-event-list": {"GET": VIEWER},
    "discovery-event-detail": {"GET": VIEWER},
    "resource-service": {"GET": VIEWER},
    "ownership-coverage": {"GET": VIEWER},  # the console's director view (catalog/api/dashboard.py)
    "accuracy-trend": {"GET": VIEWER},  # the director view's accuracy trend (ownership/accuracy_trend.py)
    "health-overview": {"GET": VIEWER},  # the director view's services by health (catalog/api/dashboard.py)
    "ownership-weights": {"GET": VIEWER},  # the tenant's adapted signal weights (ownership/weights.py)
    "ownership-weights-reset": {"POST": EDITOR},  # back to the default weights, audited with who and why
    # discovery: runs and facts are read by everyone; discovering and run control are editors';
    # connections (config, secrets, the role template) are admins', editors see them to discover
    "run-list": {"GET": VIEWER},
    "run-detail": {"GET": VIEWER},
    "run-cancel": {"POST": EDITOR},
    "run-events": {"GET": VIEWER},  # a run's live progress (Server-Sent Events)
    "run-dead-letters": {"GET": VIEWER}, "run-retry": {"POST": EDITOR},  # failed and dead-lettered jobs
    "fact-list": {"GET": VIEWER},
    "fact-detail": {"GET": VIEWER},
    "discovery-run": {"POST": EDITOR},
    "connection-list": {"GET": EDITOR, "POST": ADMIN},
    "connection-detail": {"GET": EDITOR, "PUT": ADMIN, "PATCH": ADMIN, "DELETE": ADMIN},
    "connection-discover": {"POST": EDITOR},
    "connection-backfill": {"POST": EDITOR},  # a full read of a selection, audited with who and why
    "connection-runs": {"GET": EDITOR},
    "connection-cloudformation-template": {"GET": ADMIN},
    # freshness: editors see when connections are read again; admins change schedules and own webhook secrets
    "schedule-list": {"GET": EDITOR},
    "schedule-detail": {"GET": EDITOR, "PATCH": ADMIN},
    "schedule-pause": {"POST": ADMIN}, "schedule-resume": {"POST": ADMIN},
    "github-webhook-config-list": {"GET": ADMIN, "POST": ADMIN},
    "github-webhook-config-detail": {"GET": ADMIN, "DELETE": ADMIN},
    "github-webhook-config-rotate": {"POST": ADMIN},
    "github-delivery-list": {"GET": ADMIN},
    "github-delivery-detail": {"GET": ADMIN},
    # webhooks out (notifications): subscriptions hold signing secrets and name URLs Roster calls: admins'
    "webhook-subscription-list": {"GET": ADMIN, "POST": ADMIN},
    "webhook-subscription-detail": {"GET": ADMIN, "PUT": ADMIN, "PATCH": ADMIN, "DELETE": ADMIN},
    "webhook-subscription-rotate-secret": {"POST": ADMIN},
    "webhook-subscription-deliveries": {"GET": ADMIN},
    "webhook-subscription-test": {"POST": ADMIN},
    "webhook-delivery-detail": {"GET": ADMIN},
    "webhook-delivery-retry": {"POST": ADMIN},
    # on-call and routing (oncall): everyone asks whom to page; editors confirm or correct a team's routing
    "service-routing": {"GET": VIEWER},
    "resource-routing": {"GET": VIEWER},
    "team-routing": {"GET": VIEWER, "PATCH": EDITOR},
    "slack-install-link": {"POST": ADMIN},  # a signed link that installs the Slack app into this tenant
    # users, roles, tokens, audit, the tenant itself: admins'; everyone may see who they are
    "me": {"GET": VIEWER},
    "user-list": {"GET": ADMIN},
    "user-detail": {"GET": ADMIN, "PATCH": ADMIN},
    "token-list": {"GET": ADMIN, "POST": ADMIN},
    "token-detail": {"GET": ADMIN, "DELETE": ADMIN},
    "audit-event-list": {"GET": ADMIN},
    "audit-event-detail": {"GET": ADMIN},
    "tenant-delete": {"POST": ADMIN},
    "api-root": {"GET": VIEWER},
    # the API's description holds no tenant data
    "api-schema": {"GET": PUBLIC},
    "api-docs": {"GET": PUBLIC},
}

# Django admin: permission -> the least role that holds it. Not listed: nobody but superusers.
ADMIN_SITE = {
    "catalog.view_service": VIEWER,
    "catalog.correct_service": EDITOR,
    "catalog.view_team": VIEWER,
    "catalog.change_team": EDITOR,  # channel, on-call ids: facts people know better than discovery
    "catalog.view_discoveryevent": VIEWER,
    "catalog.view_retirementhold": EDITOR,
    "catalog.approve_retirementhold": EDITOR,
    "ownership.view_correction": VIEWER,
    "discovery.view_run": VIEWER,
    "discovery.cancel_run": EDITOR,
    "discovery.retry_run": EDITOR,  # retry failed and dead-lettered jobs, rerun a selection at high priority
    "discovery.view_fact": VIEWER,
    "discovery.view_factlink": VIEWER,
    "discovery.view_connection": EDITOR,
    "discovery.discover_connection": EDITOR,
    "discovery.add_connection": ADMIN,
    "discovery.change_connection": ADMIN,
    "discovery.delete_connection": ADMIN,
    "workspaces.view_workspace": VIEWER,
    "workspaces.add_workspace": ADMIN,
    "workspaces.change_workspace": ADMIN,
    "freshness.view_schedule": EDITOR,
    "freshness.change_schedule": ADMIN,
    "freshness.view_githubwebhook": ADMIN,
    "freshness.rotate_githubwebhook": ADMIN,
    "freshness.view_inbounddelivery": ADMIN,
    "notifications.view_subscription": ADMIN,  # webhooks out
    "notifications.add_subscription": ADMIN,
    "notifications.change_subscription": ADMIN,
    "notifications.delete_subscription": ADMIN,
    "notifications.rotate_subscription": ADMIN,
    "notifications.view_delivery": ADMIN,
    "notifications.retry_delivery": ADMIN,
    "oncall.view_oncallconnection": EDITOR,  # on-call connections: keys are admins' (write-only)
    "oncall.sync_oncallconnection": EDITOR,
    "oncall.add_oncallconnection": ADMIN,
    "oncall.change_oncallconnection": ADMIN,
    "oncall.delete_oncallconnection": ADMIN,
    "oncall.view_oncallschedule": VIEWER,
    "audit.view_auditevent": ADMIN,
    "accounts.view_apitoken": ADMIN,
    "accounts.revoke_apitoken": ADMIN,
    "accounts.view_profile": ADMIN,
    "accounts.change_profile": ADMIN,
    "auth.view_user": ADMIN,
    "auth.add_user": ADMIN,
    "auth.change_user": ADMIN,
}


def api_requirement(url_name: str | None, method: str):
    """The least role for an operation, PUBLIC, or None (refused to everyone)."""
    method = "GET" if method in ("HEAD", "OPTIONS") else method
    return API.get(url_name or "", {}).get(method)
