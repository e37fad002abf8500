"""Transitional. Corrections apply to stored services (``ownership.corrections``), never to reconcile's
drafts; ``catalog.reconcile`` still imports ``apply_corrections`` and calls it with no corrections.
Delete this module together with that import."""


def apply_corrections(drafts: list, corrections=()) -> list:
    if list(corrections):
        raise TypeError("corrections apply to stored services (ownership.corrections), not to drafts")
    return list(drafts)
