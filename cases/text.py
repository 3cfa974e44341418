"""The analysis text of a case: what the model reads, with handles, links and brand names taken out."""

from __future__ import annotations

import functools
import html
import re
import unicodedata
from collections.abc import Iterable

HANDLE = re.compile(r"(?<![\w@])@\w{1,50}")
URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
CONTROL = re.compile(r"[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u200b-\u200f\u2028\u2029\ufeff]")
WHITESPACE = re.compile(r"\s+")


@functools.lru_cache(maxsize=1024)
def _brand_pattern(brand_names: tuple[str, ...]) -> re.Pattern[str] | None:
    variants: set[str] = set()
    for name in brand_names:
        name = name.strip()
        if not name:
            continue
        variants.add(name)
        variants.add(name.replace(" ", ""))
    if not variants:
        return None
    alternatives = "|".join(re.escape(variant) for variant in sorted(variants, key=len, reverse=True))
    return re.compile(rf"(?<!\w)#?(?:{alternatives})(?!\w)", re.IGNORECASE)


def analysis_text(text: str, *, brand_names: Iterable[str] = ()) -> str:
    """Decode HTML entities, drop @handles, URLs, the brand's own names and control characters, fold whitespace."""
    cleaned = unicodedata.normalize("NFC", html.unescape(text))
    cleaned = CONTROL.sub(" ", cleaned)
    cleaned = URL.sub(" ", cleaned)
    cleaned = HANDLE.sub(" ", cleaned)
    pattern = _brand_pattern(tuple(brand_names))
    if pattern is not None:
        cleaned = pattern.sub(" ", cleaned)
    return WHITESPACE.sub(" ", cleaned).strip()
