"""`manage.py import_cases PATH --format airline|twcs|generic`: stream a CSV file into cases."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from tqdm import tqdm

from cases.models import Channel
from cases.services.file_import import (
    FORMATS,
    ImportFileError,
    case_import_file,
    case_import_report,
    column_map_parse,
)


class Command(BaseCommand):
    help = (
        "Import cases from a CSV file (streamed in batches); every row is counted: read or unreadable, then "
        "created, duplicate, rejected or skipped; unreadable and rejected rows are reported by line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", type=Path)
        parser.add_argument("--format", choices=FORMATS, default="generic", dest="file_format")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=COLUMN,...",
            help="Column names to read fields from, e.g. text=body,received_at=created.",
        )
        parser.add_argument("--brand", default="", help="Brand for rows that name none.")
        parser.add_argument(
            "--channel",
            default="",
            choices=["", *Channel.values],
            help="Channel for rows that name none (twitter for airline and twcs).",
        )
        parser.add_argument("--batch-size", type=int, default=2_000)
        parser.add_argument("--show-rejections", type=int, default=20, help="How many rejections to list.")
        parser.add_argument("--no-embed", action="store_true", help="Do not queue embeddings of the new cases.")
        parser.add_argument(
            "--encoding",
            default="utf-8",
            help="The file's encoding when it is not UTF-8: an ASCII-compatible one such as cp1252 or latin-1.",
        )

    def handle(
        self,
        *args,
        path: Path,
        file_format: str,
        map: list[str],
        brand: str,
        channel: str,
        batch_size: int,
        show_rejections: int,
        no_embed: bool,
        encoding: str,
        **options,
    ) -> None:
        if not path.is_file():
            raise CommandError(f"{path} is not a file")
        try:
            column_map = column_map_parse(map)
        except ImportFileError as error:
            raise CommandError(f"--map: {error}") from error
        show_progress = options["verbosity"] > 0
        with tqdm(
            total=path.stat().st_size,
            unit="B",
            unit_scale=True,
            desc=path.name,
            disable=not show_progress,
            file=self.stderr._out,
        ) as progress:

            def on_progress(position: int) -> None:
                progress.update(position - progress.n)

            try:
                summary = case_import_file(
                    path=path,
                    file_format=file_format,
                    column_map=column_map,
                    default_brand=brand,
                    default_channel=channel,
                    batch_size=batch_size,
                    reported_rejections=show_rejections,
                    on_progress=on_progress,
                    embed=False if no_embed else None,
                    encoding=encoding,
                )
            except ImportFileError as error:
                raise CommandError(f"{path}: {error}") from error

        for line in case_import_report(summary):
            self.stdout.write(line)
