"""ShopOps settings: everything that differs between machines comes from the environment.

With no DATABASE_URL / REDIS_URL the app runs on SQLite, the local-memory cache and eager Celery,
so `make run` works on a bare machine. Production sets the variables listed in docs/configuration.md.
"""

from __future__ import annotations

import os
from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from shopops.console.unfold_config import SIDEBAR as CONSOLE_SIDEBAR

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(os.environ.get("SHOPOPS_VAR_DIR", PROJECT_DIR / "var"))


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# Development falls back to a fixed key so `make run` needs no setup; production must set SECRET_KEY
# (docs/operations.md), and the check below refuses to start without it when DEBUG is off.
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-insecure-shopops-key-change-me-in-production-0123456789")
if not DEBUG and SECRET_KEY.startswith("dev-insecure"):
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
# Key for PII encrypted at rest (AES-GCM). Comma-separated: the first encrypts, all decrypt (rotation).
FIELD_ENCRYPTION_KEYS = env_list("FIELD_ENCRYPTION_KEYS", "")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "http://127.0.0.1:8000,http://localhost:8000")

INSTALLED_APPS = [
    "unfold",
    "unfold.contrib.filters",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "axes",
    "django_celery_beat",
    "shopops.core",
    "shopops.accounts",
    "shopops.shops",
    "shopops.catalog",
    "shopops.inventory",
    "shopops.payments",
    "shopops.cart",
    "shopops.orders",
    "shopops.aftersales",
    "shopops.reviews",
    "shopops.service",
    "shopops.notifications",
    "shopops.storefront",
    "shopops.console",
    "shopops.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: it turns a lockout raised by authenticate() into a response.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "shopops.urls"
WSGI_APPLICATION = "shopops.wsgi.application"
ASGI_APPLICATION = "shopops.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]


# --- Database -------------------------------------------------------------------------------------
def prepared_statements(database: dict) -> dict:
    """PostgreSQL: bind parameters on the server and let psycopg prepare the statements a connection
    runs again and again (the same few dozen ORM queries per request kind), so PostgreSQL skips
    parsing and planning them; on a box shared with the app that is CPU the app gets back. Django
    turns psycopg's preparing off unless `prepare_threshold` is given, so both are set here."""
    if "postgresql" in database["ENGINE"] and env_bool("DB_SERVER_SIDE_BINDING", True):
        options = database.setdefault("OPTIONS", {})
        options["server_side_binding"] = True
        options["prepare_threshold"] = int(os.environ.get("DB_PREPARE_THRESHOLD", "5"))
    return database


DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {
        "default": prepared_statements(
            dj_database_url.parse(DATABASE_URL, conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")))
        )
    }
else:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": VAR_DIR / "shopops.sqlite3",
            "OPTIONS": {"timeout": 20},
        }
    }
# Read replicas: DATABASE_REPLICA_URLS="postgres://...,postgres://..." adds aliases replica_0.. that the
# router sends reads to; writes and reads inside a transaction stay on the primary.
for index, url in enumerate(env_list("DATABASE_REPLICA_URLS", "")):
    DATABASES[f"replica_{index}"] = dj_database_url.parse(url, conn_max_age=60)
    prepared_statements(DATABASES[f"replica_{index}"])
    DATABASES[f"replica_{index}"]["TEST"] = {"MIRROR": "default"}
DATABASE_ROUTERS = ["shopops.core.db_router.PrimaryReplicaRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache, Redis ----------------------------------------------------------------------------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHE_KEY_PREFIX = os.environ.get("CACHE_KEY_PREFIX", "shopops")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": CACHE_KEY_PREFIX,
            "OPTIONS": {"CLIENT_CLASS": "django_redis.client.DefaultClient"},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "KEY_PREFIX": CACHE_KEY_PREFIX,
        }
    }
# Per-process copy of versioned catalog answers, kept coherent by Redis pub/sub (core/nearcache.py):
# the most each web/worker process holds, in bytes; 0 turns it off (every hit is one Redis round trip).
NEAR_CACHE_MAX_BYTES = int(os.environ.get("NEAR_CACHE_MAX_BYTES", str(32 * 1024 * 1024)))

SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE

# --- Celery ----------------------------------------------------------------------------------------
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "memory://localhost/")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", REDIS_URL or None)
# No broker configured: run tasks inline so a bare machine needs no worker.
CELERY_TASK_ALWAYS_EAGER = env_bool(
    "CELERY_TASK_ALWAYS_EAGER", not os.environ.get("CELERY_BROKER_URL") and not REDIS_URL
)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = "Asia/Shanghai"
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
# Periodic jobs are declared by each app in its tasks.py via shopops.core.schedule.register_periodic;
# settings only hold the merged result (see shopops/celery.py).
CELERY_BEAT_SCHEDULE: dict = {}

# --- Auth -----------------------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "shopops.accounts.backends.IdentifierBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "shopops.accounts.validators.CharacterClassValidator"},
]
LOGIN_URL = "storefront:login"
LOGIN_REDIRECT_URL = "storefront:account"
LOGOUT_REDIRECT_URL = "storefront:home"

# django-axes: lock an identifier+IP pair after 5 failures for 15 minutes.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = timedelta(minutes=int(os.environ.get("AXES_COOLOFF_MINUTES", "15")))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_CALLABLE = "shopops.accounts.throttling.lockout_response"
AXES_USERNAME_FORM_FIELD = "username"
AXES_IPWARE_PROXY_COUNT = int(os.environ.get("PROXY_COUNT", "0")) or None
AXES_VERBOSE = False

JWT_SIGNING_KEY = os.environ.get("JWT_SIGNING_KEY", SECRET_KEY)
JWT_ACCESS_TTL = timedelta(minutes=int(os.environ.get("JWT_ACCESS_MINUTES", "15")))
JWT_REFRESH_TTL = timedelta(days=int(os.environ.get("JWT_REFRESH_DAYS", "14")))

# --- Verification providers -----------------------------------------------------------------------
SMS_PROVIDER = os.environ.get("SMS_PROVIDER", "shopops.accounts.sms.ConsoleSmsProvider")
SMS_HTTP_URL = os.environ.get("SMS_HTTP_URL", "")
SMS_HTTP_API_KEY = os.environ.get("SMS_HTTP_API_KEY", "")
SMS_HTTP_SIGN_NAME = os.environ.get("SMS_HTTP_SIGN_NAME", "ShopOps")
SMS_CODE_TTL_SECONDS = 300
SMS_MAX_WRONG_TRIES = 5
SMS_RESEND_COOLDOWN_SECONDS = 60
SMS_DAILY_CAP_PER_PHONE = int(os.environ.get("SMS_DAILY_CAP_PER_PHONE", "10"))
SMS_DAILY_CAP_PER_IP = int(os.environ.get("SMS_DAILY_CAP_PER_IP", "30"))
REALNAME_PROVIDER = os.environ.get("REALNAME_PROVIDER", "shopops.accounts.realname.DevRealNameProvider")
EMAIL_VERIFICATION_MAX_AGE = timedelta(hours=48)
PASSWORD_RESET_TIMEOUT = 3600  # seconds a password-reset link stays valid

# --- Email ----------------------------------------------------------------------------------------
EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)
EMAIL_FILE_PATH = os.environ.get("EMAIL_FILE_PATH", str(VAR_DIR / "mail"))
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "ShopOps <no-reply@shopops.local>")
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# --- Payments (shopops.payments; see its package docstring) ----------------------------------------
if os.environ.get("PAYMENTS_CHANNELS"):
    PAYMENTS_CHANNELS = env_list("PAYMENTS_CHANNELS", "")
