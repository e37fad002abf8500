"""Roster settings. Everything deployment-specific comes from the environment (see README: Configuration)."""
import importlib.util
import os

from django.core.exceptions import ImproperlyConfigured

from portal.env import BASE_DIR, load_run_env

load_run_env()

env = os.environ.get

DEBUG = env("ROSTER_DEBUG", "0") == "1"
SECRET_KEY = env("ROSTER_SECRET_KEY", "")
if not SECRET_KEY:  # no public fallback: sessions and CSRF tokens would be forgeable by anyone
    raise ImproperlyConfigured("ROSTER_SECRET_KEY is not set (make up writes one to .run/env)")
ALLOWED_HOSTS = [h for h in env("ROSTER_ALLOWED_HOSTS", ".localhost,localhost,127.0.0.1,testserver").split(",") if h]
# Fernet key for secrets at rest (GitHub tokens, App private keys, AWS access keys).
ROSTER_ENCRYPTION_KEY = env("ROSTER_ENCRYPTION_KEY", "")

SHARED_APPS = [
    "django_tenants",
    "portal",
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_filters",
    "django_celery_beat",
]
TENANT_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "portal.workspaces",
    "accounts",
    "audit",
    "discovery",
    "catalog",
    "ownership",
    "search",
    "notifications",
    "oncall",
    "slackbot",
    "freshness",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.github",
    "allauth.socialaccount.providers.openid_connect",
    "axes",
]
INSTALLED_APPS = list(SHARED_APPS) + [a for a in TENANT_APPS if a not in SHARED_APPS]
# The local stand-ins (moto, the GitHub emulator) and their scenario commands come with the development
# requirements only; a runtime built from requirements/base.txt has neither.
if importlib.util.find_spec("moto") is not None:
    INSTALLED_APPS.append("peers")

TENANT_MODEL = "portal.Tenant"
# Set search_path only when the tenant changes (not on every cursor): one round trip less per query.
TENANT_LIMIT_SET_CALLS = True
TENANT_DOMAIN_MODEL = "portal.Domain"
PUBLIC_SCHEMA_URLCONF = "portal.urls_public"
ROOT_URLCONF = "portal.urls"
SHOW_PUBLIC_IF_NO_TENANT_FOUND = True  # unknown hosts get the public landing page, never tenant data

MIDDLEWARE = [
    "portal.middleware.CachedTenantMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # /static/ (the console's assets too), before sessions
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it answers a locked-out sign-in
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "portal" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
WSGI_APPLICATION = "portal.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django_tenants.postgresql_backend",
        "NAME": env("ROSTER_DB_NAME", "roster"),
        "USER": env("ROSTER_DB_USER", "roster"),
        "PASSWORD": env("ROSTER_DB_PASSWORD", ""),
        "HOST": env("ROSTER_DB_HOST", "127.0.0.1"),
        "PORT": env("ROSTER_DB_PORT", "54329"),
        # Session-level schema switching: never put a transaction-mode pooler in front (DESIGN: tenancy).
        # Long-lived: a new connection's first search is ~10 ms slower (PostgreSQL's per-backend catalog
        # caches, search's prepared statements), so each web thread should pay it rarely.
        "CONN_MAX_AGE": int(env("ROSTER_DB_CONN_MAX_AGE", "600")),
        "TEST": {"NAME": env("ROSTER_TEST_DB_NAME", "test_roster")},
    }
}
DATABASE_ROUTERS = ("django_tenants.routers.TenantSyncRouter",)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env("ROSTER_REDIS_URL", "redis://127.0.0.1:63799/0")
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Roles answer the admin's permission questions (accounts.policy); ModelBackend still signs people in.
# Axes first: a locked-out username + address pair is refused before any password is checked.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend",
                           "accounts.backends.RoleBackend", "allauth.account.auth_backends.AuthenticationBackend"]
# Password sign-in throttling (django-axes, attempts kept in each tenant's schema): after
# ROSTER_LOGIN_FAILURE_LIMIT failures for one username from one address, that pair waits the cool-off.
AXES_FAILURE_LIMIT = int(env("ROSTER_LOGIN_FAILURE_LIMIT", "10"))
AXES_COOLOFF_TIME = float(env("ROSTER_LOGIN_COOLOFF_HOURS", "0.25"))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False  # no banner on every manage.py command
AXES_IPWARE_PROXY_COUNT = int(env("ROSTER_PROXY_COUNT", "0"))  # trust X-Forwarded-For only behind a proxy
LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / ".run" / "static"
# The web console (console/, built by scripts/console.sh into console/dist): its assets are collected under
# static/console/ and served by WhiteNoise; portal.console answers its pages with dist/index.html.
CONSOLE_DIST = BASE_DIR / "console" / "dist"
STATICFILES_DIRS = [("console", CONSOLE_DIST)] if CONSOLE_DIST.is_dir() else []


