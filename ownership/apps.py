from django.apps import AppConfig


class OwnershipConfig(AppConfig):
    name = "ownership"

    def ready(self):
        from catalog.sync import owners_to_infer
        from ownership.inference import store_inputs

        # What catalog hands over when it persists services, kept for this app's step of the discovery.
        owners_to_infer.connect(store_inputs, dispatch_uid="ownership.store_inputs")
