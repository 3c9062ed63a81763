"""Settings for the test suite: the real PostgreSQL and Redis, never SQLite or a mocked cache.

`make test` exports these variables; the defaults here let `pytest` work the same when run by hand.
A helper or CI job that shares the machine can point at its own database and Redis DB through
the same variables.
"""

import os

os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/shopops")
os.environ.setdefault("REDIS_URL", "redis://127.0.0.1:6379/15")
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")
os.environ.setdefault("CACHE_KEY_PREFIX", f"shopops-test-{os.getpid()}")

from shopops.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
# Argon2 stays the hasher under test; lighter parameters keep thousands of logins in tests fast.
PASSWORD_HASHERS = ["shopops.core.hashers.TestArgon2PasswordHasher"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.InMemoryStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
AXES_ENABLED = True
LOGGING["root"]["level"] = "WARNING"  # noqa: F405
# WhiteNoise would scan every static file for each new test Client; tests never fetch static files
# through it (the live server of the browser tests serves them itself).
WHITENOISE_USE_FINDERS = False
