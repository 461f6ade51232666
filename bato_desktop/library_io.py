"""Reading and writing lists of series links (``import`` / ``export``).

Accepts one link per line, CSV with a ``bato_link`` column (and optional ``anilist_id``), or JSON
(a list of links or of objects with ``bato_link``), or an AniList / MangaUpdates export
(:mod:`bato_desktop.tracker_import`). Bad entries are reported with their line number (their
item number in a JSON list) and the good ones are kept. The CLI's ``import`` and the
dashboard's File → Import both go through :func:`parse_import` and :func:`add_to_library`.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bato_desktop.core.errors import InvalidBatoLink
from bato_desktop.core.links import parse_bato_id

if TYPE_CHECKING:
    from bato_desktop.db import Repository


@dataclass(frozen=True)
class ImportEntry:
    line: int
    bato_link: str
    bato_id: str
    anilist_id: int | None = None


@dataclass
class ImportResult:
    entries: list[ImportEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def _entry(
    result: ImportResult,
    line: int,
    link: object,
    anilist: object = None,
    where: str = "line",
    hosts: Sequence[str] = (),
) -> None:
    """``where`` names the position: "line" in text and CSV, "item" in a JSON list."""
    if not isinstance(link, str) or not link.strip():
        result.problems.append(f"{where} {line}: no bato_link")
        return
    try:
        bato_id = parse_bato_id(link, extra_hosts=hosts)
    except InvalidBatoLink as exc:
        result.problems.append(f"{where} {line}: {exc}")
        return
    anilist_id: int | None = None
    if anilist not in (None, ""):
        try:
            anilist_id = int(str(anilist).strip())
        except ValueError:
            result.problems.append(f"{where} {line}: anilist_id {anilist!r} is not a number")
            return
    result.entries.append(ImportEntry(line, link.strip(), bato_id, anilist_id))


def parse_library_text(text: str, *, hosts: Sequence[str] = ()) -> ImportResult:
    """Entries and numbered problems; ``hosts``: configured mirrors accepted besides Bato's."""
    result = ImportResult()
    stripped = text.lstrip()
    if stripped.startswith(("[", "{")):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            result.problems.append(f"line {exc.lineno}: invalid JSON: {exc.msg}")
            return result
        items = data.get("series", data.get("library", [])) if isinstance(data, dict) else data
        if not isinstance(items, list):
            result.problems.append("line 1: JSON must be a list of links or objects")
            return result
        for number, item in enumerate(items, start=1):
            if isinstance(item, dict):
                _entry(
                    result,
                    number,
                    item.get("bato_link"),
                    item.get("anilist_id"),
                    "item",
                    hosts=hosts,
                )
            else:
                _entry(result, number, item, where="item", hosts=hosts)
        return result
    first_line = stripped.splitlines()[0] if stripped else ""
    if "bato_link" in first_line and ("," in first_line or ";" in first_line):
        dialect = csv.Sniffer().sniff(first_line, delimiters=",;\t")
        skipped = text[: len(text) - len(stripped)].count("\n")  # blank lines before the header
        reader = csv.DictReader(io.StringIO(stripped), dialect=dialect)
        for row in reader:
            _entry(
                result,
                reader.line_num + skipped,
                row.get("bato_link"),
                row.get("anilist_id"),
                hosts=hosts,
            )
        return result
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line and not line.startswith("#"):
            _entry(result, number, line, hosts=hosts)
    return result


def read_library_file(path: Path) -> ImportResult:
    return parse_library_text(path.read_text(encoding="utf-8-sig"))


@dataclass
class ImportReport:
    """What a file held and what became of it in the library."""

    source: str | None = None  # the tracker export's format, None for a plain link list
    entries: list[ImportEntry] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # export entries without a Bato link
    added: int = 0
    refused: int = 0  # entries the library refused (reasons in ``problems``)

    @property
    def already_tracked(self) -> int:
        return len(self.entries) - self.added - self.refused


def parse_import(text: str, *, hosts: Sequence[str] = ()) -> ImportReport:
    """A tracker export (matched by the Bato links inside its entries) or a link list."""
    from bato_desktop.tracker_import import looks_like_tracker_export, parse_tracker_export

    if looks_like_tracker_export(text):
        export = parse_tracker_export(text)
        entries = [
            ImportEntry(0, e.bato_link, e.bato_id, e.anilist_id)
            for e in export.matched
            if e.bato_link and e.bato_id
        ]
        return ImportReport(export.source, entries, list(export.problems), list(export.unmatched))
    parsed = parse_library_text(text, hosts=hosts)
    return ImportReport(None, parsed.entries, list(parsed.problems))


def add_to_library(repo: Repository, report: ImportReport) -> ImportReport:
    """Track the report's new series (due at once, loaded on the next cycle), in one
    transaction; a series already tracked under any link form is left as it is, and an entry
    the library refuses is a problem, not the end of the import."""
    from bato_desktop.db.repository import LibraryError

    with repo.atomic():
        # Read once: asking per entry re-reads the whole library (an import of 2,000 links
        # into a 2,000-series library would read it 2,000 times).
        tracked = {series.bato_id for series in repo.tracked_series()}
        for entry in report.entries:
            if entry.bato_id in tracked:
                continue
            try:
                repo.add_series(entry.bato_link, entry.bato_id, anilist_id=entry.anilist_id)
            except LibraryError as exc:  # nothing of this entry was written
                report.problems.append(f"{entry.bato_link}: {exc}")
                report.refused += 1
                continue
            tracked.add(entry.bato_id)
            report.added += 1
    return report
