"""Start-up with production variables: refuse what is unsafe, name the variable."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "a-real-production-secret-that-is-long-and-random-0123456789abcdef",
    "ALLOWED_HOSTS": "priam.example.org",
}


def _manage(*args, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS")}
    clean.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=clean, capture_output=True, text=True)


@pytest.mark.parametrize(
    "missing, named",
    [("SECRET_KEY", "SECRET_KEY"), ("ALLOWED_HOSTS", "ALLOWED_HOSTS")],
)
def test_it_refuses_to_start_without_a_required_variable(missing, named):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = _manage("check", **env)
    assert result.returncode != 0
    assert f"{named} must be set" in result.stderr or f"{named} must list" in result.stderr


def test_it_refuses_the_development_secret_key_in_production():
    from priam.settings import DEVELOPMENT_SECRET_KEY

    result = _manage("check", **{**PRODUCTION, "SECRET_KEY": DEVELOPMENT_SECRET_KEY})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_check_deploy_is_clean_with_production_variables():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_it_names_a_malformed_boolean():
    result = _manage("check", DEBUG="maybe")
    assert result.returncode != 0
    assert "DEBUG must be a boolean" in result.stderr


def test_the_embedded_mode_needs_nothing_set(tmp_path):
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        (
            "from django.conf import settings as s; "
            "print(s.DEBUG, s.DATABASES['default']['ENGINE'], s.CELERY_TASK_ALWAYS_EAGER, s.EMAIL_BACKEND)"
        ),
        PRIAM_DATA_DIR=str(tmp_path),
        DATABASE_URL="",
        CELERY_BROKER_URL="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "django.db.backends.sqlite3",
        "True",
        "django.core.mail.backends.filebased.EmailBackend",
    ]


def test_database_url_selects_postgresql():
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        ("from django.conf import settings as s; d = s.DATABASES['default']; print(d['ENGINE'], d['NAME'], d['PORT'])"),
        DATABASE_URL="postgres://u:p@db.example.org:6543/priamdb",
    )
    assert result.stdout.split() == ["django.db.backends.postgresql", "priamdb", "6543"]


def test_a_broker_url_turns_off_eager_celery():
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        ("from django.conf import settings as s; print(s.CELERY_TASK_ALWAYS_EAGER, s.CELERY_BROKER_URL)"),
        CELERY_BROKER_URL="redis://127.0.0.1:6399/0",
    )
    assert result.stdout.split() == ["False", "redis://127.0.0.1:6399/0"]
