"""Limits on the bodies the API accepts: JSON nesting depth and body size, each refused with the limit named.

Python's JSON decoder recurses once per level, so thousands of `[` end in a RecursionError (a 500) before any view
runs; PostgreSQL's jsonb has its own depth limit. Real payloads nest a few levels, so a generous fixed depth
separates them from abuse.
"""

from __future__ import annotations

import codecs
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.http import QueryDict
from rest_framework import exceptions, status
from rest_framework.parsers import FormParser, JSONParser
from rest_framework.utils import json

JSON_MAX_DEPTH = 64


class RequestBodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "request_too_large"


def json_depth_exceeds(value: Any, limit: int) -> bool:
    """Whether objects and arrays nest deeper than `limit` levels (`[]` is one level; walked without recursion)."""
    if not isinstance(value, dict | list):
        return False
    # Only containers are pushed: a flat payload of many strings costs one pass over its values.
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if depth > limit:
            return True
        for child in item.values() if isinstance(item, dict) else item:
            if isinstance(child, dict | list):
                pending.append((child, depth + 1))
    return False


def too_deep_message(limit: int = JSON_MAX_DEPTH) -> str:
    return f"JSON nested deeper than {limit} levels; the limit is {limit}."


def too_large_message(limit: int) -> str:
    return f"The request body is larger than {limit:,} bytes (DATA_UPLOAD_MAX_MEMORY_SIZE)."


def read_within_limit(stream: Any) -> bytes:
    """The whole body, or RequestBodyTooLarge once it passes DATA_UPLOAD_MAX_MEMORY_SIZE (None: no limit)."""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    if limit is None:
        return stream.read()
    raw = stream.read(limit + 1)
    if len(raw) > limit:
        raise RequestBodyTooLarge(too_large_message(limit))
    return raw


class LimitedFormParser(FormParser):
    """DRF's form parser with DATA_UPLOAD_MAX_MEMORY_SIZE enforced (413); it too reads the stream itself."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        return QueryDict(read_within_limit(stream), encoding=encoding)


class LimitedJSONParser(JSONParser):
    """DRF's JSON parser with DATA_UPLOAD_MAX_MEMORY_SIZE (413) and JSON_MAX_DEPTH (400) enforced.

    DRF reads the request stream itself, which bypasses Django's own size check on `request.body`.
    """

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None) -> Any:
        raw = read_within_limit(stream)
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            text = codecs.decode(raw, encoding)
            data = json.loads(text) if self.strict else json.loads(text, parse_constant=None)
        except RecursionError:
            raise exceptions.ParseError(too_deep_message()) from None
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from None
        if json_depth_exceeds(data, JSON_MAX_DEPTH):
            raise exceptions.ParseError(too_deep_message())
        return data
