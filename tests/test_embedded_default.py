"""The embedded default (nothing set): DEBUG off, a generated secret key, branded error pages."""

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import override_settings
from django.urls import path

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ("DEBUG", "SECRET_KEY", "SECRET_KEY_FILE", "ALLOWED_HOSTS", "DATABASE_URL", "CELERY_BROKER_URL")


def _embedded(data_dir, code):
    """Run `code` in a fresh process configured as a plain `make run` would be."""
    env = {k: v for k, v in os.environ.items() if k not in CONFIG}
    env["PRIAM_DATA_DIR"] = str(data_dir)
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.split()


SHOW_KEY = (
    "import hashlib; from django.conf import settings as s; "
    "print(s.DEBUG, hashlib.sha256(s.SECRET_KEY.encode()).hexdigest(), len(s.SECRET_KEY), "
    "','.join(s.ALLOWED_HOSTS))"
)


def test_it_runs_with_debug_off_and_only_local_hosts(tmp_path):
    debug, _, _, hosts = _embedded(tmp_path, SHOW_KEY)
    assert debug == "False"
    assert hosts == "127.0.0.1,localhost"


def test_it_generates_the_secret_key_once_private_to_its_owner_and_reuses_it(tmp_path):
    _, first, length, _ = _embedded(tmp_path, SHOW_KEY)
    key_file = tmp_path / "secret_key"
    assert key_file.exists()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert int(length) >= 50
    written = key_file.stat().st_mtime_ns
    _, second, _, _ = _embedded(tmp_path, SHOW_KEY)
    assert second == first
    assert key_file.stat().st_mtime_ns == written


def test_each_instance_gets_its_own_key(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _embedded(tmp_path / "a", SHOW_KEY)[1] != _embedded(tmp_path / "b", SHOW_KEY)[1]


def test_debug_on_asks_for_nothing(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in CONFIG}
    result = subprocess.run(
        [
            sys.executable,
            "manage.py",
            "shell",
            "--no-imports",
            "-c",
            "from django.conf import settings as s; print(s.DEBUG)",
        ],
        cwd=ROOT,
        env={**env, "DEBUG": "1", "PRIAM_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
    )
    assert result.stdout.split() == ["True"]
    assert not (tmp_path / "secret_key").exists()


REQUEST = (
    "from django.test import Client; c = Client(SERVER_NAME='localhost'); "
    "missing = c.get('/no-such-page/'); css = c.get('/static/css/priam.css'); "
    "print(missing.status_code, b'URLconf' in missing.content, b'Page not found' in missing.content, "
    "b'priam.css' in missing.content, css.status_code, css['Content-Type'].split(';')[0])"
)


def test_a_missing_page_is_branded_and_lists_no_url_patterns_and_static_files_are_served(tmp_path):
    assert _embedded(tmp_path, REQUEST) == ["404", "False", "True", "True", "200", "text/css"]


@pytest.mark.django_db
def test_the_404_page_is_priams(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    text = response.content.decode()
    assert "Page not found" in text and "css/priam.css" in text
    assert "URLconf" not in text


def test_the_500_page_renders_without_a_request_or_database():
    from django.template import loader

    # No django_db mark: pytest-django fails any database access here.
    html = loader.get_template("500.html").render()
    assert "Something went wrong" in html
    assert "css/priam.css" in html
    assert "an administrator of this PRIAM" in html


def _explode(request):
    raise RuntimeError("a bug")


urlpatterns = [path("explode/", _explode)]


def test_a_server_error_shows_the_branded_500_page(client):
    client.raise_request_exception = False
    with override_settings(ROOT_URLCONF=__name__):
        response = client.get("/explode/")
    assert response.status_code == 500
    assert "Something went wrong" in response.content.decode()


def test_the_embedded_database_runs_in_wal_mode_and_queues_writers(tmp_path):
    out = _embedded(
        tmp_path,
        (
            "from django.db import connection; c = connection.cursor(); "
            "print(*[c.execute(f'PRAGMA {p}').fetchone()[0] for p in ('journal_mode', 'synchronous', 'busy_timeout')], "
            "connection.transaction_mode)"
        ),
    )
    assert out == ["wal", "1", "20000", "IMMEDIATE"]  # synchronous 1 is NORMAL
