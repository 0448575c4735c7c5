"""The BagIt-style payload manifest: one `<sha512>  <path>` line per file, sorted by path.

It covers every file in the zip except itself, bagit.txt included, so a reader checks one list."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping


def manifest_text(files: Mapping[str, bytes]) -> str:
    return "".join(f"{hashlib.sha512(data).hexdigest()}  {path}\n" for path, data in sorted(files.items()))


def manifest_parse(text: str) -> dict[str, str]:
    """{path: sha512} from a manifest's text; ValueError on a line that is not `<hex>  <path>`."""
    found: dict[str, str] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        digest, separator, path = line.partition("  ")
        if not separator or len(digest) != 128 or not path or path in found:
            raise ValueError(f"Manifest line {number} is not “<sha512>  <path>” for a new path: {line!r}")
        found[path] = digest.lower()
    return found


def manifest_problems(files: Mapping[str, bytes], manifest: Mapping[str, str]) -> list[str]:
    """What differs between the files (without the manifest itself) and the manifest's lines."""
    problems = [f"{path} is not in the manifest" for path in sorted(set(files) - set(manifest))]
    problems += [f"{path} is in the manifest but not in the crate" for path in sorted(set(manifest) - set(files))]
    problems += [
        f"{path} does not match its SHA-512"
        for path in sorted(set(files) & set(manifest))
        if hashlib.sha512(files[path]).hexdigest() != manifest[path]
    ]
    return problems
