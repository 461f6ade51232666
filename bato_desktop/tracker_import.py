"""Import a reading list exported by AniList or MangaUpdates (JSON, CSV or XML).

Neither tracker knows Bato ids, so an entry is matched only by a Bato link somewhere inside it
(notes, custom lists, external links, comments). Everything else is reported by title, so the
user knows exactly which series still need a link.
"""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from bato_desktop.core.errors import InvalidBatoLink
from bato_desktop.core.links import parse_bato_id

MIRROR_HOSTS = (
    "bato.to",
    "batotwo.com",
    "batotoo.com",
    "mto.to",
    "dto.to",
    "hto.to",
    "wto.to",
    "xbato.com",
    "xbato.net",
    "xbato.org",
    "zbato.com",
    "zbato.net",
    "zbato.org",
    "comiko.net",
    "batocomic.com",
    "batocomic.net",
    "batocomic.org",
    "readtoto.com",
    "readtoto.net",
    "mangatoto.com",
    "mangatoto.net",
    "xcomic.me",
    "xcomic.net",
    "comik.to",
    "yona.to",
    "bato.si",
    "bato.ing",
)
BATO_LINK = re.compile(
    r"https?://(?:www\.)?(?:[a-z0-9-]+\.)*(?:"
    + "|".join(re.escape(h) for h in MIRROR_HOSTS)
    + r"|[a-z0-9-]*(?:bato|xcomic)[a-z0-9-]*\.[a-z]{2,})"
    r"/(?:(?:title|series)/\d+|comic/(?!_/)[A-Za-z0-9_]+)[^\s\"'<>,)\]]*",
    re.IGNORECASE,
)
TITLE_KEYS = ("title", "series_title", "manga_title", "name", "romaji", "english", "userPreferred")
ID_KEYS = ("anilist_id", "id_anilist", "mediaId")


@dataclass(frozen=True)
class TrackerEntry:
    title: str
    bato_link: str | None
    bato_id: str | None
    anilist_id: int | None = None


@dataclass
class TrackerImport:
    source: str  # "anilist-json", "json", "csv", "xml"
    matched: list[TrackerEntry] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def looks_like_tracker_export(text: str) -> bool:
    """True for exports the plain link-list importer would not understand."""
    head = text.lstrip()[:4000]
    if head.startswith("<"):
        return True
    if head.startswith(("{", "[")):
        return "MediaListCollection" in head or ('"title"' in head and "bato_link" not in head)
    first = head.splitlines()[0].lower() if head else ""
    return "bato_link" not in first and any(k in first for k in ("title", "name", "series"))


def find_bato_links(text: str) -> list[str]:
    return [match.group(0).rstrip(".;") for match in BATO_LINK.finditer(text)]


def _entry(title: str, texts: list[str], anilist_id: int | None) -> TrackerEntry:
    for candidate in (link for text in texts for link in find_bato_links(text)):
        try:
            return TrackerEntry(title, candidate, parse_bato_id(candidate), anilist_id)
        except InvalidBatoLink:
            continue
    return TrackerEntry(title, None, None, anilist_id)


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _title_of(obj: dict[str, Any]) -> str | None:
    for key in TITLE_KEYS:
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, dict):
            nested = _title_of(value)
            if nested:
                return nested
    media = obj.get("media") or obj.get("series") or obj.get("record")
    return _title_of(media) if isinstance(media, dict) else None


def _anilist_id_of(obj: dict[str, Any]) -> int | None:
    for key in ID_KEYS:
        if isinstance(obj.get(key), int):
            return int(obj[key])
    media = obj.get("media")
    if isinstance(media, dict) and isinstance(media.get("id"), int):
        return int(media["id"])
    return None


def _json_entries(data: Any) -> Iterator[dict[str, Any]]:
    """The objects that stand for one series: the outermost dicts that carry a title."""
    if isinstance(data, dict):
        if _title_of(data) and not any(
            isinstance(v, list) and v and isinstance(v[0], dict) and _title_of(v[0])
            for v in data.values()
        ):
            yield data
            return
        for value in data.values():
            yield from _json_entries(value)
    elif isinstance(data, list):
        for item in data:
            yield from _json_entries(item)


def parse_tracker_export(text: str) -> TrackerImport:
    stripped = text.lstrip()
    if stripped.startswith("<"):
        return _parse_xml(stripped)
    if stripped.startswith(("{", "[")):
        try:
            data = json.loads(stripped)
        except json.JSONDecodeError as exc:
            return TrackerImport("json", problems=[f"line {exc.lineno}: invalid JSON: {exc.msg}"])
        result = TrackerImport("anilist-json" if "MediaListCollection" in stripped else "json")
        for obj in _json_entries(data):
            title = _title_of(obj) or "(untitled)"
            _add(result, _entry(title, list(_strings(obj)), _anilist_id_of(obj)))
        return result
    return _parse_csv(text)


def _add(result: TrackerImport, entry: TrackerEntry) -> None:
    if entry.bato_link:
        result.matched.append(entry)
    else:
        result.unmatched.append(entry.title)


def _parse_csv(text: str) -> TrackerImport:
    result = TrackerImport("csv")
    try:
        dialect = csv.Sniffer().sniff(text.splitlines()[0] if text else ",", delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    for row in reader:
        lowered = {(k or "").strip().lower(): (v or "") for k, v in row.items()}
        title = next(
            (
                lowered[k]
                for k in lowered
                if "title" in k or k in ("name", "series")
                if lowered[k].strip()
            ),
            f"(line {reader.line_num})",
        )
        anilist = next((lowered[k] for k in ("anilist_id", "id_anilist") if lowered.get(k)), "")
        anilist_id = int(anilist) if anilist.strip().isdigit() else None
        _add(result, _entry(title.strip(), [str(v) for v in row.values() if v], anilist_id))
    return result


def _parse_xml(text: str) -> TrackerImport:
    result = TrackerImport("xml")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as exc:
        result.problems.append(f"line {exc.position[0]}: invalid XML: {exc}")
        return result
    items = [el for el in root.iter() if el.tag.lower() in ("manga", "series", "entry", "item")]
    for element in items:
        fields = {child.tag.lower(): (child.text or "").strip() for child in element}
        title = next(
            (fields[k] for k in ("series_title", "manga_title", "title", "name") if fields.get(k)),
            "(untitled)",
        )
        texts = [
            "".join(element.itertext()),
            *(str(v) for el in element.iter() for v in el.attrib.values()),
        ]
        _add(result, _entry(title, texts, None))
    return result
