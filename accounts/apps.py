from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = "Users, roles and tokens"

    def ready(self):
        from accounts import authentication

        authentication.connect_signals()
