"""Reading an exported crate back as a receiving TRE would: with the rocrate library, against its
manifest, and through roc-validator, offline.

roc-validator fetches the RO-Crate JSON-LD context from https://w3id.org/ro/crate/1.2/context,
which these machines cannot reach. It fetches through requests-cache (its HttpRequester), and in
offline mode serves only what that cache holds: so the context is written into a cache of the
test's own, and a context missing from it fails the validation instead of reaching the network.
The context written is the one the rocrate package ships (rocrate/data/ro-crate.jsonld), which
is RO-Crate 1.3's: 1.3 only adds terms to 1.2's, so every term a 1.2 crate uses means the same."""

from __future__ import annotations

import io
import json
import zipfile
from importlib.resources import files as package_files
from pathlib import Path

from assessments.crates import MANIFEST, METADATA
from assessments.crates.manifest import manifest_parse, manifest_problems

CONTEXT_URLS = ["https://w3id.org/ro/crate/1.2/context", "https://w3id.org/ro/crate/1.3/context"]
REQUIRED_ROOT = ("name", "description", "datePublished", "license")


def crate_entries(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def crate_manifest_problems(entries: dict[str, bytes]) -> list[str]:
    manifest = manifest_parse(entries[MANIFEST].decode("utf-8"))
    return manifest_problems({p: d for p, d in entries.items() if p != MANIFEST}, manifest)


def crate_read_back(path: Path) -> list[str]:
    """What the rocrate library, reading the zip, finds missing or inconsistent."""
    from rocrate.rocrate import ROCrate

    crate = ROCrate(path)
    problems = [f"root has no {name}" for name in REQUIRED_ROOT if not crate.root_dataset.get(name)]
    parts = {entity.id for entity in crate.root_dataset.get("hasPart", [])}
    with zipfile.ZipFile(path) as archive:
        payload = {name for name in archive.namelist() if name != METADATA}
    problems += [f"{name} is in the zip but not in hasPart" for name in sorted(payload - parts)]
    problems += [f"{name} is in hasPart but not in the zip" for name in sorted(parts - payload)]
    if crate.version != "1.2":  # what rocrate reads from the descriptor's conformsTo
        problems.append(f"the crate reads as RO-Crate {crate.version}")
    return problems


def _seed_context_cache(cache: Path) -> None:
    import requests
    from requests_cache import CachedSession
    from urllib3 import HTTPResponse

    context = package_files("rocrate").joinpath("data/ro-crate.jsonld").read_bytes()
    json.loads(context)  # the shipped file is the context itself, not a page about it
    session = CachedSession(cache_name=str(cache), backend="sqlite", expire_after=-1)
    headers = {"Content-Type": "application/ld+json"}
    for url in CONTEXT_URLS:
        # What requests would have made of the server's answer, as the cache stores it.
        raw = HTTPResponse(
            body=io.BytesIO(context), headers=headers, status=200, preload_content=False, request_url=url
        )
        response = requests.adapters.HTTPAdapter().build_response(requests.Request("GET", url).prepare(), raw)
        session.cache.save_response(response)
    session.close()


def crate_validate(entries: dict[str, bytes], workdir: Path):
    """roc-validator's `ro-crate` profile at the REQUIRED level, offline, on the crate unpacked."""
    from rocrate_validator import models, services

    unpacked = workdir / "unpacked"
    for name, data in entries.items():
        (unpacked / name).parent.mkdir(parents=True, exist_ok=True)
        (unpacked / name).write_bytes(data)
    cache = workdir / "http-cache"
    _seed_context_cache(cache)
    settings = models.ValidationSettings(
        rocrate_uri=str(unpacked),
        profile_identifier="ro-crate-1.2",
        requirement_severity=models.Severity.REQUIRED,
        offline=True,
        cache_path=cache,
    )
    return services.validate(settings)
