"""Reading a roster's CSV files from a folder or a .zip: BOM, CRLF, quoted fields; ``metadata.*``/``ext_*``
columns dropped; every row with its line number for error messages."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from domain.roster.model import RosterError

MAX_FILE_BYTES = 512 * 1024 * 1024  # a district-wide export is tens of MB; refuse a zip bomb


class RosterFiles:
    """The CSV files of one export, by lower-cased file name (``users.csv``)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._zip: zipfile.ZipFile | None = None
        self._names: dict[str, str] = {}
        if path.is_dir():
            for child in path.iterdir():
                if child.is_file() and child.suffix.lower() == ".csv":
                    self._names[child.name.lower()] = str(child)
        elif path.is_file() and zipfile.is_zipfile(path):
            self._zip = zipfile.ZipFile(path)
            for info in self._zip.infolist():
                name = info.filename.rsplit("/", 1)[-1]
                if name.lower().endswith(".csv") and not info.is_dir() and not name.startswith("._"):
                    self._names[name.lower()] = info.filename
        elif path.exists():
            raise FileNotFoundError(f"{path.name} is neither a folder nor a .zip file")
        else:
            raise FileNotFoundError(f"{path} does not exist")

    def names(self) -> set[str]:
        return set(self._names)

    def has(self, name: str) -> bool:
        return name.lower() in self._names

    def original_name(self, name: str) -> str:
        return self._names.get(name.lower(), name).rsplit("/", 1)[-1]

    def read_bytes(self, name: str) -> bytes:
        stored = self._names[name.lower()]
        if self._zip is not None:
            info = self._zip.getinfo(stored)
            if info.file_size > MAX_FILE_BYTES:
                raise ValueError(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
            return self._zip.read(stored)
        data = Path(stored).read_bytes()
        if len(data) > MAX_FILE_BYTES:
            raise ValueError(f"{name} is larger than {MAX_FILE_BYTES // (1024 * 1024)} MB")
        return data

    def close(self) -> None:
        if self._zip is not None:
            self._zip.close()


@dataclass(slots=True)
class Table:
    """One CSV file's rows as dicts keyed by the header's lower-cased column names (ignored columns removed)."""

    file: str
    columns: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number, row)

    def __iter__(self) -> Iterator[tuple[int, dict[str, str]]]:
        return iter(self.rows)


# Extension columns Faraday reads (a guardian's preferred language and contact permission, for messages home: see
# oneroster.LANGUAGE_COLUMNS and CONTACT_COLUMNS); every other ``metadata.*`` / ``ext`` column is dropped as it is read.
KEPT_EXTENSIONS = frozenset({"metadata.preferredlanguage", "metadata.language", "metadata.homelanguage",
                             "metadata.contactpermission", "metadata.contactallowed", "metadata.donotcontact"})


def ignored_column(name: str) -> bool:
    lowered = name.lower()
    if lowered in KEPT_EXTENSIONS:
        return False
    return lowered.startswith("metadata.") or lowered.startswith("ext_") or lowered.startswith("ext.")


def read_table(files: RosterFiles, name: str, required: tuple[str, ...], errors: list[RosterError]) -> Table | None:
    """The file's rows, or None (with an error) when it is missing, unreadable or lacks a required column.
    Column names match case-insensitively and ignoring surrounding spaces; values are stripped."""
    file = files.original_name(name)
    if not files.has(name):
        errors.append(RosterError(name, None, f"required file {name} is missing"))
        return None
    try:
        text = files.read_bytes(name).decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        errors.append(RosterError(file, None, f"not UTF-8 text (byte {exc.start})"))
        return None
    except ValueError as exc:
        errors.append(RosterError(file, None, str(exc)))
        return None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = next(reader)
    except StopIteration:
        errors.append(RosterError(file, 1, "the file is empty (no header row)"))
        return None
    except csv.Error as exc:
        errors.append(RosterError(file, 1, f"unreadable CSV: {exc}"))
        return None
    columns = [c.strip() for c in header]
    by_lower = {c.lower(): c for c in columns}
    missing = [c for c in required if c.lower() not in by_lower]
    if missing:
        errors.append(RosterError(file, 1, "missing required column(s): " + ", ".join(missing)))
        return None
    duplicate = {c for c in columns if columns.count(c) > 1 and c}
    if duplicate:
        errors.append(RosterError(file, 1, "duplicate column(s): " + ", ".join(sorted(duplicate))))
        return None
    keep = [(i, c.lower()) for i, c in enumerate(columns) if c and not ignored_column(c)]
    names = [c.lower() for c in columns]
    width = len(columns)
    everything = len(keep) == width  # no ignored columns: each row is zipped whole (the fast path)
    rows: list[tuple[int, dict[str, str]]] = []
    line = 1
    strip = str.strip
    try:
        for values in reader:
            line = reader.line_num
            if len(values) != width:
                if not values or all(not v.strip() for v in values):
                    continue  # blank lines (a trailing CRLF) are not rows
                if len(values) > width and any(v.strip() for v in values[width:]):
                    errors.append(RosterError(file, line, f"{len(values)} fields but the header has {width}"))
                    continue
                values = (values + [""] * width)[:width]
            if everything:
                rows.append((line, dict(zip(names, map(strip, values), strict=True))))
            else:
                rows.append((line, {c: values[i].strip() for i, c in keep}))
    except csv.Error as exc:
        errors.append(RosterError(file, line + 1, f"unreadable CSV: {exc}"))
        return None
    return Table(file, [c for _, c in keep], rows)


_LOWER: dict[str, str] = {}


def get(row: dict[str, str], column: str) -> str:
    """A column's value whatever the header's letter case ('' when the column is absent)."""
    key = _LOWER.get(column)
    if key is None:
        key = _LOWER[column] = column.lower()
    return row.get(key, "")
