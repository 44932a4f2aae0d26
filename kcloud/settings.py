"""KCloud Monitor settings: everything comes from the environment, read here once.

Every variable is documented in ``.env.example``. Bad values stop start-up with a
message naming the variable (see ``kcloud.env``). Backends are switchable:
``DATABASE_URL`` (SQLite by default), ``REDIS_URL`` (in-process cache and channel
layer when unset).
"""

from __future__ import annotations

from pathlib import Path

from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured

from kcloud.env import (
    env_bool,
    env_database,
    env_int,
    env_list,
    env_networks,
    env_rate,
    env_redis_url,
    env_str,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("KCLOUD_VAR_DIR", str(BASE_DIR / "var")))
VAR_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("DEBUG", False)

_DEV_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-kcloud-monitor-0001"  # noqa: S105 (DEBUG only)
SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = _DEV_SECRET_KEY
elif len(SECRET_KEY) < 32 and not DEBUG:
    raise ImproperlyConfigured("SECRET_KEY must be at least 32 characters long when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
CORS_ALLOWED_ORIGINS = env_list("CORS_ALLOWED_ORIGINS")
for _origin in CSRF_TRUSTED_ORIGINS + CORS_ALLOWED_ORIGINS:
    if not _origin.startswith(("http://", "https://")):
        raise ImproperlyConfigured(
            f"CSRF_TRUSTED_ORIGINS/CORS_ALLOWED_ORIGINS entry {_origin!r} must start with http:// or https://."
        )

# Transport security: on by default in production, switchable for plain-HTTP
# loopback setups (a demo or a sidecar behind a TLS-terminating proxy).
_SECURE_DEFAULT = not DEBUG
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", _SECURE_DEFAULT)
# Machine endpoints are reached in plain HTTP from inside the network (kubelet probes, a
# Prometheus scraping the pod or VM): no redirect, which they would not follow to the proxy.
SECURE_REDIRECT_EXEMPT = [r"^api/v1/system/(health|version|metrics)$", r"^metrics/fleet$"]
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", _SECURE_DEFAULT)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", _SECURE_DEFAULT)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000 if _SECURE_DEFAULT else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HSTS_SECONDS > 0
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", False)
KCLOUD_BEHIND_PROXY = env_bool("KCLOUD_BEHIND_PROXY", False)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if KCLOUD_BEHIND_PROXY else None
SECURE_CONTENT_TYPE_NOSNIFF = True
# HSTS preload commits the whole domain to HTTPS for months: the operator's call
# (SECURE_HSTS_PRELOAD), so its absence is not a warning here.
SILENCED_SYSTEM_CHECKS = ["security.W021"]
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy: scripts only from this site (no inline script in any page, the
# browsable API or the API docs), nothing may frame us, forms post only here. Inline styles
# are allowed: templates set widths and colours in style attributes, uPlot sizes its canvas.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'", "'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'", "data:"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True

INSTALLED_APPS = [
    "daphne",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_prometheus",
    "corsheaders",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI / ReDoc assets served from static/ (no CDN)
    "csp",
    "channels",
    "huey.contrib.djhuey",
    "kcloud.auth",
    "clusters",
    "accelerators",
    "infrastructure",
    "hardware",
    "monitoring",
    "exports",
    "system",
]

MIDDLEWARE = [
    # A request id for every request (X-Request-ID), and one structured log line per request.
    "kcloud.logs.RequestLogMiddleware",
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "corsheaders.middleware.CorsMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switcher's cookie, else the browser's Accept-Language (en or ko).
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Every page: staff with a role only; also sets whether answers may show internal details.
    "kcloud.auth.middleware.StaffPagesMiddleware",
    # Changes made during a request are audited as that user, from that address.
    "kcloud.auth.audit.AuditContextMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "kcloud.urls"
WSGI_APPLICATION = "kcloud.wsgi.application"
ASGI_APPLICATION = "kcloud.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "kcloud.context_processors.navigation",
            ],
            # Every template may use the display filters without {% load %}.
            "builtins": ["kcloud.templatetags.display"],
        },
    },
]

DATABASES = {"default": env_database("DATABASE_URL", f"sqlite:///{VAR_DIR / 'kcloud.sqlite3'}")}
# A connection is checked before reuse: after a database restart the next request reconnects
# instead of failing on a dead socket.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Each ASGI request runs its sync code in its own thread: without a pool, 200 concurrent
    # requests would open 200 connections and PostgreSQL (max_connections 100) refuse the rest.
    # With it a process holds at most DATABASE_POOL_MAX_SIZE; a request waits up to 10 s for one.
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps them instead
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": env_int("DATABASE_POOL_MAX_SIZE", 20, minimum=1, maximum=500),
        "timeout": 10,
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = env_redis_url("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "kcloud",
            "OPTIONS": {
                # Redis down means slower, not broken: cache errors become misses.
                "IGNORE_EXCEPTIONS": True,
                "SOCKET_CONNECT_TIMEOUT": 1,
                "SOCKET_TIMEOUT": 1,
            },
        }
    }
    DJANGO_REDIS_IGNORE_EXCEPTIONS = True
    DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [REDIS_URL], "prefix": "kcloud"},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "kcloud"}}
    CHANNEL_LAYERS = {"default": {"BACKEND": "channels.layers.InMemoryChannelLayer"}}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "overview"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
