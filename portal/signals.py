"""Signals of the project's own lifecycle that apps answer in their AppConfig.ready()."""
from django.dispatch import Signal

# Sent with ``schema`` before a tenant's schema is dropped: each app forgets what it keeps elsewhere
# (search: the tenant's Meilisearch index). A receiver that raises stops the deletion.
tenant_deleting = Signal()
