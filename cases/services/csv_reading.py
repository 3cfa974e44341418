"""Read a CSV file as records with every line accounted for, in bounded memory.

What counts as a row ("rows in the file"): the header is the first non-blank record; after it every record is
one row, however many lines its quoted fields span; blank lines are no rows. A record that cannot be read
(broken quoting, wrong column count, longer than MAX_RECORD_BYTES) is one unreadable row, reported at the line
it starts on, and reading resumes on the line after that first line, so rows that a stray quote swallowed are
read again instead of lost. One exception: an over-long record whose quotes do close (a huge quoted field) is
skipped whole, up to its last line, so its inner lines do not come back as spurious rows. Every non-blank line
of the file therefore belongs to exactly one row, read or unreadable.

Encodings: UTF-8 (with or without a byte order mark) unless the caller declares another ASCII-compatible
encoding (cp1252, latin-1, ...). The whole file is checked to decode before any row is returned, so a file in
another encoding is refused, naming the first bad byte, its offset and line, and the encoding it likely is,
before anything is stored. UTF-16 and UTF-32 files (by their byte order mark, or by their NUL bytes) are
refused naming the encoding.
"""

from __future__ import annotations

import codecs
import csv
import re
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

# One row (all its lines) may take this many bytes of the file. Equal to csv's default field_size_limit
# (in characters, never more than bytes), so that limit never fires first and an over-long row is always
# reported by this module, at its first line.
MAX_RECORD_BYTES = 131_072
# An over-long row whose quotes have not closed within this many bytes is taken for an unclosed quote.
MAX_SKIPPED_RECORD_BYTES = 64 * 1024 * 1024
DECODE_CHECK_CHUNK_BYTES = 1024 * 1024
WIDE_ENCODING_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32 (little-endian)"),
    (codecs.BOM_UTF32_BE, "UTF-32 (big-endian)"),
    (codecs.BOM_UTF16_LE, "UTF-16 (little-endian)"),
    (codecs.BOM_UTF16_BE, "UTF-16 (big-endian)"),
)
ASCII_PROBE = ',"\r\n azAZ09'
# Splits after a CR that ends a line on its own (not the CR of a CRLF, nor the last byte of a chunk).
LONE_CARRIAGE_RETURN = re.compile(rb"(?<=\r)(?=[^\n])")
LINE_END = re.compile(rb"\r\n|\r|\n")


class ImportFileError(ValueError):
    """The file as a whole cannot be imported (encoding, header, unknown format, missing columns, bad column map)."""


@dataclass
class CsvRecord:
    """One row of the file: its first line and either its values or why it cannot be read."""

    line: int
    values: list[str] | None = None
    error: str | None = None


class _RecordTooLong(Exception):
    pass


def _codec_name(encoding: str) -> str:
    try:
        name = codecs.lookup(encoding).name
        ascii_compatible = ASCII_PROBE.encode(name) == ASCII_PROBE.encode("ascii")
    except LookupError:
        raise ImportFileError(f"unknown encoding {encoding!r}") from None
    if not ascii_compatible:
        raise ImportFileError(
            f"encoding {encoding!r} is not supported: the import reads UTF-8 or an ASCII-compatible encoding "
            "such as cp1252 or latin-1; convert the file to UTF-8 first (e.g. iconv -t UTF-8)"
        )
    return name


def _refuse_wide_encodings(head: bytes) -> None:
    for bom, label in WIDE_ENCODING_BOMS:
        if head.startswith(bom):
            raise ImportFileError(
                f"the file is {label}, by its byte order mark; the import reads UTF-8: save it as 'CSV UTF-8' "
                f"or convert it (iconv -f {label.split()[0]} -t UTF-8)"
            )
    sample = head[:4096]
    if len(sample) >= 16 and sample.count(0) * 4 >= len(sample):
        raise ImportFileError(
            f"{sample.count(0):,} of the first {len(sample):,} bytes are NUL: the file looks like UTF-16 or UTF-32 "
            "without a byte order mark (or binary data); the import reads UTF-8 text"
        )


