"""`manage.py evaluate_themes`: the production theme pipeline on a labelled CSV, scored; writes nothing."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from improvement.themes.labelled_files import LabelledFileError, labelled_file_read
from improvement.themes.ml import DEFAULT_ASSIGN_THRESHOLD
from improvement.themes.ml.evaluation import evaluate_fit, evaluate_kmeans


def _filter(value: str) -> tuple[str, str]:
    column, separator, wanted = value.partition("=")
    if not separator or not column:
        raise CommandError(f"--filter takes COLUMN=VALUE, got {value!r}")
    return column, wanted


class Command(BaseCommand):
    help = (
        "Fit themes on a labelled CSV exactly as production does and print agreement with the labels; "
        "the last line is one JSON object. Example (airline negatives): --csv ../shared/data/airline_tweets.csv "
        "--text-column text --label-column negativereason --brand-column airline "
        '--filter airline_sentiment=negative --exclude-label "Can\'t Tell"'
    )

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True, help="Path of the labelled CSV file.")
        parser.add_argument("--text-column", required=True)
        parser.add_argument("--label-column", required=True, help="Rows with an empty label are left out.")
        parser.add_argument("--brand-column", help="Brand of each row: removed from its text and kept out of labels.")
        parser.add_argument(
            "--filter",
            action="append",
            default=[],
            metavar="COLUMN=VALUE",
            help="Keep only rows where COLUMN equals VALUE (repeatable; all must hold).",
        )
        parser.add_argument(
            "--exclude-label",
            action="append",
            default=[],
            metavar="VALUE",
            help="Leave out rows with this label (repeatable).",
        )
        parser.add_argument(
            "--stop-word",
            action="append",
            default=[],
            metavar="WORD",
            help="Another brand name or handle to keep out of labels (repeatable).",
        )
        parser.add_argument("--limit", type=int, help="Use only the first N rows kept.")
        parser.add_argument("--random-state", type=int, default=42)
        parser.add_argument("--assign-threshold", type=float, default=DEFAULT_ASSIGN_THRESHOLD)
        parser.add_argument(
            "--kmeans", action="store_true", help="Also print KMeans given the true number of labels, as a reference."
        )

    def handle(self, *args, **options):
        from cases.embedding import embed_texts

        filters = [_filter(value) for value in options["filter"]]
        if options["limit"] is not None and options["limit"] < 1:
            raise CommandError("--limit must be at least 1")
        started = time.perf_counter()
        try:
            texts, labels, brands = labelled_file_read(
                path=options["csv"],
                text_column=options["text_column"],
                label_column=options["label_column"],
                brand_column=options["brand_column"],
                filters=filters,
                excluded_labels=options["exclude_label"],
                limit=options["limit"],
            )
        except LabelledFileError as error:
            raise CommandError(str(error)) from error
        self.stderr.write(f"{len(texts)} rows, {len(set(labels))} labels; embedding...")
        embeddings = embed_texts(texts, show_progress=True)
        self.stderr.write("fitting themes...")
        result = evaluate_fit(
            texts=texts,
            embeddings=embeddings,
            true_labels=labels,
            stop_words=[*brands, *options["stop_word"]],
            random_state=options["random_state"],
            assign_threshold=options["assign_threshold"],
            embed_phrases=embed_texts,
        )
        if options["kmeans"]:
            reference = evaluate_kmeans(embeddings=embeddings, true_labels=labels, random_state=options["random_state"])
            self.stdout.write(f"KMeans with the true k: {json.dumps(reference)}")
        result["rows"] = len(texts)
        result["total_seconds"] = round(time.perf_counter() - started, 2)
        self.stdout.write(json.dumps(result))
