"""A faithful fake of Bato's GraphQL endpoint, over real HTTP, for tests and manual runs.

Why: the old client was only ever tested against mocks that accepted anything, so wrong field
names and epoch-ms dates went unnoticed until production. This server answers exactly the shape
of the spec examples, rejects documents that ask for fields the real API lacks (it validates the
selection set against a whitelist taken from the spec), and can inject the failures Bato really
produces (429, 5xx, timeouts, Cloudflare pages, GraphQL errors, malformed items).

Standalone::

    python -m bato_desktop.devtools.fake_bato --port 8765 --series 20 --release-every 60
    BATO_API_URL=http://127.0.0.1:8765 bato-desktop ...

``--release-every N`` releases a chapter in a random demo series every N seconds (now and then
an upload status change), so the app has something to notify.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import json
import random
import re
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

API_PATH = "/apo/"
COMIC_FIELD = "get_content_comicNode"
CHAPTERS_FIELD = "get_content_chapterList"

# --------------------------------------------------------------------------------------------
# Schema whitelist: every field name comes from the spec / its example responses. A value of None
# marks a scalar (or list of scalars); a string names the object type of the field.
# --------------------------------------------------------------------------------------------
SCHEMA: dict[str, dict[str, str | None]] = {
    "Query": {COMIC_FIELD: "ComicNode", CHAPTERS_FIELD: "ChapterNode"},
    "ComicNode": {"id": None, "data": "Comic"},
    "Comic": {
        "id": None, "name": None, "altNames": None, "authors": None, "artists": None,
        "genres": None, "origLang": None, "originalStatus": None, "originalPubFrom": None,
        "originalPubTill": None, "uploadStatus": None, "readDirection": None,
        "summary": "Summary", "stat_score_val": None, "stat_count_votes": None,
        "stat_count_scores": "FieldCount", "stat_count_follows": None,
        "stat_count_reviews": None, "stat_count_post_reply": None,
        "stat_count_views": "FieldCount", "stat_count_emotions": "FieldCount",
    },
    "Summary": {"text": None},
    "FieldCount": {"field": None, "count": None},
    "ChapterNode": {"id": None, "data": "Chapter"},
    "Chapter": {
        "id": None, "dname": None, "title": None, "urlPath": None,
        "stat_count_views_guest": None, "stat_count_views_login": None,
        "stat_count_post_reply": None, "dateCreate": None, "datePublic": None,
    },
}
ARGUMENTS: dict[str, dict[str, str]] = {
    COMIC_FIELD: {"id": "ID!"},
    CHAPTERS_FIELD: {"comicId": "ID!"},
}

FAULT_KINDS = frozenset({
    "429", "500", "502", "503", "timeout", "html", "graphql_error", "malformed",
    "malformed_node", "disconnect", "truncated",
})

CHALLENGE_PAGE = """<!DOCTYPE html>
<html lang="en-US"><head><title>Just a moment...</title>
<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">
<meta name="robots" content="noindex,nofollow">
</head><body><div class="main-wrapper" role="main"><div class="main-content">
<h1 class="zone-name-title h1">batotwo.com</h1>
<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>
<noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript>
</div></div><script src="/cdn-cgi/challenge-platform/h/g/orchestrate/jsch/v1"></script>
</body></html>
"""

# The two spec examples, verbatim (docs' "..." placeholders included), so the fake can serve them
# without the spec directory being present.
EXAMPLE_RESPONSES: dict[str, str] = {
    COMIC_FIELD: """{
  "data": {
    "get_content_comicNode": {
      "id": "102497",
      "data": {
        "id": "102497",
        "name": "Please Don't Come To The Villainess' Stationery Store!",
        "altNames": ["악녀의 문구점에 오지 마세요!", "..."],
        "authors": ["여로은"],
        "artists": ["민절미"],
        "genres": ["adaptation", "comedy", "drama", "fantasy", "..."],
        "origLang": "ko",
        "originalStatus": "ongoing",
        "originalPubFrom": "2022",
        "originalPubTill": null,
        "uploadStatus": "ongoing",
        "readDirection": "ltr",
        "summary": {
          "text": "\\"A useless thing like you has no value in our family..."
        },
        "stat_score_val": 8.782249560632689,
        "stat_count_votes": 5590,
        "stat_count_scores": [
          {"field": "1", "count": 10},
          {"field": "2", "count": 2},
          {"field": "3", "count": 10},
          {"field": "4", "count": 27},
          {"field": "5", "count": 59},
          {"field": "6", "count": 109},
          {"field": "7", "count": 284},
          {"field": "8", "count": 789},
          {"field": "9", "count": 1551},
          {"field": "10", "count": 2759}
        ],
        "stat_count_follows": 62638,
        "stat_count_reviews": 526,
        "stat_count_post_reply": 27361,
        "stat_count_views": [
          {"field": "h024", "count": 3730},
          {"field": "h012", "count": 1891},
          {"field": "h006", "count": 986},
          {"field": "h001", "count": 141},
          {"field": "d030", "count": 132358},
          {"field": "d090", "count": 601642},
          {"field": "d180", "count": 1236076},
          {"field": "d360", "count": 2680093},
          {"field": "d000", "count": 5098802}
        ],
        "stat_count_emotions": [
          {"field": "upvote", "count": 202},
          {"field": "funny", "count": 202},
          {"field": "love", "count": 1108},
          {"field": "surprised", "count": 1},
          {"field": "angry", "count": 11},
          {"field": "sad", "count": 2}
        ]
      }
    }
  }
}
""",
    CHAPTERS_FIELD: """{
  "data": {
    "get_content_chapterList": [
      {
        "id": "1906652",
        "data": {
          "id": "1906652",
          "dname": "Chapter 1",
          "title": "",
          "urlPath": "/title/102497-please-don-t-come-to-the-villainess-stationery-store/1906652-ch_1",
          "stat_count_views_guest": 24853,
          "stat_count_views_login": 55093,
          "stat_count_post_reply": 114,
          "dateCreate": 1647940559044,
          "datePublic": 1647940559044
        }
      }
    ]
  }
}
""",  # noqa: E501 (verbatim example)
}
EXAMPLE_FILES = {
    COMIC_FIELD: "get_content_comicNode.response.json",
    CHAPTERS_FIELD: "get_content_chapterList.response.json",
}


# --------------------------------------------------------------------------------------------
# Catalogue
# --------------------------------------------------------------------------------------------


def _ms(when: datetime) -> int:
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def slugify(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "untitled"


_DNAME_NUMBER = re.compile(r"\b(?:chapter|ch)\s*\.?\s*(\d+(?:\.\d+)?)", re.IGNORECASE)


def token_for_dname(dname: str) -> str | None:
    """``Chapter 10.5`` -> ``ch_10.5``; specials (``Side Story 3``) get no token."""
    match = _DNAME_NUMBER.search(dname)
    return f"ch_{match.group(1)}" if match else None


@dataclass
class FakeChapter:
    chapter_id: str
    token: str | None
    dname: str
    title: str | None
    date_create: int  # epoch ms, as Bato sends it
    date_public: int
    views_guest: int = 0
    views_login: int = 0
    post_reply: int = 0

    def url_path(self, series: FakeSeries) -> str:
        tail = self.token or slugify(self.dname)
        return f"/title/{series.bato_id}-{series.slug}/{self.chapter_id}-{tail}"

    def to_json(self, series: FakeSeries) -> dict[str, Any]:
        return {
            "id": self.chapter_id,
            "data": {
                "id": self.chapter_id,
                "dname": self.dname,
                "title": self.title,
                "urlPath": self.url_path(series),
                "stat_count_views_guest": self.views_guest,
                "stat_count_views_login": self.views_login,
                "stat_count_post_reply": self.post_reply,
                "dateCreate": self.date_create,
                "datePublic": self.date_public,
            },
        }


@dataclass
class FakeSeries:
    bato_id: str
    name: str
    upload_status: str = "ongoing"
    original_status: str = "ongoing"
    chapters: list[FakeChapter] = field(default_factory=list)
    comic: dict[str, Any] = field(default_factory=dict)  # overrides of comic data fields

    @property
    def slug(self) -> str:
        return slugify(self.name)

    def to_json(self) -> dict[str, Any]:
        views = sum(c.views_guest + c.views_login for c in self.chapters)
        data: dict[str, Any] = {
            "id": self.bato_id,
            "name": self.name,
            "altNames": [],
            "authors": ["Unknown Author"],
            "artists": ["Unknown Artist"],
            "genres": ["fantasy"],
            "origLang": "ko",
            "originalStatus": self.original_status,
            "originalPubFrom": "2022",
            "originalPubTill": None,
            "uploadStatus": self.upload_status,
            "readDirection": "ltr",
            "summary": {"text": f"The story of {self.name}."},
            "stat_score_val": 8.5,
            "stat_count_votes": 100,
            "stat_count_scores": [
                {"field": str(i), "count": i * i} for i in range(1, 11)
            ],
            "stat_count_follows": 1000,
            "stat_count_reviews": 10,
            "stat_count_post_reply": sum(c.post_reply for c in self.chapters),
            "stat_count_views": [
                {"field": f, "count": views // d} for f, d in (
                    ("h024", 1000), ("h012", 2000), ("h006", 4000), ("h001", 24000),
                    ("d030", 40), ("d090", 13), ("d180", 6), ("d360", 3), ("d000", 1),
                )
            ],
            "stat_count_emotions": [
                {"field": f, "count": n} for f, n in (
                    ("upvote", 20), ("funny", 5), ("love", 50), ("surprised", 1),
                    ("angry", 0), ("sad", 2),
                )
            ],
        }
        data.update(copy.deepcopy(self.comic))
        return {"id": self.bato_id, "data": data}


@dataclass
class RecordedRequest:
    """One request the fake received, for tests that count or inspect calls."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any  # the parsed JSON body, or the raw text when it was not JSON

    @property
    def query(self) -> str | None:
        return self.body.get("query") if isinstance(self.body, dict) else None

    @property
    def variables(self) -> dict[str, Any]:
        value = self.body.get("variables") if isinstance(self.body, dict) else None
        return value if isinstance(value, dict) else {}


