"""The real services the harness (scripts/with-test-services.sh) started, for the fault tests:
restarting its PostgreSQL, and starting PRIAM's own processes (gunicorn, Celery) against them."""

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.db import connections

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


def harness_test_database_url():
    """The harness's DATABASE_URL names the cluster; pytest-django's database is test_<name>."""
    parts = urlsplit(os.environ["DATABASE_URL"])
    return urlunsplit(parts._replace(path="/test_" + parts.path.lstrip("/")))


def pg_bin():
    return sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))[-1]


def pg_restart():
    """Restart the harness's cluster (`pg_ctl restart` reuses its start options), closing this
    process's own connections first: they die with the server like everyone else's."""
    connections.close_all()
    data = f"{os.environ['PRIAM_TEST_WORK']}/pg"
    # The server's output goes to its log: a pipe to us would stay open as long as the server runs.
    command = [str(pg_bin() / "pg_ctl"), "-D", data, "-l", f"{data}/server.log", "-m", "fast", "-w", "restart"]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=60)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def production_env(data_dir, **extra):
    """PRIAM's production settings (DEBUG off) on the harness's services and test database."""
    env = {
        **os.environ,
        "DATABASE_URL": harness_test_database_url(),
        "DEBUG": "0",
        # This process's key, so the sessions it makes are valid there.
        "SECRET_KEY": settings.SECRET_KEY,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PRIAM_DATA_DIR": str(data_dir),
        "SECURE_SSL_REDIRECT": "0",
        "DJANGO_SETTINGS_MODULE": "priam.settings",
    }
    env.update({k: str(v) for k, v in extra.items()})
    return env


def stop(process):
    """Stop a process this test started (TERM, then KILL), and wait for it."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
