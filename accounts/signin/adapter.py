"""Who may sign in to this tenant through GitHub or OpenID Connect, and what they become here.

Everything happens inside the tenant whose host the browser is on: users, social accounts, the OAuth
state in the session and the audit events all live in that tenant's schema.

- GitHub: only members of the tenant's GitHub organizations (the ``org`` of its GitHub connections),
  checked with the user's own token against ``GET /user/orgs`` on every sign-in. Their teams in those
  organizations (``GET /user/teams``) and their login go on the profile at each sign-in. A user an
  admin prepared with ``Profile.github_login`` and no GitHub account linked yet is linked to it on first
  sign-in (GitHub's numeric user id is what identifies them from then on).
- OpenID Connect: whoever the provider authenticates, restricted to ``allowed_domains`` (verified email
  domain) when the provider configuration sets it.
- A new user becomes a viewer (``accounts.roles.set_role``); an existing user's role is never changed.
- Refusals say why on the admin login page (403) and are audited (``user.signin_refused``); every sign-in
  is audited (``user.signed_in``). No account is ever matched by email (allauth's email authentication
  stays off): a provider that vouches for an address does not get the local account that has it.
"""
from __future__ import annotations

import logging
from urllib.parse import urlsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.core.internal.datakit import parse_bool_safely
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount, SocialApp
from allauth.socialaccount.providers.base.constants import AuthError, AuthProcess
from django.contrib import admin
from django.db import transaction
from django.http import Http404
from django.urls import reverse

from accounts.models import Profile
from accounts.roles import Role, set_role
from accounts.signin import github
from audit.events import record

log = logging.getLogger(__name__)
GITHUB_API = "https://api.github.com"
STATE_KEY = "roster"  # what pre_social_login learnt, carried on sociallogin.state to post_login
MAX_TEAMS = 200


def login_page(request, message: str, status: int):
    """The admin login page with ``message`` above the form (and the sign-in buttons under it)."""
    # app_path: the form posts to the login page, not to the callback URL this page is answering
    response = admin.site.login(request, extra_context={"signin_error": message, "app_path": reverse("admin:login")})
    response.status_code = status
    return response


def refuse(request, message: str, *, provider: str, who: str, reason: str):
    record("user.signin_refused", actor="signin", provider=provider, who=who, reason=reason)
    raise ImmediateHttpResponse(login_page(request, message, 403))


def _server(api_url: str) -> str:
    bits = urlsplit(api_url)
    return f"{bits.scheme.lower()}://{bits.netloc.lower()}"


def tenant_github_orgs(api_root: str) -> dict[str, str]:
    """Lowercase login -> login of the organizations this tenant's GitHub connections discover on the
    GitHub that sign-in uses. An org of the same name on another GitHub (github.com vs an Enterprise
    Server) is somebody else's: its members are not admitted."""
    from discovery.models import Connection

    server = _server(api_root)
    orgs = {}
    for config in Connection.objects.filter(provider="github").values_list("config", flat=True):
        config = config or {}
        org = str(config.get("org") or "").strip()
        if org and _server(str(config.get("base_url") or GITHUB_API)) == server:
            orgs[org.lower()] = org
    return orgs


def _provider_name(sociallogin) -> str:
    provider = sociallogin.provider
    return getattr(provider, "name", None) or sociallogin.account.provider