@dataclass
class Fault:
    kind: str
    options: dict[str, Any]


# --------------------------------------------------------------------------------------------
# A small GraphQL reader: enough of the grammar for Bato's documents, strict about names.
# --------------------------------------------------------------------------------------------


class QueryError(Exception):
    """The document is invalid; the message is what a GraphQL server would say."""


_TOKEN_RE = re.compile(
    r"""(?P<skip>[\s,]+|\#[^\n]*)
      |(?P<spread>\.\.\.)
      |(?P<punct>[!$():=@\[\]{}|])
      |(?P<string>"(?:[^"\\\n]|\\.)*")
      |(?P<number>-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)
      |(?P<name>[_A-Za-z][_0-9A-Za-z]*)""",
    re.VERBOSE,
)


def tokenize(document: str) -> list[str]:
    tokens: list[str] = []
    pos = 0
    while pos < len(document):
        match = _TOKEN_RE.match(document, pos)
        if match is None:
            raise QueryError(f"Syntax Error: Unexpected character {document[pos]!r}.")
        pos = match.end()
        if match.lastgroup != "skip":
            tokens.append(match.group())
    return tokens


@dataclass
class Selection:
    alias: str
    name: str
    arguments: dict[str, tuple[str, str]]  # name -> ("var", var name) | ("value", literal)
    children: list[Selection] | None


