"""Test settings: the real settings, with the simulator on and nothing slow or external."""

import os

os.environ.setdefault("DEBUG", "false")
os.environ.setdefault("SECRET_KEY", "tests-only-secret-key-not-used-anywhere-else-0123456789")
os.environ.setdefault("PARTNER_SIMULATOR", "true")
# Tests run with DEBUG off, like production, and still serve the simulator: forced, as a
# demo deployment would (config/settings.py refuses it otherwise).
os.environ.setdefault("PARTNER_SIMULATOR_FORCE", "true")
os.environ.setdefault("EMAIL_URL", "consolemail://")
os.environ.setdefault("SECURE_SSL_REDIRECT", "false")
# Test transactions are invisible to another thread: write request logs in the caller.
os.environ.setdefault("PARTNER_LOG_WRITER", "immediate")

from config.settings import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
