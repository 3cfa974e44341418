"""Read a labelled CSV (text, label, brand) into analysis texts for the seam's evaluation (command and benches)."""

from __future__ import annotations

from collections.abc import Sequence

from cases.text import analysis_text


class LabelledFileError(ValueError):
    """The labelled file or the options given for it cannot be used (missing column, nothing left, ...)."""


def labelled_file_read(
    *,
    path: str,
    text_column: str,
    label_column: str,
    brand_column: str | None = None,
    filters: Sequence[tuple[str, str]] = (),
    excluded_labels: Sequence[str] = (),
    limit: int | None = None,
) -> tuple[list[str], list[str], list[str]]:
    """(analysis texts, labels, brand names seen) of the rows kept: every filter matches, label present, not excluded.

    Each text loses @handles, URLs and its own row's brand name, as production's analysis text does.
    """
    import pandas as pd

    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (OSError, ValueError) as error:
        raise LabelledFileError(f"cannot read {path}: {error}") from error
    needed = [text_column, label_column, *([brand_column] if brand_column else []), *(column for column, _ in filters)]
    missing = [column for column in needed if column not in frame.columns]
    if missing:
        raise LabelledFileError(f"column(s) not in {path}: {', '.join(missing)}")
    keep = frame[label_column].str.strip() != ""
    for column, value in filters:
        keep &= frame[column] == value
    keep &= ~frame[label_column].isin(list(excluded_labels))
    frame = frame[keep]
    if limit is not None:
        frame = frame.head(limit)
    if frame.empty:
        raise LabelledFileError("no rows left after the filters")
    brands = [str(value) for value in frame[brand_column]] if brand_column else [""] * len(frame)
    texts = [
        analysis_text(str(text), brand_names=[brand] if brand else [])
        for text, brand in zip(frame[text_column], brands, strict=True)
    ]
    return texts, [str(label) for label in frame[label_column]], sorted({brand for brand in brands if brand})
