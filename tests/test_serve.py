"""`make serve`: production on one machine from environment variables."""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parent.parent
SECRET = "a-real-production-secret-that-is-long-and-random-0123456789abcdef"


def _signing_files(directory):
    from assessments.pdf import testca

    _, files = testca.ensure_test_ca(directory)
    return {
        "PRIAM_SIGNING_KEY_FILE": str(files.key),
        "PRIAM_SIGNING_CERT_FILE": str(files.cert),
        "PRIAM_SIGNING_CHAIN_FILE": str(files.ca),
    }


def _environment(tmp_path, **overrides):
    """The variables a production start needs, without any the test environment set."""
    keep = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PRIAM_", "DATABASE_", "CELERY_", "CACHE_", "PROMETHEUS_"))
        and k not in ("DEBUG", "SECRET_KEY", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "MAKEFLAGS", "MAKELEVEL")
    }
    env = {
        **keep,
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PRIAM_DATA_DIR": str(tmp_path / "data"),
        "PRIAM_PUBLIC_URL": "https://priam.example.org",
        "DATABASE_URL": "postgres://priam@127.0.0.1:1/priam",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/0",
        "CACHE_URL": "redis://127.0.0.1:1/1",
        **_signing_files(tmp_path / "signing"),
    }
    env.update(overrides)
    return {k: v for k, v in env.items() if v is not None}


# SECRET_KEY is named by the settings as they load, the others by check_production.
@pytest.mark.parametrize("missing", ["CACHE_URL", "SECRET_KEY"])
def test_make_serve_refuses_to_start_naming_the_missing_variable(tmp_path, missing):
    result = subprocess.run(
        ["make", "--no-print-directory", "serve"],
        cwd=ROOT,
        env=_environment(tmp_path, **{missing: None}),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr
    # It stopped before migrating or starting anything.
    assert "migrate" not in result.stdout
    assert "honcho" not in result.stdout


@pytest.mark.parametrize("missing", ["DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "PRIAM_PUBLIC_URL"])
def test_each_required_variable_is_named_when_missing(tmp_path, missing):
    env = _environment(tmp_path, DEBUG="0", **{missing: None})
    result = subprocess.run(
        [sys.executable, "manage.py", "check_production"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert f"{missing} must be set" in result.stderr
    others = {"DATABASE_URL", "CELERY_BROKER_URL", "CACHE_URL", "PRIAM_PUBLIC_URL"} - {missing}
    assert not any(f"{name} must be set" in result.stderr for name in others)


def test_it_names_every_problem_at_once_and_checks_what_the_values_are(tmp_path):
    env = _environment(
        tmp_path,
        DEBUG="0",
        DATABASE_URL="sqlite:///" + str(tmp_path / "x.sqlite3"),
        CACHE_URL="memcached://127.0.0.1:11211",
        PRIAM_SIGNING_KEY_FILE=None,
        PRIAM_SIGNING_CHAIN_FILE=None,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check_production"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "DATABASE_URL must name a PostgreSQL database" in result.stderr
    assert "CACHE_URL must be a redis://" in result.stderr
    assert "PRIAM_SIGNING_KEY_FILE and PRIAM_SIGNING_CERT_FILE" in result.stderr


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url, timeout=5):
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.fixture
def empty_database():
    """A new, empty database on the PostgreSQL server `make test` started."""
    import psycopg

    parts = urlsplit(os.environ["DATABASE_URL"])
    name = f"serve_{uuid.uuid4().hex[:10]}"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield urlunsplit(parts._replace(path=f"/{name}"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.services
def test_make_serve_runs_web_worker_and_beat_on_real_services_and_stops_them_together(tmp_path, empty_database):
    port = _free_port()
    redis = os.environ["CELERY_BROKER_URL"].rsplit("/", 1)[0]
    env = _environment(
        tmp_path,
        DATABASE_URL=empty_database,
        # Databases of their own on the harness's Redis, so the harness's worker takes none of these tasks.
        CELERY_BROKER_URL=f"{redis}/7",
        CACHE_URL=f"{redis}/8",
        PRIAM_BIND=f"127.0.0.1:{port}",
        SECURE_SSL_REDIRECT="0",
        WEB_CONCURRENCY="2",
        CELERY_CONCURRENCY="1",
        PRIAM_METRICS_TOKEN="metrics-token-for-the-test",
    )
    log = tmp_path / "serve.log"
    with log.open("w") as out:
        serve = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 480  # migrate and collectstatic come first
        ready = None
        while time.monotonic() < deadline:
            assert serve.poll() is None, log.read_text()[-3000:]
            try:
                ready = _get(f"{base}/readyz")
                if ready[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        assert ready and ready[0] == 200, (ready, log.read_text()[-3000:])

        status, body = _get(f"{base}/accounts/login/")
        assert status == 200 and b"Sign in" in body
        # Static files come from collectstatic's hashed copies, as production serves them.
        css = [part.split('"')[0] for part in body.decode().split('href="/static/')[1:] if ".css" in part]
        assert css and all(len(Path(name).suffixes) >= 2 for name in css), css
        assert _get(f"{base}/static/{css[0]}")[0] == 200

        # Metrics from the shared folder make serve prepares, behind the token.
        assert _get(f"{base}/metrics")[0] in (401, 403, 404)
        request = urllib.request.Request(
            f"{base}/metrics", headers={"Authorization": "Bearer metrics-token-for-the-test"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            metrics = response.read().decode()
        assert "django_http_requests" in metrics and "priam_celery_queue_length" in metrics
        assert any(p.name.endswith(".db") for p in (tmp_path / "data" / "metrics").iterdir())

        output = log.read_text()
        for process in ("web.1", "worker.1", "beat.1"):
            assert process in output, output[-3000:]
        assert "Loaded: five-safes@1" in output and "Loaded: five-safes@2" in output
    finally:
        os.killpg(serve.pid, signal.SIGTERM)
        try:
            serve.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(serve.pid, signal.SIGKILL)
            raise
    # Every process of the group stopped with the supervisor.
    time.sleep(1)
    with pytest.raises(ProcessLookupError):
        os.killpg(serve.pid, 0)
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0
