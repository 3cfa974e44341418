"""Seeded themes: a lead creates themes from an existing taxonomy (a list, the API, or a CSV of it).

Each seeded theme has a name (its label, kept as set), an optional description and example phrases; its centroid
is the unit mean of the embeddings of those phrases (the bundled model), and never changes with a refit. A refit
first gives each case to the nearest seeded theme at or above ml.SEED_ASSIGN_THRESHOLD and clusters the rest as
usual; it never matches a cluster to a seeded theme, renames, merges or retires one.

CSV: a header `name,description,examples`, one theme per row; examples are separated by `|`. Pasted text is the
same format with the header optional, so a plain list of names (one per line) is a valid taxonomy.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from typing import Any

import numpy as np
from django.contrib.auth.models import User
from django.db import transaction
from django.db.models.functions import Lower

from cases.embedding import embed_texts, embedding_to_bytes
from improvement.errors import Invalid
from improvement.models import Theme, ThemeEvent
from improvement.models.themes import LABEL_MAX_LENGTH, SEED_DESCRIPTION_MAX_LENGTH
from improvement.permissions import permission_require_curator
from improvement.themes import ml
from improvement.themes.services.links import themes_lock_all

SEED_MAXIMUM_THEMES = 50
SEED_MAXIMUM_EXAMPLES = 20
SEED_EXAMPLE_MAX_LENGTH = 300
SEED_CSV_MAX_BYTES = 256 * 1024
SEED_CSV_COLUMNS = ("name", "description", "examples")
SEED_EXAMPLE_SEPARATOR = "|"


def _text(value: Any, *, field: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise Invalid({field: "Must be text."})
    if "\x00" in value:
        raise Invalid({field: "Must not contain NUL characters."})
    return value.strip()


def _seed_clean(index: int, entry: Any) -> dict:
    """One entry's name, description and examples, stripped and checked; Invalid names `themes.<i>.<field>`."""
    prefix = f"themes.{index}"
    if not isinstance(entry, Mapping):
        raise Invalid({prefix: "Each theme must be an object with a name."})
    unknown = sorted(set(entry) - set(SEED_CSV_COLUMNS))
    if unknown:
        raise Invalid({f"{prefix}.{unknown[0]}": f"Unknown field; a theme has {', '.join(SEED_CSV_COLUMNS)}."})
    name = _text(entry.get("name"), field=f"{prefix}.name")
    if not name:
        raise Invalid({f"{prefix}.name": "The name must not be empty."})
    if len(name) > LABEL_MAX_LENGTH:
        raise Invalid({f"{prefix}.name": f"The name must be at most {LABEL_MAX_LENGTH} characters."})
    description = _text(entry.get("description"), field=f"{prefix}.description")
    if len(description) > SEED_DESCRIPTION_MAX_LENGTH:
        raise Invalid(
            {f"{prefix}.description": f"The description must be at most {SEED_DESCRIPTION_MAX_LENGTH} characters."}
        )
    raw_examples = entry.get("examples") or []
    if not isinstance(raw_examples, list):
        raise Invalid({f"{prefix}.examples": "Examples must be a list of phrases."})
    if len(raw_examples) > SEED_MAXIMUM_EXAMPLES:
        raise Invalid({f"{prefix}.examples": f"At most {SEED_MAXIMUM_EXAMPLES} examples per theme."})
    examples = []
    for position, example in enumerate(raw_examples):
        example = _text(example, field=f"{prefix}.examples.{position}")
        if len(example) > SEED_EXAMPLE_MAX_LENGTH:
            raise Invalid(
                {f"{prefix}.examples.{position}": f"An example must be at most {SEED_EXAMPLE_MAX_LENGTH} characters."}
            )
        if example:
            examples.append(example)
    return {"name": name, "description": description, "examples": examples}


def _seeds_clean(themes: Any) -> list[dict]:
    if not isinstance(themes, list) or not themes:
        raise Invalid({"themes": "Give at least one theme."})
    if len(themes) > SEED_MAXIMUM_THEMES:
        raise Invalid({"themes": f"At most {SEED_MAXIMUM_THEMES} themes at once ({len(themes)} given)."})
    seeds = [_seed_clean(index, entry) for index, entry in enumerate(themes)]
    seen: dict[str, int] = {}
    for index, seed in enumerate(seeds):
        key = seed["name"].casefold()
        if key in seen:
            raise Invalid({f"themes.{index}.name": f"“{seed['name']}” is given twice (also as theme {seen[key]})."})
        seen[key] = index
    return seeds