@dataclass
class Operation:
    variables: dict[str, str]  # name -> declared type, e.g. "ID!"
    selections: list[Selection]


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.pos = 0

    def peek(self) -> str | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            raise QueryError("Syntax Error: Unexpected <EOF>.")
        if expected is not None and token != expected:
            raise QueryError(f'Syntax Error: Expected "{expected}", found "{token}".')
        self.pos += 1
        return token

    def name(self) -> str:
        token = self.take()
        if not re.fullmatch(r"[_A-Za-z][_0-9A-Za-z]*", token):
            raise QueryError(f'Syntax Error: Expected Name, found "{token}".')
        return token

    def document(self) -> Operation:
        variables: dict[str, str] = {}
        head = self.peek()
        if head in ("mutation", "subscription"):
            raise QueryError(f'Schema is not configured for {head}s.')
        if head == "fragment":
            raise QueryError("Fragments are not supported by this endpoint.")
        if head == "query":
            self.take()
            if self.peek() not in ("(", "{"):
                self.name()
            if self.peek() == "(":
                variables = self.variable_definitions()
        selections = self.selection_set()
        if self.peek() is not None:
            raise QueryError(f'Syntax Error: Unexpected "{self.peek()}".')
        return Operation(variables, selections)

    def variable_definitions(self) -> dict[str, str]:
        self.take("(")
        result: dict[str, str] = {}
        while self.peek() != ")":
            self.take("$")
            name = self.name()
            self.take(":")
            result[name] = self.type_ref()
            if self.peek() == "=":
                self.take()
                self.value()
        self.take(")")
        if not result:
            raise QueryError('Syntax Error: Expected "$", found ")".')
        return result

    def type_ref(self) -> str:
        if self.peek() == "[":
            self.take()
            inner = self.type_ref()
            self.take("]")
            text = f"[{inner}]"
        else:
            text = self.name()
        if self.peek() == "!":
            self.take()
            text += "!"
        return text

    def value(self) -> tuple[str, str]:
        token = self.take()
        if token == "$":
            return ("var", self.name())
        if token.startswith('"'):
            return ("value", json.loads(token))
        if token in ("[", "{"):
            raise QueryError("Only scalar argument values are supported.")
        return ("value", token)

    def selection_set(self) -> list[Selection]:
        self.take("{")
        result: list[Selection] = []
        while self.peek() != "}":
            if self.peek() == "...":
                raise QueryError("Fragments are not supported by this endpoint.")
            if self.peek() == "@":
                raise QueryError("Directives are not supported by this endpoint.")
            first = self.name()
            alias, name = first, first
            if self.peek() == ":":
                self.take()
                name = self.name()
            arguments: dict[str, tuple[str, str]] = {}
            if self.peek() == "(":
                self.take()
                while self.peek() != ")":
                    arg = self.name()
                    self.take(":")
                    arguments[arg] = self.value()
                self.take(")")
            children = self.selection_set() if self.peek() == "{" else None
            result.append(Selection(alias, name, arguments, children))
        self.take("}")
        if not result:
            raise QueryError('Syntax Error: Expected Name, found "}".')
        return result


