"""The API's JSON parser: DRF's, with a bound on how deeply a body may nest.

Every body this API takes is a flat object, yet DRF parses any depth. Past about a
thousand levels Python's own `json` gives up with a RecursionError, which DRF does not
catch (it catches ValueError only), so the client got a 500. Below that, a body parsed
fine and blew up later, where Django or DRF walk nested values recursively (a list given
as a primary key, an error message that quotes the value). Refusing anything nested
deeper than MAX_DEPTH at the parser answers both with DRF's 400 before a view, the
idempotency layer or a serializer sees the data.
"""

from __future__ import annotations

from typing import Any

from rest_framework import parsers
from rest_framework.exceptions import ParseError

# Generous for flat objects; far below where Python's recursion limit is reached.
MAX_DEPTH = 32

TOO_DEEP = f"JSON parse error - nested deeper than {MAX_DEPTH} levels."


def nested_deeper_than(data: Any, limit: int) -> bool:
    """Whether objects and arrays in `data` nest more than `limit` levels (a top-level
    object is one level). Iterative, so no depth can exhaust the stack here."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value
        if depth > limit:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False


class DepthLimitedJSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError as exc:
            raise ParseError(TOO_DEEP) from exc
        if isinstance(data, dict | list) and nested_deeper_than(data, MAX_DEPTH):
            raise ParseError(TOO_DEEP)
        return data
