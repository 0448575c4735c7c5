"""A JSON parser that answers deep nesting with 400 instead of a server error.

Python's json module recurses once per level, so a few thousand nested arrays raise
RecursionError, which DRF's JSONParser lets escape as a 500. PRIAM's documents are
a handful of levels deep; anything past MAX_DEPTH is refused before the engine or a
serializer walks it recursively.
"""

from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

MAX_DEPTH = 64
TOO_DEEP = f"JSON parse error - the JSON is nested too deeply (at most {MAX_DEPTH} levels)."


def json_depth_exceeds(value, limit=MAX_DEPTH):
    """Whether the parsed value nests deeper than limit; iterative, so any depth is safe."""
    pending = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        if depth > limit:
            return True
        pending.extend((child, depth + 1) for child in children)
    return False


class SafeJSONParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(TOO_DEEP) from None
        if json_depth_exceeds(data):
            raise ParseError(TOO_DEEP)
        return data
