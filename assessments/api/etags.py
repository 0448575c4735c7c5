"""Conditional requests (RFC 9110): the If-Match header, read here so services never see HTTP."""


def if_match(header):
    """A predicate for the ETags the client's If-Match accepts: "*" or any listed tag (weak tags
    compare by their opaque part)."""
    tags = {tag.strip() for tag in header.split(",")}
    if "*" in tags:
        return lambda etag: True
    opaque = {tag[2:] if tag.startswith("W/") else tag for tag in tags}
    return lambda etag: etag in opaque
