"""Settings for the test suite: the normal settings with development defaults.

Tests run over plain HTTP with the test client, so HTTPS-only behaviour is off;
production behaviour is checked separately (tests/core/test_deploy_check.py).
"""
import os

os.environ.setdefault("DEBUG", "1")
# The suite sets its own environment: a developer's .env (from `make run`) is not read.
os.environ.setdefault("STOCKROOM_ENV_FILE", "")

from config.settings import *  # noqa: E402,F401,F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CELERY_TASK_ALWAYS_EAGER = True
