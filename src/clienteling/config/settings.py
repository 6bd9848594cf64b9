"""Settings, read from the environment.

Defaults give a working development install on SQLite; ``DJANGO_ENV=production``
refuses to start with an insecure default.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parents[3]
PACKAGE_DIR = Path(__file__).resolve().parents[1]


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw == "":
        return default
    return raw.strip().lower() in {"1", "true", "yes", "on"}


def env_float(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    return float(raw) if raw else default


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env_str(name, default).split(",") if item.strip()]


def database_from_url(url: str) -> dict[str, object]:
    """Translate ``sqlite:///path`` or ``postgresql://user:pw@host:port/db`` into Django's form."""
    parsed = urlparse(url)
    if parsed.scheme == "sqlite":
        # sqlite:///relative/to/checkout.sqlite3 or sqlite:////absolute/path.sqlite3
        path = unquote(url.split(":///", 1)[1]) if ":///" in url else ""
        name = str(BASE_DIR / path) if path and not path.startswith("/") else path
        name = name or str(BASE_DIR / "var" / "clienteling.sqlite3")
        # A fresh clone has no var/; SQLite creates the file but not its folder.
        Path(name).parent.mkdir(parents=True, exist_ok=True)
        return {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": name,
            # IMMEDIATE makes a write transaction take the write lock when it begins, so
            # concurrent writers queue instead of failing half-way ("database is locked").
            "OPTIONS": {
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": (
                    "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
                    "PRAGMA foreign_keys=ON; PRAGMA cache_size=-64000;"
                ),
            },
            # One test database per test run, so two runs in one checkout do not collide.
            "TEST": {"NAME": f"{name}.test-{os.getpid()}"},
        }
    if parsed.scheme in {"postgres", "postgresql"}:
        options: dict[str, object] = {
            # An unreachable server fails a request in seconds instead of hanging a worker.
            "connect_timeout": 5,
            **{key: values[-1] for key, values in parse_qs(parsed.query).items()},
        }
        return {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": unquote(parsed.path.lstrip("/")),
            "USER": unquote(parsed.username or ""),
            "PASSWORD": unquote(parsed.password or ""),
            "HOST": parsed.hostname or "",
            "PORT": str(parsed.port or ""),
            # Persistent connections suit gunicorn's few long-lived workers; runserver opens a
            # thread per request, and kept connections would pile up to the server's limit.
            "CONN_MAX_AGE": env_int("DB_CONN_MAX_AGE", 60 if PRODUCTION else 0),
            "CONN_HEALTH_CHECKS": True,
            "OPTIONS": options,
        }
    raise ImproperlyConfigured(f"DATABASE_URL scheme {parsed.scheme!r} is not supported")


PRODUCTION = env_str("DJANGO_ENV", "development") == "production"

SECRET_KEY = env_str("SECRET_KEY")
MIN_SECRET_KEY_LENGTH = 50
if not SECRET_KEY:
    if PRODUCTION:
        raise ImproperlyConfigured("SECRET_KEY must be set when DJANGO_ENV=production")
    SECRET_KEY = "development-only-not-secret-" + "x" * 32
elif PRODUCTION and (len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH or len(set(SECRET_KEY)) < 5):
    raise ImproperlyConfigured(
        f"SECRET_KEY must be at least {MIN_SECRET_KEY_LENGTH} random characters when "
        "DJANGO_ENV=production (python -c 'import secrets; print(secrets.token_urlsafe(50))')"
    )

DEBUG = env_bool("DEBUG", default=not PRODUCTION)
if PRODUCTION and DEBUG:
    raise ImproperlyConfigured("DEBUG must be off when DJANGO_ENV=production")

