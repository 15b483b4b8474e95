"""Sorting and pagination shared by the Studio list operations.

Tokens are opaque to callers (base64 of the offset and a fingerprint of the query); a token that was not
issued for the same query is refused with ``ValidationException``, as AWS refuses a foreign token.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from moto.sagemaker.exceptions import ValidationError

from localcloud.sagemaker.validation import check_enum, check_max_results

T = TypeVar("T")


def _fingerprint(query: Mapping[str, Any]) -> str:
    canonical = json.dumps(query, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _encode(offset: int, query: Mapping[str, Any]) -> str:
    raw = json.dumps({"o": offset, "q": _fingerprint(query)}).encode()
    return base64.urlsafe_b64encode(raw).decode()


def _decode(token: str, query: Mapping[str, Any]) -> int:
    try:
        decoded = json.loads(base64.urlsafe_b64decode(token.encode()))
        offset = decoded["o"]
        fingerprint = decoded["q"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ValidationError("Invalid pagination token.") from None
    if not isinstance(offset, int) or offset < 0 or fingerprint != _fingerprint(query):
        raise ValidationError("Invalid pagination token.")
    return offset


def sort_items(
    items: list[T],
    sort_by: str | None,
    sort_order: str | None,
    keys: Mapping[str, Callable[[T], Any]],
    default: str = "CreationTime",
) -> list[T]:
    """Sort by one of ``keys`` (an enum of the operation), ascending unless ``SortOrder`` says otherwise."""
    check_enum(sort_by, "SortBy", keys)
    check_enum(sort_order, "SortOrder", ("Ascending", "Descending"))
    key = keys[sort_by or default]
    return sorted(items, key=key, reverse=sort_order == "Descending")


def paginate(
    items: Sequence[T],
    max_results: int | None,
    next_token: str | None,
    query: Mapping[str, Any],
    default_limit: int | None = None,
) -> tuple[list[T], str | None]:
    """One page of ``items`` and the token for the next one (None on the last page).

    ``MaxResults`` is checked against the Studio lists' 1..100 unless ``default_limit`` is given (ListTags
    has its own bounds, which the input-shape check enforces).
    """
    limit = check_max_results(max_results) if default_limit is None else (max_results or default_limit)
    offset = _decode(next_token, query) if next_token else 0
    page = list(items[offset : offset + limit])
    end = offset + limit
    return page, (_encode(end, query) if end < len(items) else None)
