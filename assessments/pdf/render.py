"""HTML to PDF with WeasyPrint, fetching nothing but PRIAM's own static files.

Decision records are rendered from templates that may contain text typed by
users, so the renderer must never reach the network or the file system on a
document's say-so: the URL fetcher serves only files that Django's staticfiles
finders know (URLs under STATIC_URL, whatever the host) and ``data:`` URLs, and
refuses everything else. WeasyPrint logs a refused resource and carries on, so
a document with a stray ``<img src="file:///etc/passwd">`` still renders,
without the image.
"""

import logging
import mimetypes
import posixpath
from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

logger = logging.getLogger(__name__)

# Relative links such as "/static/css/record.css" resolve against this; the host
# is never contacted (".invalid" is reserved and the fetcher ignores hosts).
BASE_URL = "https://priam.invalid/"


class ResourceRefused(ValueError):
    """The renderer was asked for something other than one of PRIAM's static files."""


def _static_prefix():
    path = urlsplit(settings.STATIC_URL).path or "/static/"
    if not path.startswith("/"):
        path = "/" + path
    if not path.endswith("/"):
        path += "/"
    return path


def static_file_for_url(url):
    """The absolute path of the static file ``url`` names, or raise ResourceRefused."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https", ""):
        raise ResourceRefused(f"scheme {parts.scheme!r} is not allowed")
    if not parts.scheme and parts.netloc:
        raise ResourceRefused("protocol-relative URLs are not allowed")
    prefix = _static_prefix()
    path = unquote(parts.path)
    if not path.startswith(prefix):
        raise ResourceRefused(f"not under {prefix}")
    name = path[len(prefix) :]
    # Nothing that could climb out of the static folders, however it is spelled.
    segments = name.replace("\\", "/").split("/")
    if not name or "\x00" in name or any(s in ("..", ".") for s in segments) or name.startswith("/"):
        raise ResourceRefused("not a plain static file name")
    name = posixpath.normpath(name)
    try:
        found = finders.find(name)
        if not found and staticfiles_storage.exists(name):
            # Collected (possibly hashed) names under STATIC_ROOT in production.
            found = staticfiles_storage.path(name)
    except Exception as exc:  # SuspiciousFileOperation, storages without path()
        raise ResourceRefused(f"not a static file ({type(exc).__name__})") from None
    if not found:
        raise ResourceRefused("no such static file")
    return found


class StaticOnlyURLFetcher(URLFetcher):
    """A WeasyPrint URL fetcher for PRIAM's static files and data: URLs only."""

    def __init__(self):
        super().__init__(
            timeout=1, allowed_protocols=("data", "http", "https"), allow_redirects=False, fail_on_errors=False
        )

    def fetch(self, url, headers=None):
        if url.lower().startswith("data:"):
            return super().fetch(url, headers)  # decoded in memory by urllib's DataHandler
        try:
            path = static_file_for_url(url)
        except ResourceRefused as exc:
            logger.warning("PDF rendering refused to fetch %.200r: %s", url, exc)
            raise
        mime_type, _ = mimetypes.guess_type(path)
        with open(path, "rb") as handle:
            body = handle.read()
        return URLFetcherResponse(url, body, headers={"Content-Type": mime_type or "application/octet-stream"})


def render_pdf(html: str, *, archival: bool = False) -> bytes:
    """Render an HTML document (a str) to a tagged PDF's bytes.

    Tagged (a structure tree from the HTML, with the document's language and
    title, images' alt text), so screen readers can read it. ``archival`` also
    makes it PDF/A-3b: an sRGB output intent, XMP metadata that says so, and the
    file identifier PDF/A requires, which is a hash of the content.

    Page size and fonts come from the document's CSS (``@page { size: A4 }``);
    no creation date is written and the only file identifier is that hash, so
    the same HTML gives the same bytes.
    """
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=StaticOnlyURLFetcher())
    if archival:
        return document.write_pdf(pdf_variant="pdf/a-3b", pdf_tags=True, pdf_identifier=True, custom_metadata=False)
    return document.write_pdf(pdf_tags=True, pdf_identifier=False, custom_metadata=False)