ALLOWED_HOSTS = env_list(
    "ALLOWED_HOSTS", "" if PRODUCTION else "127.0.0.1,localhost,[::1],testserver"
)
if PRODUCTION and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DJANGO_ENV=production")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "ninja",  # serves Swagger UI from its static files, not from a CDN
    "axes",
    "django_tasks",
    "django_tasks_db",
    "clienteling.core",
    "clienteling.organization",
    "clienteling.jobs",
    "clienteling.customers",
    "clienteling.attributes",
    "clienteling.clientbooks",
    "clienteling.timeline",
    "clienteling.sales",
    "clienteling.insights",
    "clienteling.dataio",
    "clienteling.engagement",
    "clienteling.storeapp",
    "clienteling.api",
    "clienteling.backoffice",
]
if not PRODUCTION:
    # Demo data, the fakes of the Microsoft services and the benchmark: never in production,
    # where their commands are unknown.
    INSTALLED_APPS += ["clienteling.demo", "clienteling.bench"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "clienteling.core.request_memo.RequestMemoMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # After the login is known: the worker's own language wins over the browser's (R-UX-2).
    "clienteling.config.language.UserLanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "clienteling.config.middleware.InputGuardMiddleware",
    "clienteling.config.middleware.FailureMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it answers a locked-out login.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "clienteling.config.urls"
WSGI_APPLICATION = "clienteling.config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "clienteling.insights.context_processors.secret_warnings",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(env_str("DATABASE_URL", "sqlite:///var/clienteling.sqlite3"))
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# An index's INCLUDE columns (Today's dates, attributes/models.py) serve PostgreSQL; SQLite
# builds the index without them, as it should, and need not say so at every command.
SILENCED_SYSTEM_CHECKS = (
    ["models.W040"] if str(DATABASES["default"]["ENGINE"]).endswith("sqlite3") else []
)

# A read replica (R-SCALE-3, docs/scaling.md): with DATABASE_REPLICA_URL set, the reads of
# pages go to it and everything else to DATABASE_URL (config/db_router.py); unset, there is
# no router and every query goes to DATABASE_URL. Tests read the replica as the primary.
DATABASE_REPLICA_URL = env_str("DATABASE_REPLICA_URL")
# Seconds after a browser's write during which its pages read the primary.
REPLICA_PIN_SECONDS = env_int("REPLICA_PIN_SECONDS", 10)
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = {
        **database_from_url(DATABASE_REPLICA_URL),
        "TEST": {"MIRROR": "default"},
    }
    DATABASE_ROUTERS = ["clienteling.config.db_router.PrimaryReplicaRouter"]
    # First, so that what the other middleware read and write is routed as well.
    MIDDLEWARE.insert(0, "clienteling.config.db_router.ReplicaReadsMiddleware")

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's backend, failing soft when Redis is down (core/cache.py).
            "BACKEND": "clienteling.core.cache.FailSoftRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "clienteling"),
            # A page waits at most this long for an unreachable Redis, once per process.
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    # Sessions read from Redis, written to both: a page needs no session query. Only with a
    # shared cache: a per-process one would keep a logged-out session alive elsewhere.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Background jobs (R-JOB-1): django-tasks, queued in the database (no extra server), or in
# Redis through RQ for many workers (TASKS_BACKEND=redis). `manage.py jobs_worker` runs them.
TASKS_BACKEND = env_str("TASKS_BACKEND", "database")
if TASKS_BACKEND == "redis":
    if not REDIS_URL:
        raise ImproperlyConfigured("TASKS_BACKEND=redis needs REDIS_URL")
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]
    RQ_QUEUES = {"default": {"URL": REDIS_URL}}
    TASKS = {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": ["default"]}}
elif TASKS_BACKEND == "database":
    TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}
else:
    raise ImproperlyConfigured("TASKS_BACKEND is 'database' or 'redis'")
# Uploaded imports and job results; with several hosts, a shared volume.
MEDIA_ROOT = Path(env_str("MEDIA_ROOT", str(BASE_DIR / "var" / "media")))

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

AUTHENTICATION_BACKENDS = [
    # Counts failed logins and refuses a locked-out one before the password is checked.
    "axes.backends.AxesStandaloneBackend",
    "clienteling.organization.backends.WorkerLoginBackend",
]
# Logins (R-SEC-2): after 5 failures for one username, or from one address, further
# attempts, even with the right password, are refused for 15 minutes; HQ unlocks earlier
# with `manage.py axes_reset_username NAME` (or axes_reset_ip) or in the back office.
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 15))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "storeapp/locked.html"
AXES_ENABLE_ADMIN = False  # the back office registers its own, scoped admin
AXES_VERBOSE = False
# Behind the TLS proxy the client's address is the last one it adds to X-Forwarded-For.
AXES_IPWARE_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 1 if PRODUCTION else 0)
AXES_IPWARE_META_PRECEDENCE_ORDER = (
    ("HTTP_X_FORWARDED_FOR", "REMOTE_ADDR") if PRODUCTION else ("REMOTE_ADDR",)
)

