"""Backups that restore: one archive holding what an empty instance needs to come back.

The archive (tar.gz) holds:

- ``database/priam.dump`` (PostgreSQL, ``pg_dump --format=custom``) or ``database/priam.sqlite3``
  (SQLite, the online backup API: consistent while PRIAM runs);
- ``media/…``: the uploaded files under MEDIA_ROOT (not when evidence lives in an S3 bucket);
- ``record-pdfs/<number>.pdf``: each record's signed PDF, readable without restoring (the
  database holds them too; restore takes them from there);
- ``signing/…``: the public part of the signing chain (certificates, trust roots), never a
  private key;
- ``manifest.json``: every other file's SHA-256 and size, the PRIAM version, the latest applied
  migration per app, the database vendor and when it was made.

Restore checks every hash before it changes anything, and only restores into an empty database.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.db import connections, transaction

from ..errors import PriamError

FORMAT = "priam-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DUMP_NAMES = {"postgresql": "database/priam.dump", "sqlite": "database/priam.sqlite3"}
VENDOR_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}
CHUNK = 1024 * 1024
CERTIFICATE_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----.+?-----END CERTIFICATE-----\s*", re.DOTALL)
KEY_ADVICE = (
    "The private signing key is never in a backup: keep it apart (a secrets store, or an "
    "encrypted copy offline) and put it back in place before this instance signs or verifies "
    "decision records."
)


class BackupFailed(PriamError):
    """A backup or restore refused or failed; the message says why and what to do."""


@dataclass
class BackupResult:
    path: Path
    size: int
    files: int
    seconds: float
    manifest: dict


@dataclass
class RestoreResult:
    manifest: dict
    files: int
    warnings: list[str] = field(default_factory=list)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _priam_version() -> str:
    try:
        return metadata.version("priam")
    except metadata.PackageNotFoundError:
        return "unknown"


def _vendor(alias: str = "default") -> str:
    vendor = connections[alias].vendor
    if vendor not in DUMP_NAMES:
        raise BackupFailed(f"Backups support PostgreSQL and SQLite, not {vendor}.")
    return vendor


def postgres_binary(name: str) -> str:
    """pg_dump or pg_restore: from PATH, else the newest /usr/lib/postgresql/*/bin (Debian)."""
    found = shutil.which(name)
    if found:
        return found

    def version(path: Path) -> tuple[int, ...]:
        return tuple(int(part) for part in re.findall(r"\d+", path.parent.parent.name)) or (0,)

    candidates = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=version)
    if candidates:
        return str(candidates[-1])
    raise BackupFailed(f"{name} was not found on PATH nor under /usr/lib/postgresql: install the PostgreSQL client.")


def _postgres_connection_args(alias: str = "default") -> tuple[list[str], dict[str, str]]:
    """Arguments naming the database, and an environment carrying the password (never argv)."""
    conf = connections[alias].settings_dict
    args = []
    if conf.get("HOST"):
        args += ["--host", str(conf["HOST"])]
    if conf.get("PORT"):
        args += ["--port", str(conf["PORT"])]
    if conf.get("USER"):
        args += ["--username", str(conf["USER"])]
    args += ["--dbname", str(conf["NAME"])]
    env = dict(os.environ)
    if conf.get("PASSWORD"):
        env["PGPASSWORD"] = str(conf["PASSWORD"])
    options = conf.get("OPTIONS") or {}
    for option, variable in (("sslmode", "PGSSLMODE"), ("sslrootcert", "PGSSLROOTCERT")):
        if options.get(option):
            env[variable] = str(options[option])
    return args, env


def _run(command: list[str], env: dict[str, str], what: str) -> None:
    done = subprocess.run(command, env=env, stdin=subprocess.DEVNULL, capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupFailed(f"{what} failed (exit {done.returncode}): {done.stderr.strip()[-2000:]}")


def _latest_migrations(rows) -> dict[str, str]:
    latest: dict[str, str] = {}
    for app, name in rows:  # in the order they were applied
        latest[app] = name
    return dict(sorted(latest.items()))


def _pdf_query() -> str:
    from ..models import DecisionRecord, RecordPdf

    return (
        f'SELECT r.number, p.data FROM "{RecordPdf._meta.db_table}" p '
        f'JOIN "{DecisionRecord._meta.db_table}" r ON r.id = p.record_id ORDER BY r.number'
    )


MIGRATIONS_QUERY = "SELECT app, name FROM django_migrations ORDER BY applied, id"


@dataclass
class _Snapshot:
    """The database dump, and what was read from the same moment: migrations and record PDFs."""

    dump: Path
    migrations: dict[str, str]
    pdfs: list[tuple[str, bytes]]


def _snapshot_sqlite(workdir: Path) -> _Snapshot:
    connection = connections["default"]
    connection.ensure_connection()
    dump = workdir / "priam.sqlite3"
    target = sqlite3.connect(dump)
    try:
        # The online backup API copies a consistent state while other processes keep writing.
        connection.connection.backup(target)
    finally:
        target.close()
    copy = sqlite3.connect(f"file:{dump}?mode=ro", uri=True)
    try:
        migrations = _latest_migrations(copy.execute(MIGRATIONS_QUERY).fetchall())
        pdfs = [(number, bytes(data)) for number, data in copy.execute(_pdf_query())]
    finally:
        copy.close()
    return _Snapshot(dump, migrations, pdfs)


def _snapshot_postgresql(workdir: Path) -> _Snapshot:
    connection = connections["default"]
    if connection.in_atomic_block:
        raise BackupFailed("A backup must run outside a database transaction.")
    dump = workdir / "priam.dump"
    args, env = _postgres_connection_args()
    # pg_dump reads the snapshot this transaction exports, so the PDFs and migrations read here
    # are those of the dump, whatever is written meanwhile.
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cursor.execute("SELECT pg_export_snapshot()")
        snapshot_id = cursor.fetchone()[0]
        _run(
            [postgres_binary("pg_dump"), "--format=custom", f"--snapshot={snapshot_id}", "--file", str(dump), *args],
            env,
            "pg_dump",
        )
        cursor.execute(MIGRATIONS_QUERY)
        migrations = _latest_migrations(cursor.fetchall())
        cursor.execute(_pdf_query())
        pdfs = [(number, bytes(data)) for number, data in cursor.fetchall()]
    return _Snapshot(dump, migrations, pdfs)


def _public_certificates(path: Path) -> bytes | None:
    """The certificates in a PEM or DER file, without any private key it also holds."""
    data = path.read_bytes()
    if b"-----BEGIN" in data:
        blocks = CERTIFICATE_PEM.findall(data)
        return b"".join(block.strip() + b"\n" for block in blocks) or None
    from cryptography import x509

    try:
        x509.load_der_x509_certificate(data)
    except ValueError:
        return None
    return data


def _signing_files() -> tuple[dict, list[tuple[str, bytes]]]:
    """The manifest's signing section and the public files (role, content) to archive."""
    from ..errors import SigningNotConfigured
    from ..pdf.signing import signing_config

    try:
        config = signing_config()
    except SigningNotConfigured as exc:
        return {"configured": False, "note": str(exc)}, []
    # Roles restore maps onto the target's configuration; the key and a PKCS#12 file stay out.
    roles = {"cert": config.cert_file, "chain": config.chain_file, "trust_roots": config.trust_roots_file}
    if config.mode == "pkcs12":
        roles["cert"] = ""
    section: dict = {"configured": True, "mode": config.mode, "files": {}, "private_key_included": False}
    files = []
    for role, source in roles.items():
        if not source or not Path(source).is_file():
            continue
        public = _public_certificates(Path(source))
        if public is None:
            continue
        name = f"signing/{role}.pem" if public.startswith(b"-----") else f"signing/{role}.der"
        section["files"][role] = {"path": name, "source": source}
        files.append((name, public))
    if config.mode == "pkcs12":
        section["note"] = (
            "The PKCS#12 file holds the private key, so it is not in the backup; keep it and its passphrase apart."
        )
    return section, files


def _media_files() -> Iterator[tuple[str, Path]]:
    root = Path(settings.MEDIA_ROOT)
    if not root.is_dir():
        return
    for path in sorted(root.rglob("*")):
        if path.is_file() and not path.is_symlink():
            yield "media/" + path.relative_to(root).as_posix(), path


def default_backup_directory() -> Path:
    return Path(settings.DATA_DIR) / "backups"


def _archive_path(out: str | os.PathLike | None, stamp: str) -> Path:
    name = f"priam-backup-{stamp}.tar.gz"
    if out is None:
        return default_backup_directory() / name
    path = Path(out)
    if path.is_dir() or not path.name.endswith((".tar.gz", ".tgz")):
        return path / name
    return path


def backup_create(*, out: str | os.PathLike | None = None) -> BackupResult:
    """Write one archive of this instance; return where, how large and how long it took."""
    started = time.monotonic()
    created = datetime.now(UTC).replace(microsecond=0)
    vendor = _vendor()
    path = _archive_path(out, created.strftime("%Y%m%dT%H%M%SZ"))
    if path.exists():
        raise BackupFailed(f"{path} already exists; a backup never overwrites one.")
    path.parent.mkdir(parents=True, exist_ok=True)

    entries: list[dict] = []
    # Written aside, readable only by its owner (it holds password hashes), renamed when whole:
    # a failed backup never leaves a half archive under the final name.
    fd, partial_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
    partial = Path(partial_name)
    try:
        with tempfile.TemporaryDirectory(prefix="priam-backup-") as work, os.fdopen(fd, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=6) as tar:

                def add_file(name: str, source: Path) -> None:
                    size = source.stat().st_size
                    digest = _sha256_file(source)
                    info = tar.gettarinfo(str(source), arcname=name)
                    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
                    with open(source, "rb") as f:
                        tar.addfile(info, f)
                    if info.size != size:
                        raise BackupFailed(f"{source} changed while it was being archived; run the backup again.")
                    entries.append({"path": name, "sha256": digest, "size": size})

                def add_bytes(name: str, data: bytes) -> None:
                    info = tarfile.TarInfo(name)
                    info.size, info.mode, info.mtime = len(data), 0o600, int(created.timestamp())
                    tar.addfile(info, io.BytesIO(data))
                    entries.append({"path": name, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})

                snapshot = (_snapshot_postgresql if vendor == "postgresql" else _snapshot_sqlite)(Path(work))
                add_file(DUMP_NAMES[vendor], snapshot.dump)
                snapshot.dump.unlink()
                for number, data in snapshot.pdfs:
                    add_bytes(f"record-pdfs/{number}.pdf", data)
                # After the dump: every evidence row in it has its file here (files are written
                # before their row commits, and never changed).
                if settings.PRIAM_EVIDENCE_S3_BUCKET:
                    media = {
                        "included": False,
                        "s3_bucket": settings.PRIAM_EVIDENCE_S3_BUCKET,
                        "note": "Uploaded evidence lives in the S3 bucket and is not in this archive; "
                        "back the bucket up with its own tools (versioning, replication).",
                    }
                else:
                    media = {"included": True, "root": str(settings.MEDIA_ROOT)}
                    for name, source in _media_files():
                        add_file(name, source)
                signing, signing_files = _signing_files()
                for name, data in signing_files:
                    add_bytes(name, data)

                manifest = {
                    "format": FORMAT,
                    "format_version": FORMAT_VERSION,
                    "priam_version": _priam_version(),
                    "created_at": created.isoformat().replace("+00:00", "Z"),
                    "database": {"vendor": vendor, "file": DUMP_NAMES[vendor]},
                    "migrations": snapshot.migrations,
                    "media": media,
                    "record_pdfs": len(snapshot.pdfs),
                    "signing": signing,
                    "private_signing_key": KEY_ADVICE,
                    "files": entries,
                }
                add_manifest = json.dumps(manifest, indent=2, sort_keys=True).encode()
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mode, info.mtime = len(add_manifest), 0o600, int(created.timestamp())
                tar.addfile(info, io.BytesIO(add_manifest))
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return BackupResult(path, path.stat().st_size, len(entries) + 1, time.monotonic() - started, manifest)


# Restore


def _read_manifest(root: Path, archive: Path) -> dict:
    try:
        manifest = json.loads((root / MANIFEST).read_text())
    except (OSError, ValueError):
        raise BackupFailed(f"{archive} holds no readable {MANIFEST}: it is not a PRIAM backup.") from None
    if manifest.get("format") != FORMAT or not isinstance(manifest.get("files"), list):
        raise BackupFailed(f"{archive} is not a PRIAM backup (its {MANIFEST} is not one PRIAM writes).")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupFailed(
            f"{archive} is in backup format {manifest.get('format_version')}; this PRIAM reads {FORMAT_VERSION}."
        )
    return manifest


def _extract(archive: Path, root: Path) -> None:
    try:
        with tarfile.open(archive, mode="r:gz") as tar:
            # The "data" filter refuses absolute paths, links out of the folder and device files.
            tar.extractall(root, filter="data")
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise BackupFailed(f"{archive} cannot be read as a PRIAM backup (tar.gz): {exc}") from None


def _verify_files(root: Path, manifest: dict, archive: Path) -> None:
    listed = {}
    for entry in manifest["files"]:
        name = entry["path"]
        listed[name] = entry
        path = root / name
        if not path.is_file():
            raise BackupFailed(f"{archive} is incomplete: {name} is in the manifest but not in the archive.")
        if path.stat().st_size != entry["size"] or _sha256_file(path) != entry["sha256"]:
            raise BackupFailed(
                f"{archive} is corrupt or was changed: {name} does not match its SHA-256 in the manifest. "
                "Nothing was restored."
            )
    for path in root.rglob("*"):
        name = path.relative_to(root).as_posix()
        if path.is_file() and name != MANIFEST and name not in listed:
            raise BackupFailed(f"{archive} was changed: {name} is not in the manifest. Nothing was restored.")


def _check_vendor(manifest: dict) -> str:
    source = manifest.get("database", {}).get("vendor")
    target = _vendor()
    if source != target:
        raise BackupFailed(
            f"This archive holds a {VENDOR_NAMES.get(source, source)} database, but this instance is configured "
            f"for {VENDOR_NAMES[target]}: restore it into an instance using {VENDOR_NAMES.get(source, source)} "
            "(DATABASE_URL), or move data between them another way."
        )
    return target


def _check_migrations_known(manifest: dict) -> None:
    from django.db.migrations.loader import MigrationLoader

    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    unknown = [f"{app}.{name}" for app, name in manifest.get("migrations", {}).items() if (app, name) not in known]
    if unknown:
        raise BackupFailed(
            f"This archive comes from a newer PRIAM (migrations unknown here: {', '.join(unknown)}): "
            f"restore it with PRIAM {manifest.get('priam_version', '?')} or later."
        )


def database_rows() -> dict[str, int]:
    """PRIAM's tables in the configured database that hold data (the empty audit head aside)."""
    from ..models import AuditChainHead

    connection = connections["default"]
    found = {}
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            if not table.startswith("assessments_"):
                continue
            quoted = connection.ops.quote_name(table)
            if table == AuditChainHead._meta.db_table:
                cursor.execute(f"SELECT COUNT(*) FROM {quoted} WHERE sequence <> 0")
            else:
                cursor.execute(f"SELECT COUNT(*) FROM {quoted}")
            count = cursor.fetchone()[0]
            if count:
                found[table] = count
    return found


def _check_empty() -> None:
    rows = database_rows()
    if not rows:
        return
    tables = ", ".join(f"{table} ({count} rows)" for table, count in sorted(rows.items())[:5])
    if connections["default"].vendor == "sqlite":
        where = f"move {connections['default'].settings_dict['NAME']} aside (or point PRIAM_DATA_DIR at a new folder)"
    else:
        where = "create a new, empty database and point DATABASE_URL at it"
    raise BackupFailed(
        f"The target database is not empty: {tables}. Restore only brings back an empty instance: {where}, "
        "then run restore again. Nothing was changed."
    )


def _media_conflicts(root: Path) -> list[str]:
    media = root / "media"
    if not media.is_dir():
        return []
    clashes = []
    for path in media.rglob("*"):
        if path.is_file():
            name = path.relative_to(media).as_posix()
            if default_storage.exists(name):
                with default_storage.open(name, "rb") as f:
                    if hashlib.file_digest(f, "sha256").hexdigest() != _sha256_file(path):
                        clashes.append(name)
    return clashes


def _restore_database(vendor: str, dump: Path) -> None:
    connection = connections["default"]
    connection.close()
    if vendor == "postgresql":
        args, env = _postgres_connection_args()
        # --clean --if-exists: a target someone already migrated (empty, as checked) is replaced;
        # one transaction: a failed restore leaves the database as it was.
        _run(
            [
                postgres_binary("pg_restore"),
                "--no-owner",
                "--no-privileges",
                "--clean",
                "--if-exists",
                "--single-transaction",
                *args,
                str(dump),
            ],
            env,
            "pg_restore",
        )
        return
    target = Path(connection.settings_dict["NAME"])
    target.parent.mkdir(parents=True, exist_ok=True)
    aside = target.with_name(f".{target.name}.restoring")
    shutil.copyfile(dump, aside)
    for stale in (Path(f"{target}-wal"), Path(f"{target}-shm")):
        stale.unlink(missing_ok=True)
    os.replace(aside, target)


def _restore_media(root: Path) -> int:
    media = root / "media"
    count = 0
    if not media.is_dir():
        return 0
    for path in sorted(media.rglob("*")):
        if not path.is_file():
            continue
        name = path.relative_to(media).as_posix()
        if default_storage.exists(name):
            continue  # the same content, as checked before anything changed
        with open(path, "rb") as f:
            saved = default_storage.save(name, File(f, name=name))
        if saved != name:
            raise BackupFailed(f"The storage saved {name} as {saved}; evidence must keep its name.")
        count += 1
    return count


def _signing_targets() -> tuple[dict[str, Path], Path | None, list[str]]:
    """Where this instance reads its certificates (by role), its private key, and any problem."""
    from ..errors import SigningNotConfigured
    from ..pdf.signing import signing_config

    # The test CA's configuration names its files under DATA_DIR/signing, so it needs no case here.
    try:
        config = signing_config()
    except SigningNotConfigured as exc:
        return {}, None, [f"Signing is not configured here ({exc}); the archive's certificates were not placed."]
    targets = {
        role: Path(path)
        for role, path in (
            ("cert", config.cert_file),
            ("chain", config.chain_file),
            ("trust_roots", config.trust_roots_file),
        )
        if path and not (config.mode == "pkcs12" and role == "cert")
    }
    key = Path(config.pkcs12_file or config.key_file) if (config.pkcs12_file or config.key_file) else None
    return targets, key, []


def _restore_signing(root: Path, manifest: dict) -> list[str]:
    section = manifest.get("signing") or {}
    files = section.get("files") or {}
    targets, key, warnings = _signing_targets()
    for role, entry in files.items():
        source = root / entry["path"]
        target = targets.get(role)
        if target is None:
            warnings.append(
                f"This instance has no setting for the {role.replace('_', ' ')} file: it is in the archive "
                f"as {entry['path']}, not placed."
            )
            continue
        if target.exists():
            if target.read_bytes() != source.read_bytes():
                warnings.append(f"{target} exists and differs from the archive's {entry['path']}: left as it is.")
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
    if key is not None and not key.exists():
        warnings.append(f"The private signing key is not in the backup: put it back at {key} from where you keep it.")
    return warnings


def _check_record_pdfs(root: Path) -> list[str]:
    from ..models import RecordPdf

    problems = []
    stored = dict(RecordPdf.objects.values_list("record__number", "sha256"))
    for path in sorted((root / "record-pdfs").glob("*.pdf")):
        number = path.stem
        if stored.get(number) != _sha256_file(path):
            problems.append(f"record {number}'s PDF in the restored database differs from record-pdfs/{path.name}")
    return problems


def backup_restore(
    *, archive: str | os.PathLike, migrate: bool = True, log: Callable[[str], None] | None = None
) -> RestoreResult:
    """Bring an empty instance back from an archive made by backup_create."""
    say = log or (lambda message: None)
    archive = Path(archive)
    if not archive.is_file():
        raise BackupFailed(f"{archive} does not exist.")
    with tempfile.TemporaryDirectory(prefix="priam-restore-") as work:
        root = Path(work)
        _extract(archive, root)
        manifest = _read_manifest(root, archive)
        _verify_files(root, manifest, archive)
        say(f"Checked {len(manifest['files'])} files against their SHA-256 in the manifest.")
        vendor = _check_vendor(manifest)
        _check_migrations_known(manifest)
        _check_empty()
        clashes = _media_conflicts(root)
        if clashes:
            raise BackupFailed(
                f"Uploaded files here differ from the archive's: {', '.join(clashes[:5])}. "
                "Restore into an instance with an empty media folder. Nothing was changed."
            )

        _restore_database(vendor, root / manifest["database"]["file"])
        say(f"Restored the {VENDOR_NAMES[vendor]} database.")
        warnings = []
        media = manifest.get("media") or {}
        if media.get("included"):
            say(f"Restored {_restore_media(root)} uploaded files.")
        else:
            warnings.append(
                f"Uploaded evidence was not in the archive: it lives in the S3 bucket {media.get('s3_bucket')}; "
                "point PRIAM_EVIDENCE_S3_BUCKET at it (or at a restored copy)."
            )
        warnings += _restore_signing(root, manifest)
        if migrate:
            call_command("migrate", interactive=False, verbosity=0, stdout=io.StringIO())
            say("Applied any migrations this release adds.")
        problems = _check_record_pdfs(root)
        if problems:
            raise BackupFailed("The restored database does not match the archive: " + "; ".join(problems))
        return RestoreResult(manifest, len(manifest["files"]), warnings)