def parse_query(document: str) -> Operation:
    return _Parser(tokenize(document)).document()


def validate(operation: Operation, variables: Mapping[str, Any]) -> list[str]:
    """GraphQL validation against the whitelist; returns error messages (empty when valid)."""
    errors: list[str] = []
    used: set[str] = set()

    def walk(selections: list[Selection], type_name: str) -> None:
        fields = SCHEMA[type_name]
        for sel in selections:
            if sel.name == "__typename":
                continue
            if sel.name not in fields:
                errors.append(f'Cannot query field "{sel.name}" on type "{type_name}".')
                continue
            child_type = fields[sel.name]
            expected = ARGUMENTS.get(sel.name, {}) if type_name == "Query" else {}
            for arg, (kind, value) in sel.arguments.items():
                if arg not in expected:
                    errors.append(
                        f'Unknown argument "{arg}" on field "{type_name}.{sel.name}".'
                    )
                    continue
                if kind == "var":
                    used.add(value)
                    declared = operation.variables.get(value)
                    if declared is None:
                        errors.append(f'Variable "${value}" is not defined.')
                    elif declared != expected[arg]:
                        errors.append(
                            f'Variable "${value}" of type "{declared}" used in position '
                            f'expecting type "{expected[arg]}".'
                        )
            for arg, arg_type in expected.items():
                if arg not in sel.arguments:
                    errors.append(
                        f'Field "{sel.name}" argument "{arg}" of type "{arg_type}" is '
                        "required, but it was not provided."
                    )
            if child_type is None and sel.children is not None:
                errors.append(
                    f'Field "{sel.name}" must not have a selection since its type is scalar.'
                )
            elif child_type is not None and sel.children is None:
                errors.append(
                    f'Field "{sel.name}" of type "{child_type}" must have a selection of '
                    "subfields."
                )
            elif child_type is not None and sel.children is not None:
                walk(sel.children, child_type)

    walk(operation.selections, "Query")
    for name, declared in operation.variables.items():
        if name not in used:
            errors.append(f'Variable "${name}" is never used.')
        elif declared.endswith("!") and variables.get(name) is None:
            errors.append(f'Variable "${name}" of required type "{declared}" was not provided.')
    return errors


def project(value: Any, selections: list[Selection] | None, type_name: str | None) -> Any:
    """Keep only the selected fields, under their aliases, as a GraphQL server does."""
    if value is None or selections is None or type_name is None:
        return copy.deepcopy(value)
    if isinstance(value, list):
        return [project(item, selections, type_name) for item in value]
    fields = SCHEMA[type_name]
    result: dict[str, Any] = {}
    for sel in selections:
        if sel.name == "__typename":
            result[sel.alias] = type_name
        else:
            result[sel.alias] = project(value.get(sel.name), sel.children, fields[sel.name])
    return result


