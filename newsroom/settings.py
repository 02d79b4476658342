"""Settings for Newsroom, read from the environment.

With nothing set, this is the local demo: DEBUG on, SQLite in ``db.sqlite3``, a
development-only secret key. In production set at least ``DEBUG=false``, ``SECRET_KEY``,
``ALLOWED_HOSTS`` and ``DATABASE_URL``; with DEBUG off the site refuses to start without a
real secret key and allowed hosts.

Environment variables:
    DEBUG            "true"/"false" (default true, for the local demo)
    SECRET_KEY       required when DEBUG is off
    ALLOWED_HOSTS    comma-separated host names; required when DEBUG is off
    CSRF_TRUSTED_ORIGINS  comma-separated origins, e.g. https://news.example.org
    SECURE_PROXY_SSL_HEADER  "true" behind a proxy that ends TLS and sets X-Forwarded-Proto
    TRUSTED_PROXIES  how many reverse proxies of ours append to X-Forwarded-For in front of
                     the app (default 1 with SECURE_PROXY_SSL_HEADER, else 0); the login
                     lockout takes the client's address from it (newsroom/client_address.py)
    SECURE_SSL_REDIRECT, SECURE_HSTS_SECONDS, SECURE_HSTS_INCLUDE_SUBDOMAINS,
    SECURE_HSTS_PRELOAD  production defaults: on, one year, on, on
    DATABASE_URL     e.g. postgres://user@host:5432/newsroom (default: SQLite file)
    TIME_ZONE        the newsroom's time zone, used in story URLs (default UTC)
    WIRE_TIME_ZONE   the time zone of agency timestamp lines (default Asia/Dhaka, BSS's)
    REDIS_URL        e.g. redis://127.0.0.1:6379/0: the cache shared by all app servers
    CACHE_DIR        without REDIS_URL, the folder of the file cache this machine's processes
                     share (default: one per checkout in the system's temporary folder)
    PAGE_CACHE_SECONDS  how long public pages are cached (default 300; 0 turns it off)
    VARNISH_PURGE_URLS  comma-separated addresses of the Varnishes in front, e.g.
                     http://127.0.0.1:6081/: each change purges its surrogate keys there
                     (articles/site/varnish.py); default none
    PAGE_CACHE_PURGE  what a change purges: "keys" (default) or "everything"
"""

import hashlib
import os
import tempfile
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    if value.lower() in {"1", "true", "yes", "on"}:
        return True
    if value.lower() in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {value!r}")


def env_count(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if value == "":
        return default
    if not (value.isascii() and value.isdigit()):
        raise ImproperlyConfigured(f"{name} must be a whole number, 0 or more, not {value!r}")
    return int(value)


def env_list(name: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, "").split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)

SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY must be set when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-demo-only-never-use-in-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS must be set when DEBUG is off.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# Security headers on every response, in development too.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "strict-origin-when-cross-origin"
X_FRAME_OPTIONS = "DENY"

if not DEBUG:
    # Production serves HTTPS only. Behind a proxy that ends TLS, set
    # SECURE_PROXY_SSL_HEADER=true so Django trusts its X-Forwarded-Proto header.
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_REDIRECT_EXEMPT = [r"^healthz$"]  # load balancers probe over plain HTTP
    SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", 60 * 60 * 24 * 365))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
behind_tls_proxy = env_bool("SECURE_PROXY_SSL_HEADER", False)
if behind_tls_proxy:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# How many reverse proxies of ours stand in front of the app, each appending the address it
# got the request from to X-Forwarded-For: the TLS proxy, unless TRUSTED_PROXIES says more
# (a load balancer too) or none. newsroom/client_address.py reads the client's address from it.
TRUSTED_PROXY_COUNT = env_count("TRUSTED_PROXIES", 1 if behind_tls_proxy else 0)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sitemaps",
    "django.contrib.postgres",
    "taggit",
    "reversion",
    "csp",
    "axes",
    "articles",
]

