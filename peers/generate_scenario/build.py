"""The styles by name, and ``generate``: one company of a style as a roster-scenario/1 document."""
from __future__ import annotations

from typing import Callable

from .company import Company
from .styles.acquisition import acquisition_style
from .styles.drift import drift_style
from .styles.legacy import legacy_style
from .styles.monorepo import monorepo_style
from .styles.multi_account import multi_account_style
from .styles.realorg import realorg_style
from .styles.serverless import serverless_style
from .styles.terraform import terraform_style
from .styles.users import users_style

# style -> (builder, org login, org name, e-mail domain); a builder fills the company and returns its description
STYLES: dict[str, tuple[Callable[[Company, int], str], str, str, str]] = {
    "serverless": (serverless_style, "nimbus", "Nimbus Eats", "nimbus.test"),
    "multi-account": (multi_account_style, "initech", "Initech Bank", "initech.test"),
    "users": (users_style, "hooli", "Hooli Mobility", "hooli.test"),
    "drift": (drift_style, "umbrella", "Umbrella Health", "umbrella.test"),
    "legacy": (legacy_style, "vandelay", "Vandelay Industries", "vandelay.test"),
    "realorg": (realorg_style, "quillfeather", "Quillfeather Commerce", "quillfeather.test"),
    "terraform": (terraform_style, "larkspur", "Larkspur Mutual", "larkspur.test"),
    "acquisition": (acquisition_style, "tessaro", "Tessaro Freight", "tessaro.test"),  # and the acquired quillpay
    "monorepo": (monorepo_style, "kestrel", "Kestrel Freight", "kestrel.test"),
}


def generate(style: str, *, name: str, n_services: int, seed: int) -> dict:
    """A roster-scenario/1 document (plain dicts) for ``style``; the same arguments give the same document."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(STYLES)}")
    if n_services < 8:
        raise ValueError("a company needs at least 8 services to show its style")
    build, org, org_name, domain = STYLES[style]
    company = Company(style, name, seed, org, org_name, domain)
    description = build(company, n_services)
    return company.document(description)