# Pages, forms, messages and reports in English or Korean; the API's field names and error
# codes stay English whatever the language (error messages may follow Accept-Language).
LANGUAGES = [("en", "English"), ("ko", "한국어")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The container image collects them into the image (STATIC_ROOT=/app/staticfiles): VAR_DIR is a volume there.
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "staticfiles")) or VAR_DIR / "staticfiles")
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
# Serve straight from the finders too, so `make demo` needs no collectstatic step.
WHITENOISE_USE_FINDERS = True
# Collected files get content-hashed names (kcloud/static.py): proxies may cache them for ever.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "kcloud.static.HashedStaticStorage"},
}

# --- Credentials at rest -------------------------------------------------------
# One or more Fernet keys, newest first (MultiFernet): new writes use the first,
# reads try all, `manage.py rotate_credentials` re-encrypts under the first.
_credential_keys = env_list("KCLOUD_CREDENTIALS_KEY")
if not _credential_keys:
    if not DEBUG:
        raise ImproperlyConfigured(
            "KCLOUD_CREDENTIALS_KEY is required when DEBUG is off "
            '(generate one: python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())").'
        )
    # Development only: a fixed key so a dev database stays readable across restarts.
    _credential_keys = ["ZGV2LW9ubHkta2V5LWtjbG91ZC1tb25pdG9yLTAwMDE="]
for _key in _credential_keys:
    try:
        Fernet(_key)
    except (ValueError, TypeError):
        raise ImproperlyConfigured(
            "KCLOUD_CREDENTIALS_KEY holds a value that is not a Fernet key (32 url-safe base64 bytes)."
        ) from None
KCLOUD_CREDENTIALS_KEYS = _credential_keys

# --- API -------------------------------------------------------------------------
# The anonymous health endpoint counts clusters; this also names them (an internal balancer).
KCLOUD_HEALTH_NAMES_CLUSTERS = env_bool("KCLOUD_HEALTH_NAMES_CLUSTERS", False)
KCLOUD_BASIC_AUTH = env_bool("KCLOUD_BASIC_AUTH", False)
_authentication = [
    "kcloud.auth.authentication.ApiTokenAuthentication",
    "kcloud.auth.authentication.StaffSessionAuthentication",
]
if KCLOUD_BASIC_AUTH:
    _authentication.append("rest_framework.authentication.BasicAuthentication")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": _authentication,
    "DEFAULT_PERMISSION_CLASSES": ["kcloud.auth.permissions.CanRead"],
    "DEFAULT_RENDERER_CLASSES": [
        "rest_framework.renderers.JSONRenderer",
        "kcloud.api.renderers.KCloudBrowsableAPIRenderer",
    ],
    "DEFAULT_PAGINATION_CLASS": "kcloud.api.pagination.KCloudPagination",
    "PAGE_SIZE": 100,
    "EXCEPTION_HANDLER": "kcloud.api.errors.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        "kcloud.auth.throttling.TokenRateThrottle",
        "kcloud.auth.throttling.UserRateThrottle",
        "kcloud.auth.throttling.AnonRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "token": env_rate("KCLOUD_THROTTLE_TOKEN", "600/min"),
        "user": env_rate("KCLOUD_THROTTLE_USER", "1200/min"),
        "anon": env_rate("KCLOUD_THROTTLE_ANON", "60/min"),
        "exports": env_rate("KCLOUD_THROTTLE_EXPORTS", "60/hour"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    # Anonymous throttling keys on the client address: trust X-Forwarded-For only
    # for as many proxies as we actually sit behind (a client can forge the rest).
    "NUM_PROXIES": env_int("KCLOUD_NUM_PROXIES", 1 if KCLOUD_BEHIND_PROXY else 0, minimum=0, maximum=5),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "KCloud Monitor API",
    "DESCRIPTION": "Power, energy, carbon and cost of GPU/NPU Kubernetes clusters.",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    # The docs must work on a closed network: pinned assets from drf-spectacular-sidecar,
    # and no call to the public spec validator. (No ReDoc: its bundle always loads a logo
    # from a CDN.)
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "SWAGGER_UI_SETTINGS": {"validatorUrl": None, "persistAuthorization": True, "displayRequestDuration": True},
}

