"""GitHub failures as stable reason codes with a remediation a person can act on."""


class GithubFailure(Exception):
    REMEDIATION = {
        "bad_credentials": "The token or App key was refused: create a new token (read:org, repo) or check the "
                           "App id and private key, then update the connection.",
        "app_not_installed": "Install the Roster GitHub App on the organization (Settings -> GitHub Apps), "
                             "granting read access to contents, metadata, members and administration.",
        "missing_permission": "Grant the token or App read access to the organization's repositories, members "
                              "and teams (scopes read:org and repo, or App permissions contents/metadata/members:read).",
        "org_not_found": "Check the organization login in the connection; the token must be able to see it.",
        "rate_limited": "GitHub's rate limit ran out before the scan finished: run again after the reset, "
                        "or use a GitHub App (higher limits).",
        "endpoint_unreachable": "GitHub (or the Enterprise base URL) did not answer: check the base URL and "
                                "network access from the workers.",
        "unexpected_response": "GitHub answered something Roster does not understand: retry; report it with "
                               "the run id if it repeats.",
    }

    def __init__(self, reason_code: str, message: str, item: str = "", stats: dict | None = None):
        super().__init__(message)
        self.reason_code = reason_code
        self.message = message
        self.item = item
        self.remediation = self.REMEDIATION.get(reason_code, "")
        self.stats = stats or {}
