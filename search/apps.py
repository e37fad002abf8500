from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "search"

    def ready(self):
        from portal.signals import tenant_deleting
        from search.signals import connect_signals

        connect_signals()  # re-index catalog changes after they commit
        tenant_deleting.connect(_drop_tenant_index, dispatch_uid="search-drop-tenant-index")


def _drop_tenant_index(sender, schema: str, **kwargs) -> None:
    from search.backends import get_backend

    get_backend().drop_tenant(schema)