def _hashed_console_asset(path: str, url: str) -> bool:
    """Vite names its built assets by content hash: browsers may keep them forever."""
    import re
    return bool(re.match(r"^/?static/console/assets/.+-[0-9A-Za-z_-]{8,}\.\w+$", url))


WHITENOISE_IMMUTABLE_FILE_TEST = _hashed_console_asset
# collectstatic writes gzip (and brotli, when installed) copies next to each file; WhiteNoise sends them to
# browsers that accept them. No manifest: templates keep plain /static/ paths, Vite already hashes the console's.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
# Password sign-in for local accounts on allauth's page (styled like the console); the admin has its own.
LOGIN_URL = "/accounts/login/"

# Outside local mode Roster is served over TLS: cookies only travel encrypted, browsers remember HSTS.
# X-Forwarded-Proto is trusted only when the operator says a TLS proxy sets it (otherwise anyone could).
if not DEBUG:
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(env("ROSTER_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = env("ROSTER_SSL_REDIRECT", "1") == "1"
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
if env("ROSTER_BEHIND_TLS_PROXY", "0") == "1":
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_AGE = int(env("ROSTER_SESSION_SECONDS", str(12 * 3600)))

# Seconds a successful API token lookup is reused in a process (portal.authentication); 0 turns it off.
AUTH_CACHE_SECONDS = float(env("ROSTER_AUTH_CACHE_SECONDS", "10"))
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.RosterTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    # Every operation's least role is in accounts.policy; an operation missing there is refused.
    "DEFAULT_PERMISSION_CLASSES": ["accounts.permissions.RolePermission"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "portal.pagination.BoundedLimitOffsetPagination",
    "DEFAULT_PARSER_CLASSES": ["portal.parsers.BoundedJSONParser", "rest_framework.parsers.FormParser",
                               "rest_framework.parsers.MultiPartParser"],
    "PAGE_SIZE": 100,
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle",
                                 "rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env("ROSTER_API_ANON_RATE", "120/min"),
                               "user": env("ROSTER_API_USER_RATE", "20000/min")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Roster API",
    "DESCRIPTION": "Self-discovering service catalog: connections, discovery runs, facts, services, teams, search.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}

# --- Celery -----------------------------------------------------------------
CELERY_BROKER_URL = env("ROSTER_BROKER_URL", REDIS_URL)
CELERY_RESULT_BACKEND = env("ROSTER_RESULT_BACKEND", REDIS_URL)
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 3600
CELERY_BEAT_SCHEDULER = "portal.beat:TenantScheduler"  # tenant-schemas-celery's, reconnecting after an outage
CELERY_TASK_ALWAYS_EAGER = env("ROSTER_CELERY_EAGER", "0") == "1"
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": int(env("ROSTER_VISIBILITY_TIMEOUT", "600"))}
# Several Roster installations (or test sessions) may share one Redis: each keeps its queues under its prefix.
if env("ROSTER_BROKER_KEY_PREFIX", ""):
    CELERY_BROKER_TRANSPORT_OPTIONS["global_keyprefix"] = env("ROSTER_BROKER_KEY_PREFIX", "")
# A task is stopped before the broker would hand its message to another worker: soft limit first (the
# job records a failure), then the hard kill, both below the visibility timeout, so nothing runs twice.
if CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] < 120:
    raise ImproperlyConfigured("ROSTER_VISIBILITY_TIMEOUT must be at least 120 seconds: a job's time limits sit "
                               "90 and 30 seconds below it")
CELERY_TASK_TIME_LIMIT = CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] - 30
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - 60

# --- Discovery ----------------------------------------------------------------
ROSTER_AWS_ENDPOINT_URL = env("ROSTER_AWS_ENDPOINT_URL", "")  # moto locally; empty for real AWS
ROSTER_PLATFORM_ACCOUNT_ID = env("ROSTER_PLATFORM_ACCOUNT_ID", "123456789012")
# The identity customer roles trust (the template's principal); only the operator sets it, never a tenant.
ROSTER_AWS_PRINCIPAL_ARN = env("ROSTER_AWS_PRINCIPAL_ARN", "")
# Local peers mode: tenant config may point connections at the local moto server and GitHub emulator
# (loopback). Off in production, where workers only call AWS, api.github.com and the hosts below.
ROSTER_LOCAL_PEERS = env("ROSTER_LOCAL_PEERS", "0") == "1"
ROSTER_GITHUB_EMULATOR_URL = env("ROSTER_GITHUB_EMULATOR_URL", "")
# GitHub Enterprise Server API roots the operator allows, e.g. https://github.example.com/api/v3
ROSTER_GITHUB_ENTERPRISE_URLS = [u.strip().rstrip("/") for u in env("ROSTER_GITHUB_ENTERPRISE_URLS", "").split(",")
                                 if u.strip()]
# On-call (oncall.endpoints): keys go to api.pagerduty.com and api[.eu].opsgenie.com only; in local peers mode to
# these local stand-ins instead (peers.pagerduty_peer, peers.opsgenie_peer). Never a tenant's choice.
ROSTER_PAGERDUTY_URL = env("ROSTER_PAGERDUTY_URL", "")
ROSTER_OPSGENIE_URL = env("ROSTER_OPSGENIE_URL", "")
ROSTER_FACT_BATCH_SIZE = int(env("ROSTER_FACT_BATCH_SIZE", "200"))
# The shared token bucket per (tenant, AWS account, service and region) every worker draws from
# (discovery.ratelimit): requests per second when all is quiet, and the burst a quiet bucket allows.
# Against the local moto server (local peers mode) the default is ten times faster: moto has no limits to respect.
ROSTER_AWS_RATE_PER_SECOND = float(env("ROSTER_AWS_RATE_PER_SECOND", "200" if ROSTER_LOCAL_PEERS else "20"))
ROSTER_AWS_RATE_BURST = float(env("ROSTER_AWS_RATE_BURST", str(2 * ROSTER_AWS_RATE_PER_SECOND)))
if ROSTER_AWS_RATE_PER_SECOND <= 0 or ROSTER_AWS_RATE_BURST < 1:
    raise ImproperlyConfigured("ROSTER_AWS_RATE_PER_SECOND must be positive and ROSTER_AWS_RATE_BURST at least 1")
# Job leases (discovery.runs): a job's worker renews its lease every heartbeat; a lapsed lease means the worker
# died, and the watchdog sends the job again, up to the attempts, then dead-letters it.
ROSTER_JOB_LEASE_SECONDS = int(env("ROSTER_JOB_LEASE_SECONDS", "60"))
# A run's live stream (GET /api/v1/runs/<id>/events/) ends after this long; the browser reconnects by itself.
ROSTER_RUN_STREAM_SECONDS = int(env("ROSTER_RUN_STREAM_SECONDS", "300"))
ROSTER_JOB_HEARTBEAT_SECONDS = int(env("ROSTER_JOB_HEARTBEAT_SECONDS", "15"))
ROSTER_JOB_MAX_ATTEMPTS = int(env("ROSTER_JOB_MAX_ATTEMPTS", "3"))
# At most this many jobs of one tenant run at once (0: no cap); the others wait in their tenant's queue shard.
ROSTER_TENANT_MAX_RUNNING_JOBS = int(env("ROSTER_TENANT_MAX_RUNNING_JOBS", "0"))
ROSTER_RUN_STALL_MINUTES = int(env("ROSTER_RUN_STALL_MINUTES", "10"))
if not 1 <= ROSTER_JOB_HEARTBEAT_SECONDS <= ROSTER_JOB_LEASE_SECONDS // 2:
    raise ImproperlyConfigured("ROSTER_JOB_HEARTBEAT_SECONDS must be at least 1 and at most half of "
                               "ROSTER_JOB_LEASE_SECONDS: a lease must survive a missed renewal")
if ROSTER_JOB_MAX_ATTEMPTS < 1 or ROSTER_RUN_STALL_MINUTES * 60 <= ROSTER_JOB_LEASE_SECONDS:
    raise ImproperlyConfigured("ROSTER_JOB_MAX_ATTEMPTS must be at least 1 and ROSTER_RUN_STALL_MINUTES longer "
                               "than a lease")
ROSTER_RETIRE_GUARD_RATIO = float(env("ROSTER_RETIRE_GUARD_RATIO", "0.20"))

# --- Webhooks out (notifications) ---------------------------------------------
ROSTER_WEBHOOK_TIMEOUT_SECONDS = float(env("ROSTER_WEBHOOK_TIMEOUT_SECONDS", "10"))  # per attempt, in total
ROSTER_WEBHOOK_BACKOFF_SECONDS = float(env("ROSTER_WEBHOOK_BACKOFF_SECONDS", "30"))  # first retry; then doubling
ROSTER_WEBHOOK_BACKOFF_MAX_SECONDS = float(env("ROSTER_WEBHOOK_BACKOFF_MAX_SECONDS", "3600"))
ROSTER_WEBHOOK_RETRY_FOR_SECONDS = float(env("ROSTER_WEBHOOK_RETRY_FOR_SECONDS", "86400"))  # then given up
# A subscription is turned off after this many failed attempts in a row, or after failing this long.
ROSTER_WEBHOOK_DISABLE_AFTER_FAILURES = int(env("ROSTER_WEBHOOK_DISABLE_AFTER_FAILURES", "20"))
ROSTER_WEBHOOK_DISABLE_AFTER_SECONDS = float(env("ROSTER_WEBHOOK_DISABLE_AFTER_SECONDS", "86400"))
# Links in payloads: the tenant's console, {host} being its primary domain (e.g. http://{host}:8000 locally).
ROSTER_WEBHOOK_CONSOLE_URL = env("ROSTER_WEBHOOK_CONSOLE_URL", "https://{host}")

# --- Slack app (slackbot) -------------------------------------------------------
# Every request from Slack is verified with the app's signing secret (Basic Information > App Credentials); with
# none set, the Slack endpoints answer 503 and verify nothing.
SLACK_SIGNING_SECRET = env("SLACK_SIGNING_SECRET", "")
# OAuth v2 install (/slack/install): the app's client id and secret; the redirect URI only when the app lists
# several (Slack then needs to be told which).
SLACK_CLIENT_ID = env("SLACK_CLIENT_ID", "")
SLACK_CLIENT_SECRET = env("SLACK_CLIENT_SECRET", "")
SLACK_REDIRECT_URI = env("SLACK_REDIRECT_URI", "")
# The local Slack peer's Web API root (e.g. http://127.0.0.1:8900/api/): honoured in local peers mode only.
ROSTER_SLACK_API_URL = env("ROSTER_SLACK_API_URL", "")
# Links in Slack answers: the tenant's console, {host} being its primary domain.
ROSTER_SLACK_CONSOLE_URL = env("ROSTER_SLACK_CONSOLE_URL", ROSTER_WEBHOOK_CONSOLE_URL)
# The platform's public URL, where Slack calls (/slack/...): install links are made from it.
ROSTER_SLACK_PUBLIC_URL = env("ROSTER_SLACK_PUBLIC_URL", "")

# --- Search -------------------------------------------------------------------
ROSTER_SEARCH_BACKEND = env("ROSTER_SEARCH_BACKEND", "postgres")  # postgres | meilisearch
MEILISEARCH_URL = env("MEILISEARCH_URL", "")
MEILISEARCH_API_KEY = env("MEILISEARCH_API_KEY", "")

# text (the default) or json: one JSON object per line (time, level, logger, message, tenant, process).
ROSTER_LOG_FORMAT = env("ROSTER_LOG_FORMAT", "text")
if ROSTER_LOG_FORMAT not in ("text", "json"):
    raise ImproperlyConfigured("ROSTER_LOG_FORMAT must be text or json")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"redact": {"()": "portal.logging.RedactSecretsFilter"},
                "tenant": {"()": "portal.logging.TenantFilter"}},
    # Masks the whole formatted line, tracebacks included (the filter alone sees the message only).
    "formatters": {"redacted": {"class": "portal.logging.RedactingFormatter"},
                   "json": {"()": "portal.logging.json_formatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "filters": ["redact", "tenant"],
                             "formatter": "json" if ROSTER_LOG_FORMAT == "json" else "redacted"}},
    "root": {"handlers": ["console"], "level": env("ROSTER_LOG_LEVEL", "INFO")},
    "loggers": {"botocore": {"level": "WARNING"}, "urllib3": {"level": "WARNING"}},
}

