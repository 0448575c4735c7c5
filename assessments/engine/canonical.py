"""Byte-stable JSON and hashes."""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["canonical_json", "sha256_hex", "texts_sha256", "short_json"]

_encoder = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)


def canonical_json(obj: Any) -> str:
    """JSON with sorted keys, compact separators and ``ensure_ascii=False``.

    The same value always gives the same string; it is used for hashes and for
    command-line output."""
    return _encoder.encode(obj)


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def texts_sha256(texts: dict[str, str]) -> str:
    """SHA-256 of a framework's definition files.

    For each file name in sorted order, feed ``name + "\\0" + content + "\\0"``
    (UTF-8) into one SHA-256.  The same texts therefore always give the same
    hash, whatever the order of the dict."""
    h = hashlib.sha256()
    for name in sorted(texts):
        h.update(name.encode("utf-8"))
        h.update(b"\0")
        h.update(texts[name].encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()


def short_json(value: Any) -> str:
    """A value as it appears in an error message: JSON where possible, cut to 60 characters."""
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
