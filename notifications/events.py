"""The events a subscription may ask for: one vocabulary for the models, the API, the admin and the schemas
(``notifications/schemas/<type>.json`` documents each one's payload)."""
from django.db import models


class EventType(models.TextChoices):
    SERVICE_DISCOVERED = "service.discovered"
    SERVICE_RETIRED = "service.retired"
    SERVICE_RENAMED = "service.renamed"
    OWNERSHIP_CHANGED = "ownership.changed"
    OWNERSHIP_AMBIGUOUS = "ownership.ambiguous"
    RUN_QUEUED = "run.queued"
    RUN_FINISHED = "run.finished"
    RETIREMENT_HELD = "retirement.held"


# Sent on request only (the subscription's "test" action), whatever the subscription asked for.
PING = "ping"
ALL = [choice.value for choice in EventType]


def clean_event_list(value) -> list[str]:
    """A subscription's events: a non-empty list of known types, each once, in the vocabulary's order.
    Raises ValueError with a message for people."""
    if not isinstance(value, (list, tuple)) or not value:
        raise ValueError(f"give a non-empty list of events, from: {', '.join(ALL)}")
    unknown = [str(v)[:60] for v in value if v not in ALL]
    if unknown:
        raise ValueError(f"unknown event(s) {', '.join(unknown[:5])}; known: {', '.join(ALL)}")
    return [event for event in ALL if event in value]