MIDDLEWARE = [
    "articles.site.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.middleware.http.ConditionalGetMiddleware",
    # Cached pages are answered here, with the headers the inner middleware gave them the
    # first time (the Content-Security-Policy too, which costs a fifth of a hit to build).
    "articles.site.caching.PageCacheMiddleware",
    "csp.middleware.CSPMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "newsroom.urls"
WSGI_APPLICATION = "newsroom.wsgi.application"

# The readers' pages are Jinja2 templates, in a folder of their own (newsroom/jinja2.py says
# why); the admin and Django's apps keep the Django template language.
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.jinja2.Jinja2",
        "DIRS": [BASE_DIR / "templates" / "jinja2"],
        "APP_DIRS": False,
        "OPTIONS": {
            "environment": "newsroom.jinja2.environment",
            "context_processors": ["articles.site.context_processors.site"],
        },
    },
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
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

# Persistent connections (CONN_MAX_AGE), each checked before a request reuses it
# (CONN_HEALTH_CHECKS), so one that died while idle is replaced, not met by a reader.
DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=600,
        conn_health_checks=True,
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# One cache shared by every app server when REDIS_URL is set. Without it, a file cache that
# every process of this machine shares (in the system's temporary folder, one per checkout):
# an import run in another terminal purges the pages the running server keeps.
REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "newsroom",
            # A Redis that hangs must cost a reader a quarter of a second, not seconds:
            # pages are then served uncached for a few seconds (articles/site/caching.py).
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
    }
else:
    checkout = hashlib.sha256(str(BASE_DIR).encode()).hexdigest()[:12]
    CACHE_DIR = os.environ.get("CACHE_DIR") or Path(tempfile.gettempdir()) / f"newsroom-{checkout}"
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": CACHE_DIR,
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
# Public pages: kept this long in our cache and in shared caches (s-maxage), and served
# stale for as long again while revalidating; browsers keep them a minute. A change purges
# the pages showing what it changed (articles/site/caching.py).
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", 300))
# What a change purges: "keys", the pages showing what changed (the default), or
# "everything", every cached page (only to compare the two: benchmarks/newsroom.py).
PAGE_CACHE_PURGE = os.environ.get("PAGE_CACHE_PURGE", "keys")
if PAGE_CACHE_PURGE not in {"keys", "everything"}:
    raise ImproperlyConfigured(
        f"PAGE_CACHE_PURGE must be keys or everything, not {PAGE_CACHE_PURGE!r}"
    )
BROWSER_CACHE_SECONDS = 60
# The Varnishes in front (deploy/varnish/default.vcl), each purged by surrogate key after
# every change (articles/site/varnish.py); none by default.
VARNISH_PURGE_URLS = env_list("VARNISH_PURGE_URLS")

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Five wrong passwords for one username from one address lock that pair out for an hour;
# other people and other addresses can still log in. The address is the real client's,
# read through the TRUSTED_PROXY_COUNT proxies in front of us (newsroom/client_address.py),
# not the proxy's, which would lock the editor out everywhere.
AXES_CLIENT_IP_CALLABLE = "newsroom.client_address.client_address"
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 1
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

# Only our own files run or style the pages: no inline scripts, no third parties.
# JSON-LD is data, not script, and needs no allowance.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
}

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

# Agency timestamp lines ("21 Sep 2023, 09:55") carry no zone; this is the one they mean.
# The seed copy comes from BSS, Bangladesh's national agency, on Dhaka time.
WIRE_TIME_ZONE = os.environ.get("WIRE_TIME_ZONE", "Asia/Dhaka")

# A request body may carry one story's copy at the parser's limit (1 MB) even when every
# character takes four bytes; the wire desk refuses anything larger with a message.
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

TAGGIT_CASE_INSENSITIVE = True

SITE_NAME = "Newsroom"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
