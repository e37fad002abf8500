import pytest

from catalog import naming


@pytest.mark.parametrize("name, expected", [
    ("ImportSchedulerProd", ("import", "scheduler", "prod")), ("push_manager", ("push", "manager")),
    ("HTTPServerAPI", ("http", "server", "api")), ("frauddb6", ("frauddb6",)),
    ("AuthorizerV2", ("authorizer", "v2")), ("svc-auth-engine", ("svc", "auth", "engine"))])
def test_words_split_separators_and_camel_case(name, expected):
    assert naming.words(name) == expected


@pytest.mark.parametrize("name, kind, expected", [
    ("payment-gateway-prod", "", "payment-gateway"), ("PaymentApiStaging", "", "payment-api"),
    ("svc-partner-processor-prod", "", "partner-processor"), ("tax-sync-svc", "", "tax-sync"),
    ("BillingServiceProdStack", "", "billing-service"), ("orders-prod-create", "lambda_function", "orders"),
    ("prod-orders", "apigateway_rest_api", "orders"), ("pricing-service-api-prod", "apigateway_rest_api", "pricing-service"),
    ("content-processor-prod-events", "sqs_queue", "content-processor"), ("ab-test-runner", "lambda_function", "ab-test-runner"),
    ("CollateralServiceStack-prod-eu-west-1", "", "collateral-service"),
    ("StackSet-account-baseline-drift-20e7f568-b12c-4d6f-51a7-abe052985f7d", "", "account-baseline-drift"),
    ("StatementGatewayProdStackEuWest1", "", "statement-gateway")])
def test_canonical_removes_stages_noise_and_generated_parts(name, kind, expected):
    assert naming.canonical(name, kind=kind) == expected


def test_one_key_for_every_spelling_of_a_name():
    spellings = ["push-manager", "push_manager", "PushManager", "pushmanager", "push-managers", "PushManagerProd"]
    assert {frozenset(naming.name_keys(s)) for s in spellings} == {frozenset({"pushmanager"})}
    assert naming.name_keys("identitys-processor") == naming.name_keys("identity-processor") == {"identityprocessor"}
    assert naming.name_keys("payment-svc") == {"payment", "paymentservice"}
    assert naming.name_keys("dev-portal", strip_env=False) == {"devportal"}
    assert naming.name_keys("payment-gateway-service") == {"paymentgatewayservice", "paymentgateway"}
    assert naming.name_keys("tax-service") == {"taxservice"}  # never a one-word key like "tax"
    assert naming.name_keys("tax-api", kind="apigateway_rest_api") == {"tax", "taxapi"}
    assert naming.name_keys("acme-billing-api", drop_prefixes=frozenset({"acme"})) == {"acmebillingapi", "billingapi"}


def test_env_of_reads_the_stage_wherever_it_is():
    assert [naming.env_of(n) for n in ("api-prod", "ApiStaging", "orders-dev-create", "prod-orders", "payments", "uat-x")] \
        == ["prod", "staging", "dev", "prod", None, "qa"]


@pytest.mark.parametrize("a, b, same", [
    ("stmt-scheduler", "statementscheduler", True), ("clm-worker", "claims-worker", True), ("adj-api", "adjudications-api", True),
    ("pmt-engine", "payment-engine", True), ("risk-worker", "risk-consumer-worker", False), ("search-hub", "search-service", False),
    ("sms-api", "sso-api", False), ("payments", "pay", False)])
def test_abbreviations_need_the_same_last_word(a, b, same):
    assert naming.abbreviation_match(a.split("-"), b.split("-")) is same


def test_fuzzy_equal_is_levenshtein_two_on_long_keys_only():
    assert naming.fuzzy_equal("identityprocessor", "identitysprocessor") == 1
    assert naming.fuzzy_equal("invoicerenderer", "invoicerendrer") == 1
    assert naming.fuzzy_equal("smsapi", "ssoapi") is None  # too short to trust two edits
    assert naming.fuzzy_equal("searchhub", "searchservice") is None
    assert naming.fuzzy_equal("formularyapi", "formularyui") is None  # a different last word is a different service