def _existing_names_refuse(seeds: list[dict]) -> None:
    """Invalid when a seed's name is already the label of a theme that is not merged (case-insensitive)."""
    taken = set(
        Theme.objects.exclude(status=Theme.Status.MERGED)
        .annotate(lowered=Lower("label"))
        .filter(lowered__in=[seed["name"].lower() for seed in seeds])
        .values_list("lowered", flat=True)
    )
    for index, seed in enumerate(seeds):
        if seed["name"].lower() in taken:
            raise Invalid({f"themes.{index}.name": f"A theme named “{seed['name']}” already exists."})


def _seed_centroids(seeds: list[dict]) -> list[np.ndarray]:
    """Each seed's centroid, from one batch of every seed's phrases through the bundled model."""
    phrases = [
        ml.seed_phrases(name=seed["name"], description=seed["description"], examples=seed["examples"]) for seed in seeds
    ]
    vectors = embed_texts([phrase for group in phrases for phrase in group])
    centroids, start = [], 0
    for group in phrases:
        centroids.append(ml.seed_centroid(vectors[start : start + len(group)]))
        start += len(group)
    return centroids


def theme_seed_many(*, themes: Any, by: User) -> list[Theme]:
    """Create one active seeded theme per entry ({name, description?, examples?}), in the order given.

    All or nothing: any bad entry (empty, too long, duplicate names among them or with an existing theme, too
    many) raises Invalid naming the field (e.g. `themes.2.name`) and nothing is stored.
    """
    permission_require_curator(by)
    seeds = _seeds_clean(themes)
    _existing_names_refuse(seeds)
    centroids = _seed_centroids(seeds)
    with transaction.atomic():
        themes_lock_all()
        # Checked again under the lock: a theme of the same name made meanwhile refuses the whole batch.
        _existing_names_refuse(seeds)
        created = []
        for seed, centroid in zip(seeds, centroids, strict=True):
            theme = Theme.objects.create(
                label=seed["name"],
                is_label_custom=True,
                is_seeded=True,
                description=seed["description"],
                seed_examples=seed["examples"],
                centroid=embedding_to_bytes(centroid),
                status=Theme.Status.ACTIVE,
            )
            created.append(theme)
        ThemeEvent.objects.bulk_create(
            [
                ThemeEvent(
                    theme=theme,
                    kind=ThemeEvent.Kind.SEEDED,
                    actor=by,
                    data={"description": theme.description, "examples": theme.seed_examples},
                )
                for theme in created
            ]
        )
    return created


def theme_seeds_from_csv(*, data: bytes | str, header_required: bool = True) -> list[dict]:
    """The seed entries of a taxonomy CSV (name,description,examples; examples split on `|`).

    Invalid names `file` for undecodable, oversized or malformed input (a bad row: its line number in the message).
    With `header_required` False (pasted text) a first row that is not the header is a theme like the rest.
    """
    if isinstance(data, bytes):
        if len(data) > SEED_CSV_MAX_BYTES:
            raise Invalid({"file": f"The file must be at most {SEED_CSV_MAX_BYTES // 1024} KiB."})
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise Invalid({"file": "The file is not UTF-8 text."}) from None
    if len(data.encode()) > SEED_CSV_MAX_BYTES:
        raise Invalid({"file": f"The text must be at most {SEED_CSV_MAX_BYTES // 1024} KiB."})
    try:
        rows = [row for row in csv.reader(io.StringIO(data)) if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise Invalid({"file": f"Not a readable CSV: {error}."}) from None
    if not rows:
        raise Invalid({"file": "No themes found."})
    header = [cell.strip().lower() for cell in rows[0]]
    has_header = header == list(SEED_CSV_COLUMNS[: len(header)])
    if has_header:
        rows = rows[1:]
    elif header_required:
        raise Invalid({"file": f"The first row must be the header {','.join(SEED_CSV_COLUMNS)}."})
    if not rows:
        raise Invalid({"file": "No themes found below the header."})
    entries = []
    for line, row in enumerate(rows, start=2 if has_header else 1):
        if len(row) > len(SEED_CSV_COLUMNS):
            raise Invalid({"file": f"Line {line} has {len(row)} columns; at most {len(SEED_CSV_COLUMNS)}."})
        cells = [*row, "", ""][: len(SEED_CSV_COLUMNS)]
        examples = [example.strip() for example in cells[2].split(SEED_EXAMPLE_SEPARATOR) if example.strip()]
        entries.append({"name": cells[0], "description": cells[1], "examples": examples})
    return entries


def theme_seed_from_csv(*, data: bytes | str, by: User, header_required: bool = True) -> list[Theme]:
    """Parse a taxonomy CSV (or pasted list) and seed its themes (theme_seed_many); all or nothing."""
    permission_require_curator(by)
    return theme_seed_many(themes=theme_seeds_from_csv(data=data, header_required=header_required), by=by)