# --------------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeBato

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, ConnectionError | TimeoutError):
            return  # the client gave up (e.g. its timeout fired); nothing to report
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "cloudflare"
    sys_version = ""

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests and the standalone run read ``FakeBato.requests`` instead."""

    def do_GET(self) -> None:
        self.server.fake.record(self.command, self.path, dict(self.headers.items()), None)
        if self.path.split("?", 1)[0] == API_PATH:
            self._send(405, b"Method Not Allowed", "text/plain")
        else:
            self._send(404, b"Not Found", "text/plain")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = raw.decode("utf-8", "replace")
        fake = self.server.fake
        fake.record(self.command, self.path, dict(self.headers.items()), body)
        if self.path.split("?", 1)[0] != API_PATH:
            self._send(404, b"Not Found", "text/plain")
            return
        status, headers, payload = fake.respond(body)
        if status == 0:  # "disconnect": drop the connection without an answer
            self.close_connection = True
            return
        ctype = headers.pop("Content-Type", "application/json; charset=utf-8")
        self._send(status, payload, ctype, headers)

    def _send(
        self, status: int, payload: bytes, ctype: str, headers: Mapping[str, str] | None = None
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)


class FakeBato:
    """The fake server: an in-memory catalogue, a fault queue and a request log.

    ``examples=True`` serves the spec example JSON verbatim (whatever id is asked for), so tests
    can prove the client parses the real documented shape, not just this fake's rendition.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        examples: bool = False,
        examples_dir: Path | None = None,
        timeout_delay: float = 5.0,
    ) -> None:
        self._bind = (host, port)
        self.examples = examples or examples_dir is not None
        self.examples_dir = examples_dir
        self.timeout_delay = timeout_delay
        self.series: dict[str, FakeSeries] = {}
        self.requests: list[RecordedRequest] = []
        self._faults: deque[Fault] = deque()
        self._lock = threading.RLock()
        self._stopping = threading.Event()
        self._ids = itertools.count(1_900_000)
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeBato:
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(self._bind, _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05},
            name="fake-bato", daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a "timeout" fault
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeBato:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeBato is not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """Base URL (a "host" for the client's host list)."""
        return f"http://{self._bind[0]}:{self.port}"

    @property
    def api_url(self) -> str:
        return self.url + API_PATH

    # -- catalogue --------------------------------------------------------------------------

    def new_chapter_id(self) -> str:
        with self._lock:
            return str(next(self._ids))

    def add_series(
        self,
        bato_id: str | int,
        name: str | None = None,
        *,
        upload_status: str = "ongoing",
        original_status: str = "ongoing",
        chapters: int | Sequence[str | Mapping[str, Any]] = 0,
        start: datetime | None = None,
        interval: timedelta = timedelta(days=7),
        **comic: Any,
    ) -> FakeSeries:
        """Add (or replace) a series; ``comic`` overrides data fields by their real API names.

        ``chapters`` is a count ("Chapter 1".."Chapter N", one per ``interval`` from ``start``)
        or a list of display names / dicts (``dname``, ``token``, ``title``, ``at``,
        ``chapter_id``, ``views_guest``, ``views_login``, ``post_reply``).
        """
        unknown = set(comic) - set(SCHEMA["Comic"])
        if unknown:
            raise ValueError(f"not real Bato comic fields: {sorted(unknown)}")
        key = str(bato_id)
        series = FakeSeries(key, name or f"Series {key}", upload_status, original_status,
                            comic=dict(comic))
        specs: list[str | Mapping[str, Any]] = (
            [f"Chapter {i}" for i in range(1, chapters + 1)]
            if isinstance(chapters, int) else list(chapters)
        )
        first = start or datetime.now(UTC) - interval * len(specs)
        with self._lock:
            self.series[key] = series
            for index, spec in enumerate(specs):
                self._append(series, spec, first + interval * index)
        return series

    def _append(
        self, series: FakeSeries, spec: str | Mapping[str, Any], when: datetime
    ) -> FakeChapter:
        item: Mapping[str, Any] = {"dname": spec} if isinstance(spec, str) else spec
        dname = str(item.get("dname") or f"Chapter {len(series.chapters) + 1}")
        at = item.get("at", when)
        token = item["token"] if "token" in item else token_for_dname(dname)
        chapter = FakeChapter(
            chapter_id=str(item.get("chapter_id") or self.new_chapter_id()),
            token=token,
            dname=dname,
            title=item.get("title", ""),
            date_create=_ms(at),
            date_public=_ms(at),
            views_guest=int(item.get("views_guest", 100)),
            views_login=int(item.get("views_login", 200)),
            post_reply=int(item.get("post_reply", 3)),
        )
        series.chapters.append(chapter)
        return chapter

    def get(self, bato_id: str | int) -> FakeSeries:
        try:
            return self.series[str(bato_id)]
        except KeyError:
            raise KeyError(f"the fake has no series {bato_id}") from None

    def add_chapters(
        self, bato_id: str | int, n: int, *, at: datetime | None = None,
        interval: timedelta = timedelta(minutes=1),
    ) -> list[FakeChapter]:
        """Append ``n`` chapters numbered after the highest ``ch_N``; the first one at ``at``."""
        with self._lock:
            series = self.get(bato_id)
            numbers = [float(c.token[3:]) for c in series.chapters if c.token]
            last = int(max(numbers, default=0))
            when = at or datetime.now(UTC)
            return [
                self._append(series, f"Chapter {last + i}", when + interval * (i - 1))
                for i in range(1, n + 1)
            ]

    def add_chapter(
        self, bato_id: str | int, dname: str, *, token: str | None = None,
        title: str | None = "", at: datetime | None = None,
    ) -> FakeChapter:
        """One chapter; ``token=None`` with a non-"Chapter N" name makes a special."""
        with self._lock:
            spec: dict[str, Any] = {"dname": dname, "title": title}
            if token is not None or token_for_dname(dname) is None:
                spec["token"] = token
            return self._append(self.get(bato_id), spec, at or datetime.now(UTC))

    def _find(self, series: FakeSeries, chapter: str) -> int:
        for index, item in enumerate(series.chapters):
            if chapter in (item.token, item.chapter_id):
                return index
        raise KeyError(f"series {series.bato_id} has no chapter {chapter}")

    def set_status(self, bato_id: str | int, status: str) -> None:
        with self._lock:
            self.get(bato_id).upload_status = status

    def delete_chapter(self, bato_id: str | int, chapter: str) -> FakeChapter:
        """Remove a chapter by ``ch_N`` token or chapter id."""
        with self._lock:
            series = self.get(bato_id)
            return series.chapters.pop(self._find(series, chapter))

    def reupload_chapter(
        self, bato_id: str | int, chapter: str, *, at: datetime | None = None
    ) -> FakeChapter:
        """Same ``ch_N`` token and position, new chapter id and ``dateCreate`` (as Bato does)."""
        with self._lock:
            series = self.get(bato_id)
            index = self._find(series, chapter)
            old = series.chapters[index]
            new = FakeChapter(
                chapter_id=self.new_chapter_id(), token=old.token, dname=old.dname,
                title=old.title, date_create=_ms(at or datetime.now(UTC)),
                date_public=old.date_public,
            )
            series.chapters[index] = new
            return new

    def remove_series(self, bato_id: str | int) -> None:
        with self._lock:
            self.series.pop(str(bato_id), None)

    # -- faults and log ---------------------------------------------------------------------

    def inject(self, kind: str, count: int = 1, **options: Any) -> None:
        """Queue ``count`` faults for the next requests.

        Options: "429" ``retry_after`` (seconds or HTTP date; omit for no header); "500"/"502"/
        "503" ``status``; "timeout" ``delay`` seconds (then answers normally); "html" ``status``
        (default 403; 200 for a challenge served as OK); "graphql_error" ``message``;
        "malformed" ``index`` (default -1) and ``drop`` (default ``("urlPath", "dname")``);
        "truncated" ``keep`` (share of the JSON body sent, default 0.5).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault {kind!r}; expected one of {sorted(FAULT_KINDS)}")
        with self._lock:
            for _ in range(count):
                self._faults.append(Fault(kind, dict(options)))

    @property
    def pending_faults(self) -> int:
        with self._lock:
            return len(self._faults)

    def record(self, method: str, path: str, headers: dict[str, str], body: Any) -> None:
        with self._lock:
            self.requests.append(RecordedRequest(method, path, headers, body))

    def clear_requests(self) -> None:
        with self._lock:
            self.requests.clear()

    # -- answering --------------------------------------------------------------------------

    def respond(self, body: Any) -> tuple[int, dict[str, str], bytes]:
        """(status, headers, payload) for one POST body; status 0 means drop the connection."""
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is not None:
            early = self._fault_response(fault)
            if early is not None:
                return early
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return _errors(400, ["Must provide query string."])
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            return _errors(400, ["Variables must be provided as an Object."])
        try:
            operation = parse_query(body["query"])
        except QueryError as exc:
            return _errors(400, [str(exc)])
        problems = validate(operation, variables)
        if problems:
            return _errors(400, problems)
        if self.examples:
            return 200, {}, self._examples_payload(operation)
        with self._lock:
            data = {
                sel.alias: self._resolve(sel, variables) for sel in operation.selections
            }
        if fault is not None and fault.kind in ("malformed", "malformed_node"):
            _break(data, operation, fault)
        payload = json.dumps({"data": data}, ensure_ascii=False).encode("utf-8")
        if fault is not None and fault.kind == "truncated":  # a proxy cut the body short
            payload = payload[: max(1, int(len(payload) * float(fault.options.get("keep", 0.5))))]
        return 200, {}, payload

    def _fault_response(self, fault: Fault) -> tuple[int, dict[str, str], bytes] | None:
        opts = fault.options
        if fault.kind == "429":
            headers: dict[str, str] = {"Content-Type": "text/plain; charset=utf-8"}
            if opts.get("retry_after") is not None:
                headers["Retry-After"] = str(opts["retry_after"])
            return 429, headers, b"Too Many Requests"
        if fault.kind in ("500", "502", "503"):
            status = int(opts.get("status", fault.kind))
            return status, {"Content-Type": "text/plain"}, b"Internal Server Error"
        if fault.kind == "timeout":
            self._stopping.wait(float(opts.get("delay", self.timeout_delay)))
            return None
        if fault.kind == "html":
            status = int(opts.get("status", 403))
            page = str(opts.get("body", CHALLENGE_PAGE)).encode("utf-8")
            return status, {"Content-Type": "text/html; charset=UTF-8"}, page
        if fault.kind == "graphql_error":
            message = str(opts.get("message", "Internal server error"))
            return _errors(int(opts.get("status", 200)), [message])
        if fault.kind == "disconnect":
            return 0, {}, b""
        return None  # malformed*: applied to the normal answer

    def _resolve(self, sel: Selection, variables: Mapping[str, Any]) -> Any:
        kind, value = next(iter(sel.arguments.values()))
        bato_id = str(variables.get(value) if kind == "var" else value)
        series = self.series.get(bato_id)
        if sel.name == COMIC_FIELD:
            raw: Any = series.to_json() if series else None
            return project(raw, sel.children, "ComicNode")
        chapters = [c.to_json(series) for c in series.chapters] if series else []
        return project(chapters, sel.children, "ChapterNode")

    def _examples_payload(self, operation: Operation) -> bytes:
        texts = {sel.name: self._example_text(sel.name) for sel in operation.selections
                 if sel.name in EXAMPLE_RESPONSES}
        if len(operation.selections) == 1 and len(texts) == 1:
            return next(iter(texts.values())).encode("utf-8")  # byte for byte
        data: dict[str, Any] = {}
        for sel in operation.selections:
            if sel.name in texts:
                data[sel.alias] = json.loads(texts[sel.name])["data"][sel.name]
        return json.dumps({"data": data}, ensure_ascii=False).encode("utf-8")

    def _example_text(self, field_name: str) -> str:
        if self.examples_dir is not None:
            return (self.examples_dir / EXAMPLE_FILES[field_name]).read_text(encoding="utf-8")
        return EXAMPLE_RESPONSES[field_name]


def _errors(status: int, messages: Sequence[str]) -> tuple[int, dict[str, str], bytes]:
    body = {"errors": [{"message": m} for m in messages], "data": None}
    return status, {}, json.dumps(body).encode("utf-8")


def _break(data: dict[str, Any], operation: Operation, fault: Fault) -> None:
    """Apply a "malformed" fault to an answer: drop fields the client needs."""
    for sel in operation.selections:
        value = data.get(sel.alias)
        if fault.kind == "malformed" and sel.name == CHAPTERS_FIELD and value:
            item = value[int(fault.options.get("index", -1))]
            inner = item.get("data") if isinstance(item, dict) else None
            for name in fault.options.get("drop", ("urlPath", "dname")):
                if isinstance(inner, dict):
                    inner.pop(name, None)
        if fault.kind == "malformed_node" and sel.name == COMIC_FIELD and value:
            inner = value.get("data")
            for name in fault.options.get("drop", ("name",)):
                if isinstance(inner, dict):
                    inner.pop(name, None)


# --------------------------------------------------------------------------------------------
# Demo catalogue for manual runs
# --------------------------------------------------------------------------------------------

_TEMPLATES = (
    "The {a} {n} Returns", "I Became the {n} of the {p}", "Please Don't Summon the {n}!",
    "{a} {n}", "The {n}'s {t}", "Return of the {a} {n}", "Solo Leveling: {t}",
    "My {n} Is Too {a}", "The {a} Duke's {t}", "Reincarnated as the {n} of {p}",
)
_ADJ = ("Villainous", "Regressed", "Mad", "Crimson", "Last", "Hidden", "Genius", "Cursed",
        "Silent", "Fallen", "Eternal", "Lazy")
_NOUN = ("Swordmaster", "Necromancer", "Villainess", "Tower Climber", "Archmage", "Healer",
         "Knight", "Alchemist", "Hunter", "Empress", "Scholar", "Dragon")
_PLACE = ("Northern Duchy", "Academy", "Murim", "Abyss", "Imperial Palace", "Dungeon City")
_THING = ("Contract", "Second Life", "Revenge", "Secret Garden", "Stationery Store", "Debt")
_GENRES = ("action", "adventure", "comedy", "drama", "fantasy", "romance", "regression",
           "isekai", "martial_arts", "school_life", "slice_of_life", "webtoon")


def populate_demo(fake: FakeBato, count: int, *, seed: int = 7) -> list[FakeSeries]:
    """Series with believable names and weekly, biweekly, irregular or stalled histories."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    result: list[FakeSeries] = []
    used: set[str] = set()
    for index in range(count):
        name = ""
        while not name or name in used:
            name = rng.choice(_TEMPLATES).format(
                a=rng.choice(_ADJ), n=rng.choice(_NOUN), p=rng.choice(_PLACE),
                t=rng.choice(_THING),
            )
        used.add(name)
        pattern = rng.choice(("weekly", "weekly", "biweekly", "irregular", "hiatus", "done"))
        total = rng.randint(8, 180)
        gaps: list[timedelta] = []
        for _ in range(total):
            if pattern == "weekly":
                gaps.append(timedelta(days=7, hours=rng.uniform(-6, 6)))
            elif pattern == "biweekly":
                gaps.append(timedelta(days=14, hours=rng.uniform(-12, 12)))
            else:
                gaps.append(timedelta(days=rng.uniform(2, 35)))
        last = now - timedelta(
            days={"hiatus": 150, "done": 400}.get(pattern, 0) + rng.uniform(0, 6)
        )
        when = last - sum(gaps, timedelta())
        specs: list[dict[str, Any]] = []
        number = 0
        for gap in gaps:
            when += gap
            if rng.random() < 0.04:
                specs.append({"dname": f"Side Story {rng.randint(1, 5)}", "token": None,
                              "at": when})
                continue
            number += 1
            dname = (f"Vol.{number // 20 + 1} Ch.{number}" if rng.random() < 0.2
                     else f"Chapter {number}")
            specs.append({"dname": dname, "at": when,
                          "title": rng.choice(("", "", "", f"The {rng.choice(_THING)}")),
                          "views_guest": rng.randint(100, 20000),
                          "views_login": rng.randint(100, 40000),
                          "post_reply": rng.randint(0, 300)})
        status = {"hiatus": "hiatus", "done": "completed"}.get(pattern, "ongoing")
        result.append(fake.add_series(
            str(110100 + index * 37), name, upload_status=status, original_status=status,
            chapters=specs, genres=sorted(rng.sample(_GENRES, 3)),
            origLang=rng.choice(("ko", "ko", "ja", "zh")),
            authors=[f"{rng.choice(_ADJ)} Pen"], artists=[f"Studio {rng.choice(_NOUN)}"],
            stat_score_val=round(rng.uniform(6.5, 9.6), 2),
            stat_count_follows=rng.randint(50, 90000),
        ))
    return result


