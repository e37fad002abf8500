"""End to end, companies built differently (issue 15 §1): each style's generated company loaded into moto
and the GitHub emulator, discovered through real Celery workers, and scored against its truth.

The fast accuracy tests (peers/tests/test_accuracy_*.py) feed repository files straight to the
connector's builders; this proves the real connectors fetch what those rules read (Terraform files in an
infrastructure repository, a second GitHub organization, per-folder CODEOWNERS of monorepos) and that the
catalog built from stored facts is as accurate. Generated account ids are the style's own, so no other
module's moto state mixes in.
"""
from pathlib import Path

import pytest
from django_tenants.utils import tenant_context

from catalog.export import catalog_document
from peers.accuracy import below_bar, score
from peers.demo import setup_tenant
from peers.generate_scenario import dump, generate
from peers.scenario import load_scenario
from portal.models import Tenant
from tests.peers import drop_tenant
from tests.test_e2e_discovery import discover_and_wait

pytestmark = pytest.mark.e2e
STYLES = ("monorepo", "terraform", "acquisition", "realorg")
SERVICES, SEED = 30, 5


@pytest.fixture(params=STYLES)
def company(request, live_peers, live_workers, django_db_blocker, tmp_path_factory):
    style = request.param
    path: Path = tmp_path_factory.mktemp("styles") / f"{style}.yaml"
    path.write_text(dump(generate(style, name=f"e2e-{style}", n_services=SERVICES, seed=SEED)), encoding="utf-8")
    scenario = load_scenario(path)
    with django_db_blocker.unblock():
        setup_tenant(scenario, aws_endpoint=live_peers["aws"], github_url=live_peers["github"],
                     tenant_name=f"e2e-{style}")
        tenant = Tenant.objects.get(name=f"e2e-{style}")
        yield style, scenario, tenant
        drop_tenant(tenant)


def test_a_company_built_differently_is_discovered_accurately(company, django_db_blocker):
    style, scenario, tenant = company
    with django_db_blocker.unblock():
        runs = discover_and_wait(tenant, timeout=360)
        assert [r.status for r in runs] == ["succeeded"] * len(runs), [r.failures for r in runs]
        with tenant_context(tenant):
            report = score(catalog_document(tenant.name), scenario)
    print(f"\n{style}: accuracy {report.accuracy:.3f} recall {report.recall:.3f} "
          f"coverage {report.resource_coverage:.3f} duplicates {len(report.duplicates)}")
    assert below_bar(report) == [], report.problems()
