"""The owner of a service's folder in an infrastructure repository's CODEOWNERS, as a signal."""
from catalog.naming import TeamDirectory
from ownership.signals import owner_signals, score

DIRECTORY = TeamDirectory([{"slug": "claims", "name": "Claims", "members": ["ana"]},
                           {"slug": "billing", "name": "Billing", "members": ["bo"]}],
                          [{"login": "ana", "email": "ana@acme.test"}, {"login": "bo", "email": "bo@acme.test"}])
FOLDER_RULE = {"repo": "acme/terraform-live", "path": "CODEOWNERS", "folder": "services/claims-intake",
               "pattern": "/services/claims-intake/", "owners": ["@acme/claims"]}


def test_a_folder_rule_alone_counts_like_a_path_rule_and_is_shown():
    signals = owner_signals({"iac_codeowners": [FOLDER_RULE]}, DIRECTORY)
    assert signals.codeowners == {"claims": 0.5}
    assert signals.details["iac_codeowners"][0]["pattern"] == "/services/claims-intake/"
    assert score({"signals": {"iac_codeowners": [FOLDER_RULE]}}, DIRECTORY)["owner"] == "claims"


def test_the_service_repository_root_rule_outweighs_the_folder_rule():
    own = {"path": "CODEOWNERS", "rules": [{"pattern": "*", "owners": ["@acme/billing"], "order": 0, "line": 1}]}
    signals = owner_signals({"codeowners": own, "iac_codeowners": [FOLDER_RULE]}, DIRECTORY)
    assert signals.codeowners["billing"] > signals.codeowners["claims"] > 0
    assert abs(sum(signals.codeowners.values()) - 1.0) < 1e-9   # one CODEOWNERS vote in all, never more
    agreeing = owner_signals({"codeowners": {**own, "rules": [{**own["rules"][0], "owners": ["@acme/claims"]}]},
                              "iac_codeowners": [FOLDER_RULE]}, DIRECTORY)
    assert agreeing.codeowners == {"claims": 1.0}