# --- Sign-in (django-allauth) ---------------------------------------------------
# GitHub (members of the tenant's GitHub orgs) and OpenID Connect providers, configured from the environment
# (accounts/signin/config.py: ROSTER_GITHUB_OAUTH_*, ROSTER_OIDC_*), never as SocialApp rows, so no tenant
# needs django.contrib.sites. Who may sign in where and what they become: accounts/signin/adapter.py.
from accounts.signin.config import socialaccount_providers  # noqa: E402

SOCIALACCOUNT_PROVIDERS = socialaccount_providers(os.environ, local_peers=ROSTER_LOCAL_PEERS,
                                                  emulator_url=ROSTER_GITHUB_EMULATOR_URL)
SOCIALACCOUNT_ADAPTER = "accounts.signin.adapter.SocialAccountAdapter"
ACCOUNT_ADAPTER = "accounts.signin.adapter.AccountAdapter"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = False  # never hand a local account to a provider vouching for its email
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = False
SOCIALACCOUNT_QUERY_EMAIL = True
SOCIALACCOUNT_STORE_TOKENS = False  # users' provider tokens are used during sign-in only
SOCIALACCOUNT_LOGIN_ON_GET = False  # sign-in starts with a POST (CSRF-protected), never a bare link
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
ACCOUNT_EMAIL_VERIFICATION = "none"  # Roster sends no mail; providers vouch for addresses
ACCOUNT_UNIQUE_EMAIL = False  # two providers may know one address; accounts are matched by provider uid only
ACCOUNT_LOGOUT_REDIRECT_URL = LOGIN_URL
LOGIN_REDIRECT_URL = "/"  # the console
