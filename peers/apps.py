from django.apps import AppConfig


class PeersConfig(AppConfig):
    """Local stand-ins and the commands that use them (load_scenario, accuracy, catalog_summary). Installed only
    where the development requirements are (settings.INSTALLED_APPS): production never loads a scenario."""
    name = "peers"
    verbose_name = "Local peers and scenarios"