STATUS_FLIPS = {"ongoing": "completed", "completed": "ongoing", "hiatus": "ongoing"}


class DemoReleases:
    """Keeps a demo catalogue alive: a new chapter in a random series every ``every`` seconds,
    and every ``status_every``-th release an upload status change instead.

    Why: someone trying the app against the fake server should see notifications arrive, as
    they would from Bato, without editing the catalogue by hand.
    """

    def __init__(
        self, fake: FakeBato, every: float, *, status_every: int = 10,
        rng: random.Random | None = None, on_release: Callable[[str], None] | None = None,
    ) -> None:
        if every <= 0:
            raise ValueError("the release interval must be more than 0 seconds")
        self.fake = fake
        self.every = every
        self.status_every = max(1, status_every)
        self.released: list[str] = []
        self._rng = rng or random.Random()
        self._on_release = on_release
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def release_once(self) -> str:
        """One release (or status change) now; returns what happened, for the console."""
        with self.fake._lock:
            candidates = sorted(self.fake.series.values(), key=lambda s: s.bato_id)
            if not candidates:
                return "no series to release in"
            series = self._rng.choice(candidates)
            if (len(self.released) + 1) % self.status_every == 0:
                old = series.upload_status
                series.upload_status = STATUS_FLIPS.get(old, "ongoing")
                what = f"{series.name}: status {old} -> {series.upload_status}"
            else:
                [chapter] = self.fake.add_chapters(series.bato_id, 1)
                what = f"{series.name}: new {chapter.dname}"
        self.released.append(what)
        if self._on_release is not None:
            self._on_release(what)
        return what

    def start(self) -> DemoReleases:
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="fake-bato-releases",
                                        daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self.release_once()


