"""Where evidence is stored: an S3-compatible bucket when one is named, else the filesystem."""

from tests.test_settings import _manage

PRINT_STORAGE = (
    "from django.conf import settings as s; from django.core.files.storage import storages; "
    "d = storages['default']; "
    "print(type(d).__module__, type(d).__name__, d.bucket_name, d.endpoint_url, d.region_name, d.file_overwrite, "
    "s.PRIAM_EVIDENCE_MAX_BYTES)"
)


def test_a_bucket_name_selects_s3_storage(tmp_path):
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        PRINT_STORAGE,
        PRIAM_DATA_DIR=str(tmp_path),
        PRIAM_EVIDENCE_S3_BUCKET="priam-evidence",
        AWS_S3_ENDPOINT_URL="https://s3.example.org",
        AWS_ACCESS_KEY_ID="key",
        AWS_SECRET_ACCESS_KEY="secret",
        AWS_S3_REGION_NAME="eu-west-2",
        PRIAM_EVIDENCE_MAX_BYTES="5000000",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "storages.backends.s3",
        "S3Storage",
        "priam-evidence",
        "https://s3.example.org",
        "eu-west-2",
        "False",
        "5000000",
    ]


def test_without_a_bucket_evidence_stays_on_the_filesystem(tmp_path):
    result = _manage(
        "shell",
        "--no-imports",
        "-c",
        "from django.conf import settings as s; print(s.STORAGES['default']['BACKEND'], s.MEDIA_ROOT, s.PRIAM_EVIDENCE_MAX_BYTES)",
        PRIAM_DATA_DIR=str(tmp_path),
        PRIAM_EVIDENCE_S3_BUCKET="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "assessments.storage.AtomicFileSystemStorage",
        str(tmp_path / "media"),
        str(20 * 1024 * 1024),
    ]