def test_data_words_split_glued_data_suffixes():
    assert naming.data_words("remit-schedulerdb") == ("remit", "scheduler", "db")
    assert naming.data_words("frauddb6") == ("fraud", "db", "6")
    assert naming.data_words("orders-prod-jobs-dlq") == ("orders", "jobs", "dlq")


def test_owner_tag_spellings_of_one_team_resolve_to_it():
    from catalog.naming import TeamDirectory
    directory = TeamDirectory([{"slug": "claims", "name": "Claims", "members": ["ana"]},
                               {"slug": "policy", "name": "Policy Admin", "members": ["bo"]}],
                              [{"login": "ana", "email": "ana.silva@larkspur.test"}])
    for value in ("claims", "team-claims", "Claims Team", "ana.silva@larkspur.test", "@larkspur/claims"):
        assert directory.resolve(value, keep_unknown=False) == ("claims",), value
    assert directory.resolve("Policy Admin Team", keep_unknown=False) == ("policy",)


# --- teams of two organizations (an acquisition: both companies have a payments team) ----------------
TWO_ORGS = naming.TeamDirectory(
    teams=[{"slug": "tessaro/payments", "name": "Payments", "parent": None, "members": ["ana", "dee"], "org": "tessaro"},
           {"slug": "quillpay/payments", "name": "Payments", "parent": None, "members": ["bo", "dee"], "org": "quillpay"},
           {"slug": "risk", "name": "Risk", "parent": None, "members": ["cy"], "org": "quillpay"}],
    members=[{"login": "ana", "email": "ana@tessaro.test"}, {"login": "bo", "email": "bo@quillpay.test"}])


def test_a_slug_two_organizations_share_is_qualified_and_the_others_are_not():
    keys = naming.team_keys([("tessaro", "payments"), ("tessaro", "dispatch"), ("quillpay", "payments"),
                             ("quillpay", "risk")])
    assert keys == {("tessaro", "payments"): "tessaro/payments", ("tessaro", "dispatch"): "dispatch",
                    ("quillpay", "payments"): "quillpay/payments", ("quillpay", "risk"): "risk"}
    assert naming.team_keys([("acme", "payments"), ("acme", "risk")]) == {("acme", "payments"): "payments",
                                                                          ("acme", "risk"): "risk"}


@pytest.mark.parametrize("value, teams", [
    ("@quillpay/payments", ("quillpay/payments",)), ("@tessaro/payments", ("tessaro/payments",)),
    ("tessaro/payments", ("tessaro/payments",)), ("bo@quillpay.test", ("quillpay/payments",)),
    ("Risk", ("risk",)), ("payments", ()), ("Payments Team", ()), ("group:payments", ())])
def test_a_bare_name_two_organizations_answer_to_means_no_team_by_itself(value, teams):
    assert TWO_ORGS.resolve(value, keep_unknown=True) == teams


def test_in_an_organization_a_bare_shared_name_means_that_organizations_team():
    assert TWO_ORGS.in_org("quillpay").resolve("Payments", keep_unknown=True) == ("quillpay/payments",)
    assert TWO_ORGS.in_org("tessaro").resolve("group:payments", keep_unknown=True) == ("tessaro/payments",)
    assert TWO_ORGS.in_org("tessaro").resolve("@quillpay/payments", keep_unknown=False) == ("quillpay/payments",)
    assert TWO_ORGS.in_org("quillpay").resolve("risk", keep_unknown=True) == ("risk",)
    assert TWO_ORGS.resolve("payments", keep_unknown=True) == ()  # the view leaves the directory as it was


def test_someone_in_teams_of_two_organizations_speaks_for_their_team_in_the_context_org():
    """dee came with the acquisition and joined the parent's payments team too: in a Quillpay repository
    their commits are Quillpay payments' work, in a Tessaro one Tessaro payments'."""
    assert set(TWO_ORGS.teams_of_user("dee")) == {"tessaro/payments", "quillpay/payments"}
    assert TWO_ORGS.in_org("quillpay").teams_of_user("dee") == ("quillpay/payments",)
    assert TWO_ORGS.in_org("tessaro").resolve("@dee", keep_unknown=False) == ("tessaro/payments",)
    assert TWO_ORGS.in_org("quillpay").teams_of_user("cy") == ("risk",)