def iter_catalogue(fake: FakeBato) -> Iterator[FakeSeries]:
    # Copy under the lock, yield without it: a caller that sends requests while iterating
    # must not hold the lock the server's request handlers need.
    with fake._lock:
        series = list(fake.series.values())
    yield from series


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Run the fake Bato GraphQL server.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    parser.add_argument("--series", type=int, default=20, help="demo series to generate")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--examples", action="store_true",
                        help="serve the spec example responses verbatim")
    parser.add_argument("--release-every", type=float, default=0.0, metavar="SECONDS",
                        help="release a chapter in a random demo series every SECONDS "
                        "(every 10th release is an upload status change instead); 0 = never")
    args = parser.parse_args(argv)
    if args.release_every < 0:
        parser.error("--release-every must be 0 (off) or more seconds")
    fake = FakeBato(host=args.host, port=args.port, examples=args.examples)
    populate_demo(fake, args.series, seed=args.seed)
    fake.start()
    releases = None
    try:
        print(f"Fake Bato serving {len(fake.series)} series at {fake.url}", flush=True)
        print(f"Use: BATO_API_URL={fake.url}", flush=True)
        if args.release_every > 0:
            print(f"A new chapter every {args.release_every:g} s", flush=True)
        for series in iter_catalogue(fake):
            print(f"  {fake.url}/title/{series.bato_id}  {series.name} "
                  f"({len(series.chapters)} ch, {series.upload_status})", flush=True)
        if args.release_every > 0:  # after the listing, so every release names a listed series
            releases = DemoReleases(
                fake, args.release_every,
                on_release=lambda what: print(f"released: {what}", flush=True)).start()
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        if releases is not None:
            releases.stop()
        fake.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