# --- Background work (huey) -------------------------------------------------------------
# Alert evaluation, notification delivery and scheduled reports run in `manage.py run_huey`
# (started by `make demo`). The queue lives in Redis when configured, else in a SQLite file
# beside the database; what must not be lost (notifications) is in the database anyway.
KCLOUD_EVALUATION_SECONDS = env_int("KCLOUD_EVALUATION_SECONDS", 60, minimum=10, maximum=3600)
# E-mail (alert notifications, scheduled reports): SMTP when EMAIL_HOST is set; without it the
# messages are written to the worker's log (the demo), which a production setup must not rely on.
EMAIL_HOST = env_str("EMAIL_HOST", "") or ""
EMAIL_PORT = env_int("EMAIL_PORT", 587, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", True)
EMAIL_TIMEOUT = 30
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "kcloud-monitor@localhost") or "kcloud-monitor@localhost"
EMAIL_BACKEND = (
    "django.core.mail.backends.smtp.EmailBackend" if EMAIL_HOST else "django.core.mail.backends.console.EmailBackend"
)
# Scheduled reports kept for download this many days.
KCLOUD_REPORT_RETENTION_DAYS = env_int("KCLOUD_REPORT_RETENTION_DAYS", 90, minimum=1, maximum=3650)
# A worker's claim on a notification it is sending; one that dies is replaced after this.
KCLOUD_NOTIFICATION_CLAIM_SECONDS = env_int("KCLOUD_NOTIFICATION_CLAIM_SECONDS", 120, minimum=1, maximum=3600)
if REDIS_URL:
    HUEY = {"huey_class": "huey.RedisHuey", "name": "kcloud", "url": REDIS_URL, "immediate": False}
else:
    HUEY = {
        "huey_class": "huey.SqliteHuey",
        "name": "kcloud",
        "filename": str(VAR_DIR / "huey.sqlite3"),
        "immediate": False,
    }

# --- Prometheus adapter ----------------------------------------------------------
# The process's one pool of threads for Prometheus requests, the share of it one request may
# hold at a time, and how long a cluster's work may wait for a thread before it is "busy".
KCLOUD_FANOUT_WORKERS = env_int("KCLOUD_FANOUT_WORKERS", 16, minimum=1, maximum=256)
KCLOUD_REQUEST_THREADS = env_int("KCLOUD_REQUEST_THREADS", 8, minimum=1, maximum=256)
KCLOUD_FANOUT_QUEUE_SECONDS = env_int("KCLOUD_FANOUT_QUEUE_SECONDS", 30, minimum=1, maximum=600)
KCLOUD_PROMETHEUS_RETRIES = env_int("KCLOUD_PROMETHEUS_RETRIES", 2, minimum=0, maximum=5)
KCLOUD_CACHE_ENABLED = env_bool("KCLOUD_CACHE_ENABLED", True)

# --- Live streams ------------------------------------------------------------------
# Messages one WebSocket/SSE client may have waiting before it is dropped as too slow.
KCLOUD_STREAM_CLIENT_QUEUE = env_int("KCLOUD_STREAM_CLIENT_QUEUE", 32, minimum=1, maximum=10_000)
# Bytes daphne may hold unsent for one client before it is dropped.
KCLOUD_STREAM_CLIENT_BUFFER_BYTES = env_int("KCLOUD_STREAM_CLIENT_BUFFER_BYTES", 1 << 20, minimum=1024)
# SSE heartbeat comment interval.
# Live streams one API token or user may hold open at once (WebSocket and SSE together).
KCLOUD_STREAM_MAX_PER_PRINCIPAL = env_int("KCLOUD_STREAM_MAX_PER_PRINCIPAL", 20, minimum=1, maximum=10_000)
KCLOUD_STREAM_HEARTBEAT_SECONDS = env_int("KCLOUD_STREAM_HEARTBEAT_SECONDS", 15, minimum=1, maximum=300)

# --- Exports ---------------------------------------------------------------------
# Most data points (rows x value columns) one export may hold; above it the API
# answers 400 and suggests a larger step.
KCLOUD_EXPORT_MAX_POINTS = env_int("KCLOUD_EXPORT_MAX_POINTS", 5_000_000, minimum=1000)

# --- System ----------------------------------------------------------------------
KCLOUD_METRICS_TOKEN = env_str("KCLOUD_METRICS_TOKEN")
# /metrics/fleet: networks that may scrape it without a token (an internal Prometheus),
# and the most pods ?pods=true lists (the most powerful first).
KCLOUD_FLEET_METRICS_NETWORKS = env_networks("KCLOUD_FLEET_METRICS_NETWORKS")
KCLOUD_FLEET_METRICS_MAX_PODS = env_int("KCLOUD_FLEET_METRICS_MAX_PODS", 500, minimum=1, maximum=100_000)
KCLOUD_GIT_REVISION = env_str("KCLOUD_GIT_REVISION")
PROMETHEUS_METRIC_NAMESPACE = ""

LOG_LEVEL = (env_str("LOG_LEVEL", "INFO") or "INFO").upper()
if LOG_LEVEL not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
    raise ImproperlyConfigured(f"LOG_LEVEL={LOG_LEVEL!r} is not a logging level.")
# JSON lines (with the request id) unless LOG_FORMAT=plain; plain by default under DEBUG.
LOG_FORMAT = (env_str("LOG_FORMAT", "plain" if DEBUG else "json") or "json").lower()
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r} is not json or plain.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "kcloud.logs.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # urllib3 at DEBUG prints request lines; keep it quiet whatever LOG_LEVEL says.
        "urllib3": {"level": "WARNING"},
    },
}