def _likely_encoding(context: bytes) -> str:
    controls = sum(1 for byte in context if byte < 0x20 and byte not in b"\t\r\n")
    if controls:
        return "it looks like binary data, not text"
    try:
        return f"it reads as Windows-1252 (cp1252) {context.decode('cp1252')!r}: if that is the file's encoding, " + (
            "import it declaring that encoding (--encoding cp1252), or save the file as UTF-8"
        )
    except UnicodeDecodeError:
        return f"it reads as Latin-1 {context.decode('latin-1')!r}: if that is the file's encoding, " + (
            "import it declaring that encoding (--encoding latin-1), or save the file as UTF-8"
        )


def _line_breaks(data: bytes) -> int:
    """LF, CRLF and lone CR line ends in `data` (a CRLF split across two chunks counts twice: good enough)."""
    return data.count(b"\n") + data.count(b"\r") - data.count(b"\r\n")


def _check_decodes(binary_file: BinaryIO, *, encoding: str, start: int) -> None:
    """Raise ImportFileError at the first byte that `encoding` cannot decode, naming its offset and line."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="strict")
    binary_file.seek(start)
    offset = start
    line = 1
    final = False
    while not final:
        chunk = binary_file.read(DECODE_CHECK_CHUNK_BYTES)
        final = not chunk
        pending = decoder.getstate()[0]
        data = pending + chunk
        try:
            decoder.decode(chunk, final=final)
        except UnicodeDecodeError as error:
            bad_offset = offset - len(pending) + error.start
            bad_line = line + _line_breaks(data[: error.start])
            before = LINE_END.split(data[max(0, error.start - 30) : error.start])[-1]
            after = LINE_END.split(data[error.start : error.start + 30], maxsplit=1)[0]
            raise ImportFileError(
                f"the file is not valid {encoding}: byte 0x{data[error.start]:02X} at offset {bad_offset:,} "
                f"(line {bad_line}) cannot be decoded; {_likely_encoding(before + after)}"
            ) from None
        line += _line_breaks(chunk)
        offset += len(chunk)
    binary_file.seek(start)


class _Lines:
    """The file's lines from a byte offset, decoded and numbered; refuses to let one record pass the limit.

    A line ends with LF, CRLF or a lone CR (old Mac files), as in Python's universal newlines.
    """

    def __init__(self, binary_file: BinaryIO, *, encoding: str, offset: int):
        self.binary_file = binary_file
        self.encoding = encoding
        self.offset = offset
        self.line = 1
        self.record_line = 1
        self.record_bytes = 0
        self.record_quotes = 0
        self.after_first_line: tuple[int, int] = (offset, 1)
        self.ended_line = True
        # The rest of the last chunk read, after a lone CR split it into lines.
        self.pending: deque[bytes] = deque()

    def start_record(self) -> None:
        self.record_line = self.line
        self.record_bytes = 0
        self.record_quotes = 0
        self.after_first_line = (self.offset, self.line)

    def _read_line(self, size: int) -> bytes:
        """The next line, or its first `size` bytes when longer; counts it into the record's bytes and quotes."""
        if self.pending:
            part = self.pending.popleft()
        else:
            part = self.binary_file.readline(size)
            carriage_returns = part.count(b"\r")
            if carriage_returns and carriage_returns > part.endswith((b"\r\n", b"\r")):
                first, *rest = LONE_CARRIAGE_RETURN.split(part)
                part = first
                self.pending.extend(rest)
        self.offset += len(part)
        self.record_bytes += len(part)
        self.record_quotes += part.count(b'"')
        self.ended_line = part.endswith((b"\n", b"\r"))
        self.line += self.ended_line
        return part

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        remaining = MAX_RECORD_BYTES - self.record_bytes
        first_of_record = self.record_bytes == 0
        part = self._read_line(remaining + 1)
        if not part:
            raise StopIteration
        if first_of_record:
            self.after_first_line = (self.offset, self.line) if self.ended_line else (-1, self.line + 1)
        if len(part) > remaining:
            raise _RecordTooLong
        return part.decode(self.encoding)

    def skip_to_record_end(self) -> int | None:
        """Read on until the record's quotes balance at a line end; the record's last line, or None if they never
        do within MAX_SKIPPED_RECORD_BYTES (then the position is left anywhere: the caller seeks)."""
        while self.record_bytes <= MAX_SKIPPED_RECORD_BYTES:
            if self.ended_line and self.record_quotes % 2 == 0:
                return self.line - 1
            if not self._read_line(DECODE_CHECK_CHUNK_BYTES):
                return self.line if self.record_quotes % 2 == 0 else None
        return None

    def seek(self, offset: int, line: int) -> None:
        self.pending.clear()
        self.binary_file.seek(offset)
        self.offset = offset
        self.line = line

    def skip_rest_of_line(self) -> None:
        """Move past the end of the current line (after a line cut short at the limit)."""
        while self._read_line(DECODE_CHECK_CHUNK_BYTES) and not self.ended_line:
            pass


