"""Where e-mail goes: files under the data folder with nothing set, the SMTP server EMAIL_HOST names
otherwise; and a message sent in the embedded mode really lands in that folder."""

from tests.test_settings import _manage

PRINT = (
    "from django.conf import settings as s; "
    "print(s.EMAIL_BACKEND, s.EMAIL_FILE_PATH, s.EMAIL_HOST, s.EMAIL_PORT, s.EMAIL_USE_TLS, s.EMAIL_HOST_USER)"
)


def test_with_no_mail_server_e_mails_are_files_in_the_data_folder(tmp_path):
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.core.mail import send_mail; send_mail('[PRIAM] Hello', 'Body', 'priam@localhost', ['a@b.invalid'])",
        PRIAM_DATA_DIR=str(tmp_path),
        DATABASE_URL="",
        EMAIL_HOST="",
        EMAIL_BACKEND="",
    )
    assert result.returncode == 0, result.stderr
    [written] = list((tmp_path / "mail").iterdir())
    assert "Subject: [PRIAM] Hello" in written.read_text()


def test_an_email_host_selects_smtp_with_its_variables(tmp_path):
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        PRINT,
        PRIAM_DATA_DIR=str(tmp_path),
        EMAIL_HOST="smtp.example.org",
        EMAIL_PORT="587",
        EMAIL_USE_TLS="1",
        EMAIL_HOST_USER="priam",
        EMAIL_HOST_PASSWORD="secret",
        EMAIL_BACKEND="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "django.core.mail.backends.smtp.EmailBackend",
        str(tmp_path / "mail"),
        "smtp.example.org",
        "587",
        "True",
        "priam",
    ]