PAYMENTS_SANDBOX_ENABLED = env_bool("PAYMENTS_SANDBOX_ENABLED", DEBUG)
PAYMENTS_SANDBOX_SECRET = os.environ.get("PAYMENTS_SANDBOX_SECRET", "")
# Public https base the providers can reach for notifications; defaults to SITE_URL.
PAYMENTS_NOTIFY_BASE_URL = os.environ.get("PAYMENTS_NOTIFY_BASE_URL", "")
PAYMENTS_DEFAULT_TTL_MINUTES = int(os.environ.get("PAYMENTS_DEFAULT_TTL_MINUTES", "30"))
ALIPAY_APP_ID = os.environ.get("ALIPAY_APP_ID", "")
ALIPAY_APP_PRIVATE_KEY = os.environ.get("ALIPAY_APP_PRIVATE_KEY", "")
ALIPAY_PUBLIC_KEY = os.environ.get("ALIPAY_PUBLIC_KEY", "")
ALIPAY_SANDBOX = env_bool("ALIPAY_SANDBOX", False)
ALIPAY_SELLER_ID = os.environ.get("ALIPAY_SELLER_ID", "")
WECHATPAY_MCHID = os.environ.get("WECHATPAY_MCHID", "")
WECHATPAY_APPID = os.environ.get("WECHATPAY_APPID", "")
WECHATPAY_PRIVATE_KEY = os.environ.get("WECHATPAY_PRIVATE_KEY", "")
WECHATPAY_CERT_SERIAL_NO = os.environ.get("WECHATPAY_CERT_SERIAL_NO", "")
WECHATPAY_APIV3_KEY = os.environ.get("WECHATPAY_APIV3_KEY", "")
WECHATPAY_PUBLIC_KEY = os.environ.get("WECHATPAY_PUBLIC_KEY", "")
WECHATPAY_PUBLIC_KEY_ID = os.environ.get("WECHATPAY_PUBLIC_KEY_ID", "")

# --- Orders, cart, shipping -----------------------------------------------------------------------
ORDER_PAYMENT_TIMEOUT_MINUTES = int(os.environ.get("ORDER_PAYMENT_TIMEOUT_MINUTES", "30"))
ORDER_AUTO_CONFIRM_DAYS = int(os.environ.get("ORDER_AUTO_CONFIRM_DAYS", "10"))
SHIPPING_FREE_OVER = os.environ.get("SHIPPING_FREE_OVER", "99.00")
SHIPPING_STANDARD_FEE = os.environ.get("SHIPPING_STANDARD_FEE", "10.00")
SHIPPING_EXPRESS_FEE = os.environ.get("SHIPPING_EXPRESS_FEE", "22.00")
GUEST_CART_TTL_DAYS = int(os.environ.get("GUEST_CART_TTL_DAYS", "30"))

# --- i18n -----------------------------------------------------------------------------------------
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
CURRENCY = "CNY"

# --- Static, media --------------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", VAR_DIR / "static"))
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = DEBUG
STATIC_ROOT.mkdir(parents=True, exist_ok=True)

# --- API ------------------------------------------------------------------------------------------
NINJA_PAGINATION_PER_PAGE = 20
NINJA_PAGINATION_MAX_LIMIT = 100

# --- Admin theme (django-unfold) ------------------------------------------------------------------
UNFOLD = {
    "SITE_TITLE": _("ShopOps 运营后台"),
    "SITE_HEADER": _("ShopOps 运营后台"),
    "SITE_SYMBOL": "storefront",
    "SHOW_LANGUAGES": True,
    "DASHBOARD_CALLBACK": "shopops.console.dashboard.dashboard_callback",
    "SIDEBAR": CONSOLE_SIDEBAR,
    "COLORS": {
        "primary": {
            "50": "255 241 242",
            "100": "255 228 230",
            "200": "254 205 211",
            "300": "253 164 175",
            "400": "251 113 133",
            "500": "244 63 94",
            "600": "225 29 72",
            "700": "190 18 60",
            "800": "159 18 57",
            "900": "136 19 55",
            "950": "76 5 25",
        },
    },
}

# --- Logging --------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}, "axes": {"level": "WARNING"}},
}

if not DEBUG:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_CONTENT_TYPE_NOSNIFF = True
    X_FRAME_OPTIONS = "DENY"