def _next_record(reader: Iterator[list[str]], lines: _Lines) -> CsvRecord | None:
    """The next non-blank record, or None at the end of the file."""
    while True:
        lines.start_record()
        try:
            values = next(reader)
        except StopIteration:
            return None
        except csv.Error as error:
            record = CsvRecord(line=lines.record_line, error=f"broken CSV quoting: {error}")
            if lines.line - 1 > lines.record_line:
                record.error = (
                    f"broken CSV quoting: a quoted field opened on this line breaks on line {lines.line - 1}: "
                    f"{error}; the lines after this one are read again as rows"
                )
            _resume_after_first_line(lines)
            return record
        except _RecordTooLong:
            return _over_long_record(lines)
        if not values:
            continue
        return CsvRecord(line=lines.record_line, values=values)


def _resume_after_first_line(lines: _Lines) -> None:
    offset, line = lines.after_first_line
    if offset < 0:
        lines.skip_rest_of_line()
    else:
        lines.seek(offset, line)


def _over_long_record(lines: _Lines) -> CsvRecord:
    first_line = lines.record_line
    last_line = lines.skip_to_record_end()
    if last_line is not None:
        span = f"lines {first_line}-{last_line}" if last_line > first_line else "one line"
        return CsvRecord(
            line=first_line,
            error=f"the row is longer than the limit of {MAX_RECORD_BYTES:,} bytes ({span}, skipped whole)",
        )
    _resume_after_first_line(lines)
    return CsvRecord(
        line=first_line,
        error=(
            f"the row is longer than the limit of {MAX_RECORD_BYTES:,} bytes and its quotes never close "
            "(an unclosed quote?); the lines after this one are read again as rows"
        ),
    )


def csv_read(binary_file: BinaryIO, *, encoding: str = "utf-8") -> tuple[list[str], Iterator[CsvRecord]]:
    """The header (stripped names) and an iterator of the rows after it; raises ImportFileError for the file."""
    codec = _codec_name(encoding)
    head = binary_file.read(4096)
    _refuse_wide_encodings(head)
    start = len(codecs.BOM_UTF8) if codec == "utf-8" and head.startswith(codecs.BOM_UTF8) else 0
    _check_decodes(binary_file, encoding=codec, start=start)
    lines = _Lines(binary_file, encoding=codec, offset=start)
    reader = csv.reader(lines, strict=True)
    header_record = _next_record(reader, lines)
    if header_record is None:
        raise ImportFileError("the file is empty: expected a header row")
    if header_record.values is None:
        raise ImportFileError(f"line {header_record.line}: the header cannot be read: {header_record.error}")
    header = [name.strip() for name in header_record.values]
    seen: dict[str, int] = {}
    for position, name in enumerate(header, start=1):
        if name in seen:
            raise ImportFileError(
                f"the header names column {name!r} twice (columns {seen[name]} and {position}); "
                "rename or remove one, so no values are silently dropped"
            )
        seen[name] = position

    def records() -> Iterator[CsvRecord]:
        while (record := _next_record(reader, lines)) is not None:
            if record.values is not None and len(record.values) != len(header):
                error = f"expected {len(header)} columns, found {len(record.values)}"
                if lines.line - 1 > record.line:
                    # Spanning lines with the wrong count is most likely a stray quote: read its lines again.
                    error += "; the lines after this one are read again as rows"
                    _resume_after_first_line(lines)
                record = CsvRecord(line=record.line, error=error)
            yield record

    return header, records()
