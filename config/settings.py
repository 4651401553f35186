"""The portal's one settings module, driven by the environment (see README, "Configuration")."""

from pathlib import Path

from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.utils.translation import gettext_lazy as _

from config.env import (
    database_from_url,
    env_bool,
    env_int,
    env_list,
    env_required,
    env_str,
    redis_url,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(env_str("VAR_DIR") or BASE_DIR / "var")

DEBUG = env_bool("DEBUG", False)

# No production default: without DEBUG the key must come from the environment.
SECRET_KEY = env_str("SECRET_KEY") or (
    "django-insecure-development-only-key-never-used-in-production"
    if DEBUG
    else env_required("SECRET_KEY", "a long random string that signs sessions and links")
)
if not DEBUG and len(SECRET_KEY) < 50:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured("SECRET_KEY must be at least 50 characters long")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"] if DEBUG else [])
if not DEBUG and not ALLOWED_HOSTS:
    env_required("ALLOWED_HOSTS", "the host names the portal answers to, comma-separated")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
    "guardian",
    "django_htmx",
    "csp",
    "audit",
    "stakeholders",
    "workinggroups",
    "trainings",
    "briefings",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Login is the default; public views opt out with @login_not_required.
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "stakeholders.middleware.IdleTimeoutMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "allauth.usersessions.middleware.UserSessionsMiddleware",
    "stakeholders.middleware.ManagerMfaMiddleware",
    "stakeholders.middleware.PrivatePagesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "stakeholders.context_processors.navigation",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------------------
# Unset DATABASE_URL means SQLite, so `make run` works on a bare machine.
DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL") or f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"
    )
}
# Persistent connections with health checks: one connection per gunicorn sync worker.
DATABASES["default"]["CONN_MAX_AGE"] = env_int("DB_CONN_MAX_AGE", 60, minimum=0)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and env_bool(
    "DB_PREPARED_STATEMENTS", True
):
    # Server-side binding lets psycopg prepare a statement once its text has been run
    # `prepare_threshold` times on a connection: PostgreSQL then skips parsing and planning,
    # which was more than half of its time on the pages' queries (the directory's page
    # query: 2.0 -> 1.3 ms in pgbench; issue 9). Django leaves both off by default.
    DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", True)
    DATABASES["default"]["OPTIONS"].setdefault("prepare_threshold", 5)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache and Celery ----------------------------------------------------------------
REDIS_URL = redis_url(env_str("REDIS_URL")) if env_str("REDIS_URL") else None

if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "portal",
        }
    }
    CELERY_BROKER_URL = REDIS_URL
    # Tasks here are short (claim rows, send, mark); an hour covers any of them. Socket
    # timeouts bound how long a web request waits when Redis is down: the rows it wrote are
    # already committed and the next beat sweep picks them up, so waiting buys nothing.
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "visibility_timeout": 3600,
        "socket_timeout": 5,
        "socket_connect_timeout": 2,
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Kombu's filesystem transport needs no server: the worker and the web share a folder.
    _BROKER_DIR = VAR_DIR / "broker"
    for _folder in ("queue", "processed", "control"):
        (_BROKER_DIR / _folder).mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_BROKER_DIR / "queue"),
        "data_folder_out": str(_BROKER_DIR / "queue"),
        "processed_folder": str(_BROKER_DIR / "processed"),
        # Broadcast (remote control) messages; kombu would otherwise write ./control/.
        "control_folder": str(_BROKER_DIR / "control"),
        "store_processed": False,
    }

CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 2,
    "interval_start": 0,
    "interval_step": 0.5,
    "interval_max": 1,
}
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TIMEZONE = "UTC"
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
CELERY_BEAT_SCHEDULE = {
    # The dashboard's per-city summaries (workinggroups/progress_summary.py): stale ones every
    # five minutes (batches of 200, at most 120 s, then the oldest rows past 6 h); all nightly.
    "refresh-stale-progress": {
        "task": "workinggroups.progress_tasks.refresh_stale_progress",
        "schedule": 300.0,
    },
    "refresh-all-progress": {
        "task": "workinggroups.progress_tasks.refresh_all_progress",
        "schedule": crontab(minute=0, hour=8),
    },
    # Funder's reports (workinggroups/report_services.py): restart builds a killed worker
    # left running (once; a second stall fails them), resend queued ones nobody took.
    "requeue-stuck-progress-reports": {
        "task": "workinggroups.report_tasks.requeue_stuck_progress_reports",
        "schedule": 300.0,
    },
    # Accounts' coordinator flag against guardian's rows (stakeholders/tasks.py).
    "resync-coordinator-flags": {
        "task": "stakeholders.tasks.resync_coordinator_flags",
        "schedule": crontab(minute=30, hour=7),
    },
    "publish-due-briefings": {
        "task": "briefings.tasks.publish_due_briefings",
        "schedule": 60.0,
    },
    # The briefing delivery ledger (briefings/distribution.py), on the same rules as the
    # convenings' below: send queued deliveries every minute (publishing also asks for a
    # sweep at once); report deliveries a killed worker left mid-send every five.
    "sweep-briefing-deliveries": {
        "task": "briefings.tasks.sweep_briefing_deliveries",
        "schedule": 60.0,
    },
    "report-stuck-briefing-deliveries": {
        "task": "briefings.tasks.report_stuck_briefing_deliveries",
        "schedule": 300.0,
    },
    # Notices of each step of a briefing request to the coordinator who asked.
    "notify-briefing-request-events": {
        "task": "briefings.request_tasks.notify_request_events",
        "schedule": 60.0,
    },
    # Self-assessment requests before and after training sessions (trainings/assessment_*).
    "sweep-assessment-requests": {
        "task": "trainings.assessment_tasks.sweep_assessment_requests",
        "schedule": 60.0,
    },
    "report-stuck-assessment-requests": {
        "task": "trainings.assessment_tasks.report_stuck_assessment_requests",
        "schedule": 300.0,
    },
    # Training coverage nudges (trainings/nudges.py): planned weekly, Monday 14:00 UTC (the
    # morning in the US); planning asks for a sweep at once, and a sweep every five minutes
    # catches anything left.
    "plan-coverage-nudges": {
        "task": "trainings.coverage_tasks.plan_coverage_nudges",
        "schedule": crontab(minute=0, hour=14, day_of_week=1),
    },
    "sweep-coverage-nudges": {
        "task": "trainings.coverage_tasks.sweep_coverage_nudges",
        "schedule": 300.0,
    },
    "report-stuck-coverage-nudges": {
        "task": "trainings.coverage_tasks.report_stuck_coverage_nudges",
        "schedule": 300.0,
    },
    # The outbound ledger for convenings (workinggroups/outbound.py): claim and send due
    # rows every minute; report rows a killed worker left mid-send every five.
    "sweep-convening-messages": {
        "task": "workinggroups.tasks.sweep_convening_messages",
        "schedule": 60.0,
    },
    "extend-convening-series": {
        "task": "workinggroups.tasks.extend_convening_series",
        "schedule": 24 * 60 * 60.0,
    },
    "report-stuck-convening-messages": {
        "task": "workinggroups.tasks.report_stuck_convening_messages",
        "schedule": 300.0,
    },
}