# Content-Security-Policy (R-SEC-2): scripts, styles, images and fonts from this site only;
# no inline script anywhere (htmx and the admin's styles set style attributes).
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, "'unsafe-inline'"],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("it", _("Italian")), ("lt", _("Lithuanian"))]
# The product's catalogue first; then the month and day names of the formats (R-UX-2).
LOCALE_PATHS = [PACKAGE_DIR / "locale", PACKAGE_DIR / "config" / "formats" / "locale"]
# Dates, times and numbers per language (R-UX-2): English as written in Europe, Italian,
# Lithuanian; see config/formats/.
FORMAT_MODULE_PATH = ["clienteling.config.formats"]
TIME_ZONE = env_str("TIME_ZONE", "Europe/Rome")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "static"

LOGIN_URL = "storeapp:login"
LOGIN_REDIRECT_URL = "storeapp:home"
LOGOUT_REDIRECT_URL = "storeapp:login"

SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    # TLS ends at the proxy in front of the app, which says so in X-Forwarded-Proto.
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    # Off only where the proxy itself redirects plain HTTP (its health checks then reach
    # /healthz over HTTP).
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=True)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # The SDKs and HTTP clients log request details at DEBUG; keep them out of the logs.
        "azure": {"level": "WARNING"},
        "msal": {"level": "WARNING"},
        "httpx": {"level": "WARNING"},
        "httpcore": {"level": "WARNING"},
    },
}

# Customer analytics (SPEC §8). The card waits at most this long for measures; what arrives
# later fills the cache for the next page.
CLIENTELING_MEASURE_PROVIDER = "clienteling.insights.provider.AnalyticsMeasures"
INSIGHTS_TIME_BUDGET = env_float("INSIGHTS_TIME_BUDGET", 0.4)
# Measures younger than this are not asked for again; older ones are shown while unavailable.
INSIGHTS_FRESH_SECONDS = env_int("INSIGHTS_FRESH_SECONDS", 900)
# Extra certificate authorities for Microsoft endpoints (the loopback fakes of the demo/tests).
AZURE_CA_BUNDLE = env_str("AZURE_CA_BUNDLE")
# The client secret that opens the Key Vault itself: from the environment, never the database.
KEYVAULT_CLIENT_SECRET_VARIABLE = "CLIENTELING_KEYVAULT_CLIENT_SECRET"
# Secret references (R-SEC-1): file:// reads only inside this directory (unset: no file://
# references); env:// reads only variables named CLIENTELING_SECRET_…
CLIENTELING_SECRETS_DIR = env_str("CLIENTELING_SECRETS_DIR")
# Hosts besides Microsoft's that may receive credentials ("host" or "host:port").
CLIENTELING_ALLOWED_HOSTS_EXTRA = env_list("CLIENTELING_ALLOWED_HOSTS_EXTRA")

# Outreach mail (R-OUT-1): Django's SMTP backend. The demo (DJANGO_ENV other than production,
# no EMAIL_HOST) writes each message to the console instead; EMAIL_BACKEND overrides both.
EMAIL_HOST = env_str("EMAIL_HOST")
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER")
# A plain value for now (resolving a secret reference here is left to the secrets work).
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS")
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "clienteling@localhost")
EMAIL_BACKEND = env_str(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if EMAIL_HOST or PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
# Outreach sends at most this many messages a minute (per job).
OUTREACH_RATE_PER_MINUTE = env_int("OUTREACH_RATE_PER_MINUTE", 60)
# Text messages: a backend class (clienteling.engagement.mail); no provider is wired in.
OUTREACH_SMS_BACKEND = env_str("OUTREACH_SMS_BACKEND", "clienteling.engagement.mail.NoTextBackend")
# Links in mail (unsubscribe) start with this address.
CLIENTELING_BASE_URL = env_str("CLIENTELING_BASE_URL", "http://127.0.0.1:8000").rstrip("/")
