"""Reading text files whatever their encoding: UTF-8 with or without BOM, UTF-16, cp1252; CSV dialect sniffing."""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path
from typing import TextIO

from xsc_desktop.errors import UserError

_CHUNK = 1 << 20


def utf16_from_head(head: bytes) -> str | None:
    """UTF-16 told from a file's first bytes: its BOM, or a NUL in one of the first two bytes (ASCII as UTF-16)."""
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    if len(head) >= 2 and (head[0] == 0) != (head[1] == 0):
        return "utf-16-le" if head[1] == 0 else "utf-16-be"
    return None


def detect_encoding(path: Path) -> str:
    """The encoding of a text file: from its BOM, else UTF-8 when every byte decodes as UTF-8, else cp1252."""
    with open(path, "rb") as fh:
        head = fh.read(4)
        if head.startswith(codecs.BOM_UTF8):
            return "utf-8-sig"
        utf16 = utf16_from_head(head)
        if utf16:
            return utf16
        fh.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        try:
            while chunk := fh.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return "cp1252"
    return "utf-8"


def open_text(path: Path) -> tuple[TextIO, str]:
    """Open a text file for reading in its own encoding; returns the stream and the encoding's name."""
    try:
        encoding = detect_encoding(path)
        # cp1252 leaves five bytes undefined; decode them rather than fail on a stray byte.
        return open(path, encoding=encoding, errors="replace" if encoding == "cp1252" else "strict", newline=""), encoding
    except FileNotFoundError:
        raise UserError(f"The file {path} does not exist; check the name and try again.") from None
    except IsADirectoryError:
        raise UserError(f"{path} is a folder, not a file; pick a file.") from None
    except PermissionError:
        raise UserError(f"The file {path} cannot be read; check its permissions.") from None


def sniff_dialect(stream: TextIO) -> type[csv.Dialect] | csv.Dialect:
    """The CSV dialect of a stream from its first lines (comma, semicolon, tab or pipe); rewinds the stream."""
    sample = stream.read(64 * 1024)
    stream.seek(0)
    if not sample.strip():
        return csv.excel
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 20)[0] if "\n" in sample else sample, delimiters=",;\t|")
        dialect.doublequote = True
        return dialect
    except csv.Error:
        return csv.excel


def read_csv_rows(path: Path):
    """Yield (line number, row) from a CSV file in any common encoding and delimiter; the header row first."""
    stream, _encoding = open_text(path)
    with stream:
        try:
            dialect = sniff_dialect(stream)
        except UnicodeDecodeError:
            raise UserError(f"{path.name} is not readable text in its own encoding; save it as UTF-8 and import "
                            "again.") from None
        reader = csv.reader(stream, dialect)
        start = 1
        try:
            for row in reader:
                yield start, row
                start = reader.line_num + 1
        except csv.Error as exc:
            raise UserError(f"{path.name} stops being readable CSV at line {reader.line_num} ({exc}); "
                            "fix that line and import again.") from None
        except UnicodeDecodeError:
            raise UserError(f"{path.name} mixes text encodings; save it as UTF-8 and import again.") from None


def text_io(data: bytes) -> io.StringIO:
    """Bytes of unknown encoding as text (UTF-8, UTF-16 or cp1252)."""
    for bom, enc in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")):
        if data.startswith(bom):
            return io.StringIO(data.decode(enc, errors="replace"))  # a head cut mid-character stays readable
    try:
        return io.StringIO(data.decode("utf-8"))
    except UnicodeDecodeError:
        return io.StringIO(data.decode("cp1252", errors="replace"))
