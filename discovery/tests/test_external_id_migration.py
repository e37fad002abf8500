"""Moving the ExternalId out of config keeps deployed roles working and ends shared or chosen values."""
import importlib

from django.apps import apps

from discovery.models import Connection

migration = importlib.import_module("discovery.migrations.0002_connection_external_id")


def legacy(workspace, name, **config):
    conn = Connection.objects.create(workspace=workspace, provider="aws", name=name, config={
        "account_id": "111111111111", "role_arn": "arn:aws:iam::111111111111:role/RosterDiscovery", **config})
    return conn


def test_existing_external_ids_move_out_of_config(workspace):
    deployed = legacy(workspace, "deployed", external_id="4f0e3e7a-0000-4000-8000-000000000001",
                      roster_principal_arn="arn:aws:iam::444444444444:root")
    copied = legacy(workspace, "copied", external_id="4f0e3e7a-0000-4000-8000-000000000001")  # shared: a deputy
    junk = legacy(workspace, "junk", external_id={"not": "a string"})
    missing = legacy(workspace, "missing")
    migration.move_to_field(apps, None)
    for conn in (deployed, copied, junk, missing):
        conn.refresh_from_db()
        assert "external_id" not in conn.config and "roster_principal_arn" not in conn.config
    assert deployed.external_id == "4f0e3e7a-0000-4000-8000-000000000001"  # its role keeps working
    assert copied.external_id.startswith("roster-") and junk.external_id.startswith("roster-")
    assert len({c.external_id for c in (deployed, copied, junk, missing)}) == 4