# --- Accounts -------------------------------------------------------------------------------
AUTH_USER_MODEL = "stakeholders.User"
AUTHENTICATION_BACKENDS = [
    # Django's and allauth's, each reading the signed-in account with SQL compiled once.
    "stakeholders.auth_backends.ModelBackend",
    "stakeholders.auth_backends.AccountBackend",
    "guardian.backends.ObjectPermissionBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_ADAPTER = "stakeholders.adapters.InvitationOnlyAccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = False
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Prevention portal] "
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
# Passkeys: sign in with a security key or the device's own lock, as a second factor or alone.
MFA_PASSKEY_LOGIN_ENABLED = True
# WebAuthn insists on https except on localhost; development over plain http may use it.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Network staff and coordinators must enrol before reaching any page; `make run` turns this
# off for the demo accounts (REQUIRE_MFA=0). On everywhere else unless switched off.
MFA_REQUIRED_FOR_MANAGERS = env_bool("REQUIRE_MFA", True)
MFA_TOTP_ISSUER = "Prevention portal"
# Tracking would write to the database on every request; sessions still list and end.
USERSESSIONS_TRACK_ACTIVITY = False

# Guardian: no anonymous user row; object permissions live in direct foreign-key tables.
ANONYMOUS_USER_NAME = None
GUARDIAN_RAISE_403 = False

# An idle timeout: stakeholders.middleware.IdleTimeoutMiddleware pushes the expiry forward
# as the person keeps working (at most one session write every five minutes).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 60 * 60, minimum=300)
SESSION_COOKIE_AGE = SESSION_IDLE_SECONDS
# Database sessions (ended from the account's session list), read with SQL compiled once.
SESSION_ENGINE = "stakeholders.session_store"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- Mail -------------------------------------------------------------------------------------
EMAIL_HOST = env_str("EMAIL_HOST") or ""
if EMAIL_HOST:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_PORT = env_int("EMAIL_PORT", 25, minimum=1)
    EMAIL_HOST_USER = env_str("EMAIL_HOST_USER", "")
    EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD", "")
    EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
    EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 30, minimum=1)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "Prevention portal <portal@localhost>"
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# Where links in mail point (RSVP, calendar feeds): mail is sent by the worker, which has
# no request to read the host from.
PORTAL_BASE_URL = (env_str("PORTAL_BASE_URL") or "http://127.0.0.1:8000").rstrip("/")

# --- Internationalisation and time -----------------------------------------------------------
LANGUAGE_CODE = "en-us"
LANGUAGES = [("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "UTC"  # stored in UTC; shown in each city's own zone
USE_TZ = True

# --- Static files -----------------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "config.staticfiles.CompressedManifestStorageWithUrlCache"},
}
MEDIA_ROOT = VAR_DIR / "media"
MEDIA_URL = "/media/"
# Uploads are checked against these before they are parsed or stored (a clear message, not
# a 500). A proxy in front must allow request bodies a little above the larger of the two.
BRIEFING_ATTACHMENT_MAX_BYTES = env_int(
    "BRIEFING_ATTACHMENT_MAX_BYTES", 10 * 1024 * 1024, minimum=1024
)
DIRECTORY_IMPORT_MAX_BYTES = env_int("DIRECTORY_IMPORT_MAX_BYTES", 5 * 1024 * 1024, minimum=1024)

# --- Security ---------------------------------------------------------------------------------
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 31_536_000, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
# How many proxies in front of the portal append to X-Forwarded-For: the client address
# for rate limits and the audit log is read that many hops from the right.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0, minimum=0)
if env_bool("TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets this header itself (see docker-compose.yml and README).
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
# Health probes come over plain HTTP from inside the host; never redirect them.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^ping$"]

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
}

# --- The demo --------------------------------------------------------------------------------
DEMO_PASSWORD = env_str("DEMO_PASSWORD") or "prevention-demo-2026"
