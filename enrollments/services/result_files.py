"""Reading a partner's result report file: CSV (UTF-8 with or without a BOM, UTF-16,
Windows-1252; comma, semicolon or tab) or XLSX (its first sheet), as rows of text cells.

Every cell comes out as text, whatever the format: an XLSX date is written as an ISO date
(or date and time), a whole number without ".0". So the same report read from a CSV or
an XLSX says the same thing, and a row stored as text reads the same again later.
Anything else (a PDF, a picture, an old .xls) is refused by its first bytes, with a
message saying what it looks like.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import IO

# First bytes of files people upload by mistake, and what to tell them.
NOT_A_TABLE = (
    (b"%PDF", "a PDF document"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls (or other Office 97) file: save it as .xlsx or CSV"),
    (b"{\\rtf", "an RTF document"),
)
ZIP = b"PK\x03\x04"
TEXT_ENCODINGS = ("utf-8", "cp1252", "latin-1")
DELIMITERS = ",;\t"


class FileRefused(ValueError):
    """The whole file cannot be read as a table; the message says why."""


@dataclass(frozen=True)
class Table:
    format: str  # "csv" or "xlsx"
    rows: Iterator[tuple[int, list[str]]]  # (line or sheet row number, cells)


def read_table(stream: IO[bytes]) -> Table:
    """The rows of a CSV or XLSX file (blank rows skipped); FileRefused for anything else."""
    stream.seek(0)
    head = stream.read(8)
    stream.seek(0)
    if not head:
        raise FileRefused("The file is empty.")
    for magic, what in NOT_A_TABLE:
        if head.startswith(magic):
            raise FileRefused(f"This is {what}, not a CSV or XLSX file.")
    if head.startswith(ZIP):
        return Table("xlsx", _xlsx_rows(stream))
    return Table("csv", _csv_rows(_decode(stream.read())))


def _decode(data: bytes) -> str:
    if data.startswith(codecs.BOM_UTF8):
        return data[len(codecs.BOM_UTF8) :].decode("utf-8", errors="replace")
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            raise FileRefused("The file says it is UTF-16 text but is not.") from None
    if b"\x00" in data[:4096]:
        raise FileRefused("The file is not text (it holds binary data): not a CSV or XLSX file.")
    for encoding in TEXT_ENCODINGS:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused("The file's text encoding is not one we read.")  # latin-1 reads all


def _csv_rows(content: str) -> Iterator[tuple[int, list[str]]]:
    first = content[:4096].split("\n", 1)[0]
    delimiter = max(DELIMITERS, key=first.count) if any(d in first for d in DELIMITERS) else ","
    reader = csv.reader(io.StringIO(content, newline=""), delimiter=delimiter)
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                yield reader.line_num, [cell.strip() for cell in cells]
    except csv.Error as exc:
        raise FileRefused(f"The CSV cannot be read at line {reader.line_num}: {exc}.") from None


def _xlsx_rows(stream: IO[bytes]) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        book = load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl's errors for a bad workbook have no common base
        raise FileRefused(
            f"This is a ZIP file but not a readable XLSX workbook ({type(exc).__name__})."
        ) from None
    try:
        sheet = book.worksheets[0]
        for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            cells = [_cell_text(value) for value in values]
            if any(cells):
                yield number, cells
    finally:
        book.close()


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0) and value.tzinfo is None:
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()