class ProviderNotConfigured(Http404):
    silent_variable_failure = True  # in templates, like the SocialApp.DoesNotExist it replaces


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def get_app(self, request, provider, client_id=None):
        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:  # e.g. /accounts/github/login/ with no GitHub app configured: 404, not 500
            raise ProviderNotConfigured(f"sign-in with {provider} is not configured") from None

    def pre_social_login(self, request, sociallogin):
        if sociallogin.provider.id == "github":
            self._github(request, sociallogin)
        elif sociallogin.provider.id == "openid_connect":
            self._oidc(request, sociallogin)
        else:  # only the providers above are installed; anything else is a configuration mistake
            refuse(request, "This sign-in method is not enabled here.", provider=sociallogin.account.provider,
                   who=sociallogin.account.uid, reason="provider_not_enabled")

    def _github(self, request, sociallogin) -> None:
        data = sociallogin.account.extra_data
        login = str(data.get("login") or "")
        orgs = tenant_github_orgs(github.api_root())
        if not orgs:
            refuse(request, f"Sign-in with GitHub is not available here: no GitHub organization on "
                   f"{urlsplit(github.api_root()).hostname} is connected to this Roster. Sign in with your local "
                   "account.", provider="github", who=login, reason="no_github_org")
        token = sociallogin.token.token if sociallogin.token else ""
        try:
            member = github.membership(token)
        except github.GitHubError as exc:
            log.warning("GitHub sign-in of %s: %s", login, exc)
            refuse(request, f"GitHub did not tell us which organizations @{login} belongs to ({exc}). Allow "
                   "Roster to read your organization membership (the read:org scope) and try again.",
                   provider="github", who=login, reason="membership_unavailable")
        if not member.orgs & set(orgs):
            names = " or ".join(sorted(orgs.values()))
            what = "organization" if len(orgs) == 1 else "organizations"
            refuse(request, f"@{login} is not a member of the GitHub {what} {names}, so cannot sign in "
                   f"here. Ask an owner of {names} to invite you. If you are a member already, the organization "
                   "may restrict third-party applications: an owner must approve Roster's OAuth app.",
                   provider="github", who=login, reason="not_an_org_member")
        teams = sorted({slug for org, slug in member.teams if org in orgs})[:MAX_TEAMS]
        sociallogin.state[STATE_KEY] = {"github_login": login, "teams": teams}
        if not sociallogin.is_existing and sociallogin.state.get("process") != AuthProcess.CONNECT:
            self._link_prepared_user(request, sociallogin, login)

    def _link_prepared_user(self, request, sociallogin, login: str) -> None:
        """An admin may prepare a user (and their role) by GitHub login before they first sign in."""
        if not login:
            return
        profile = (Profile.objects.select_related("user").filter(github_login__iexact=login)
                   .exclude(user__socialaccount__provider="github").first())
        if profile is not None:  # an inactive one too: sign-in then refuses them, as a deactivated user
            sociallogin.connect(request, profile.user)

    def _oidc(self, request, sociallogin) -> None:
        app_settings = sociallogin.provider.app.settings
        data = sociallogin.account.extra_data or {}
        userinfo, id_token = data.get("userinfo") or {}, data.get("id_token") or {}
        name = _provider_name(sociallogin)
        who = str(userinfo.get("email") or id_token.get("email") or sociallogin.account.uid)
        # OpenID Connect Core 5.3.2: userinfo is about the ID token's subject, or it must not be used
        if userinfo and id_token and str(userinfo.get("sub")) != str(id_token.get("sub")):
            refuse(request, f"{name} answered inconsistently about who you are; sign-in refused.",
                   provider=sociallogin.account.provider, who=who, reason="subject_mismatch")
        domains = app_settings.get("allowed_domains") or []
        if domains:
            claims = userinfo or id_token
            email = str(claims.get("email") or "").strip().lower()
            domain = email.rpartition("@")[2] if "@" in email else ""
            if domain not in domains:
                refuse(request, f"{email or 'This account'} cannot sign in here: {name} sign-in is open to "
                       f"{', '.join('@' + d for d in domains)} addresses only.",
                       provider=sociallogin.account.provider, who=who, reason="email_domain_not_allowed")
            if app_settings.get("require_verified_email", True) and not parse_bool_safely(claims.get("email_verified")):
                refuse(request, f"{name} has not verified {email}, so it cannot admit you here.",
                       provider=sociallogin.account.provider, who=who, reason="email_not_verified")
        sociallogin.state[STATE_KEY] = {}

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        name = getattr(provider, "name", None) or "the provider"
        if error == AuthError.CANCELLED:
            message = f"Sign-in with {name} was cancelled."
        elif extra_context and "state_id" in extra_context and "state" not in extra_context:
            message = (f"This sign-in with {name} was not started from this browser session on this site, or it "
                       "expired. Start again from the sign-in page.")
        else:
            message = f"Sign-in with {name} failed: the provider did not confirm who you are. Try again."
        if exception is not None:
            log.warning("sign-in with %s failed: %s: %s", name, type(exception).__name__, exception)
        record("user.signin_refused", actor="signin", provider=getattr(provider, "id", "") or "", who="",
               reason=f"authentication_error:{error or 'unknown'}")
        raise ImmediateHttpResponse(login_page(request, message, 400))

    def is_open_for_signup(self, request, sociallogin):
        return True  # pre_social_login admitted them to this tenant

    def is_auto_signup_allowed(self, request, sociallogin):
        return True  # no second form: the provider's answer is enough

    def save_user(self, request, sociallogin, form=None):
        with transaction.atomic():
            user = super().save_user(request, sociallogin, form)
            set_role(user, Role.VIEWER, actor="signin", reason=f"first sign-in with {_provider_name(sociallogin)}")
        return user


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request):
        return False  # nobody creates a local account for themselves; admins create them, or sign-in does

    def send_mail(self, template_prefix, email, context):
        # Roster sends no mail (no password-reset or verification mail): admins reset local passwords.
        log.info("not sending %s mail: Roster sends no mail", template_prefix.rsplit("/", 1)[-1])

    def post_login(self, request, user, *, email_verification, signal_kwargs, email, signup, redirect_url):
        response = super().post_login(request, user, email_verification=email_verification,
                                      signal_kwargs=signal_kwargs, email=email, signup=signup,
                                      redirect_url=redirect_url)
        sociallogin = (signal_kwargs or {}).get("sociallogin")
        if sociallogin is not None:
            signed_in(user, sociallogin, new_user=signup)
        return response


def signed_in(user, sociallogin, *, new_user: bool) -> None:
    """Refresh what sign-in knows about the user (GitHub login, teams) and audit the sign-in."""
    learnt = sociallogin.state.get(STATE_KEY) or {}
    account: SocialAccount = sociallogin.account
    details = {"provider": account.provider, "uid": account.uid, "new_user": bool(new_user)}
    if "github_login" in learnt:
        profile, _ = Profile.objects.get_or_create(user=user)  # no profile yet means viewer: same role
        profile.github_login = learnt["github_login"]
        profile.teams = learnt["teams"]
        profile.save(update_fields=["github_login", "teams", "updated_at"])
        details.update(github_login=learnt["github_login"], teams=learnt["teams"])
    record("user.signed_in", actor=user.get_username(), obj=user, username=user.get_username(), **details)
