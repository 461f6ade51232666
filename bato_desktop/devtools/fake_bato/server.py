"""The fake server: real HTTP on loopback, one path per API generation, faults and switches.

Why real HTTP: the client's headers, JSON encoding, status handling, timeouts and its probing of
which generation a domain speaks are exercised exactly as against the real sites. Besides the
one-shot faults (``inject``), persistent switches model what happens to whole domains: the site
goes down (connection refused) or behind a Cloudflare challenge (``set_mode``), a query stops
working or vanishes from the schema (``break_field``), dates arrive in another form
(``date_format``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import socket
import sys
import threading
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any

from . import v3x, v4, xcomic
from .catalogue import Catalogue, Context, Dialect, date_formatter
from .covers import COVER_MODES, cover_answer
from .graphql import Operation, QueryError, argument_values, parse_query, project, validate
from .schema import GENERATIONS

DIALECTS: dict[str, Dialect] = {"v3x": v3x.DIALECT, "v4": v4.DIALECT, "xcomic": xcomic.DIALECT}

FAULT_KINDS = frozenset(
    {
        "429",
        "500",
        "502",
        "503",
        "timeout",
        "html",
        "graphql_error",
        "malformed",
        "malformed_node",
        "disconnect",
        "truncated",
    }
)
MODES = ("up", "down", "challenge")
BREAKS = ("null", "unknown_field")
UNSERVED = ("404", "html")

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

SPA_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>XCOMIC - Read comics online</title>
<script type="module" crossorigin src="/assets/index-4f1c2a.js"></script>
</head><body><div id="app"></div></body></html>
"""

# Apollo Server 4's wording (its csrfPrevention answer), as seen in the wild.
CSRF_MESSAGE = (
    "This operation has been blocked as a potential Cross-Site Request Forgery (CSRF). "
    "Please either specify a 'content-type' header (with a type that is not one of "
    "application/x-www-form-urlencoded, multipart/form-data, text/plain) or provide a "
    "non-empty value for one of the following headers: x-apollo-operation-name, "
    "apollo-require-preflight\n"
)
PREFLIGHT_HEADERS = ("apollo-require-preflight", "x-apollo-operation-name")

Answer = tuple[int, dict[str, str], bytes]
"""(status, headers, payload); status 0 means drop the connection without an answer."""


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

    def header(self, name: str) -> str | None:
        """A header by case-insensitive name."""
        return next((v for k, v in self.headers.items() if k.lower() == name.lower()), None)


@dataclass
class Fault:
    kind: str
    options: dict[str, Any]


@dataclass(frozen=True)
class Break:
    how: str
    status: int


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    fake: FakeBato

    def __init__(self, address: tuple[str, int]) -> None:
        self.connections: set[socket.socket] = set()
        self.connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self.connections_lock:
            self.connections.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self.connections_lock:
            self.connections.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Reset kept-alive connections too: a site that went down answers nothing."""
        with self.connections_lock:
            connections = list(self.connections)
        for sock in connections:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError):
            return  # the client gave up (e.g. its timeout fired) or the fake went down
        super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    server_version = "cloudflare"
    sys_version = ""

    def version_string(self) -> str:
        return self.server_version

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: tests and the standalone run read ``FakeBato.requests`` instead."""

    def do_GET(self) -> None:
        self._answer(None)

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body: Any = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            body = raw.decode("utf-8", "replace")
        self._answer(body)

    def _answer(self, body: Any) -> None:
        fake = self.server.fake
        headers = dict(self.headers.items())
        fake.record(self.command, self.path, headers, body)
        status, extra, payload = fake.handle(self.command, self.path, headers, body)
        if status == 0:  # "disconnect" or down: drop the connection without an answer
            self.close_connection = True
            return
        ctype = extra.pop("Content-Type", "application/json; charset=utf-8")
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(payload)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)


class FakeBato(Catalogue):
    """The fake server: an in-memory catalogue, a fault queue, switches and a request log.

    ``generations`` picks the APIs served: "v3x" (``/apo/``), "v4" (``/ap2/``), "xcomic"
    (``/query/``); any other path answers as a real domain that does not serve it: 404 text, or
    with ``unserved="html"`` the site's HTML index page (200). ``examples=True`` serves the spec
    example JSON verbatim on v3x (whatever id is asked for), so tests can prove the client parses
    the real documented shape, not just this fake's rendition. ``id_style`` defaults to
    alphanumeric chapter ids when only XCOMIC is served, else digits.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        examples: bool = False,
        examples_dir: Path | None = None,
        timeout_delay: float = 5.0,
        generations: Iterable[str] = ("v3x",),
        unserved: str = "404",
        date_format: str = "ms",
        id_style: str | None = None,
    ) -> None:
        served = tuple(dict.fromkeys(generations))
        unknown = [g for g in served if g not in GENERATIONS]
        if unknown or not served:
            raise ValueError(
                f"unknown generations {unknown}; expected some of {sorted(GENERATIONS)}"
            )
        if unserved not in UNSERVED:
            raise ValueError(f"unserved must be one of {UNSERVED}")
        numeric = {"v3x", "v4"} & set(served)
        super().__init__(id_style=id_style or ("numeric" if numeric else "alnum"))
        self.generations = served
        self.unserved = unserved
        self._dialects = {GENERATIONS[g].path: DIALECTS[g] for g in served}
        self._bind = (host, port)
        self.examples = examples or examples_dir is not None
        self.examples_dir = examples_dir
        self.timeout_delay = timeout_delay
        self.requests: list[RecordedRequest] = []
        self._faults: deque[Fault] = deque()
        self._broken: dict[tuple[str | None, str], Break] = {}
        self._dates = date_formatter(date_format)
        self._date_format = date_format
        self._mode = "up"
        self._challenge_status = 403
        self._cover_mode = "ok"
        self._stopping = threading.Event()
        self._lifecycle = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._port: int | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> FakeBato:
        with self._lifecycle:
            if self._port is not None:
                return self
            self._stopping.clear()
            self._listen(self._bind)
            return self

    def _listen(self, address: tuple[str, int]) -> None:
        server = _Server(address)
        server.fake = self
        self._server = server
        self._port = int(server.server_address[1])
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-bato",
            daemon=True,
        )
        self._thread.start()

    def _close(self) -> None:
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
            server.drop_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in a "timeout" fault
        with self._lifecycle:
            self._close()
            self._port = None

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
        if self._port is None:
            raise RuntimeError("FakeBato is not started")
        return self._port

    @property
    def url(self) -> str:
        """Base URL (a "domain" for the client's domain list)."""
        return f"http://{self._bind[0]}:{self.port}"

    def path_for(self, generation: str) -> str:
        """The API path of a generation (``/apo/``, ``/ap2/``, ``/query/``), served or not."""
        if generation not in GENERATIONS:
            raise ValueError(f"unknown generation {generation!r}")
        return GENERATIONS[generation].path

    @property
    def api_url(self) -> str:
        """The endpoint of the first generation served (``/apo/`` by default)."""
        return self.url + self.path_for(self.generations[0])

    # -- switches ---------------------------------------------------------------------------

    @property
    def mode(self) -> str:
        return self._mode

    def set_mode(self, mode: str, *, challenge_status: int = 403) -> None:
        """ "up"; "down": the port refuses connections (kept-alive ones are reset), "up" listens
        again on the same port; "challenge": every request gets Cloudflare's challenge page."""
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; expected one of {MODES}")
        with self._lifecycle:
            with self._lock:
                self._mode = mode
                self._challenge_status = challenge_status
            if mode == "down" and self._server is not None:
                self._close()
            elif mode != "down" and self._server is None and self._port is not None:
                self._listen((self._bind[0], self._port))

    @property
    def cover_mode(self) -> str:
        return self._cover_mode

    def set_cover_mode(self, mode: str) -> None:
        """What the series' cover paths answer: see :mod:`.covers` (default "ok")."""
        if mode not in COVER_MODES:
            raise ValueError(f"unknown cover mode {mode!r}; expected one of {COVER_MODES}")
        with self._lock:
            self._cover_mode = mode

    def break_field(
        self, field_name: str, how: str, *, status: int = 400, generation: str | None = None
    ) -> None:
        """Until restored: "null" answers ``data.<field>: null`` (HTTP 200); "unknown_field"
        drops the field from the schema (a validation error, HTTP ``status``, 400 by default).
        ``generation`` None: on every generation that has the field."""
        if how not in BREAKS:
            raise ValueError(f"unknown break {how!r}; expected one of {BREAKS}")
        schemas = [GENERATIONS[generation]] if generation else list(GENERATIONS.values())
        if not any(field_name in s.types["Query"] for s in schemas):
            raise ValueError(f"no generation has a query field {field_name!r}")
        with self._lock:
            self._broken[(generation, field_name)] = Break(how, status)

    def restore_field(self, field_name: str, *, generation: str | None = None) -> None:
        with self._lock:
            self._broken.pop((generation, field_name), None)

    def _break_of(self, generation: str, field_name: str) -> Break | None:
        return self._broken.get((generation, field_name)) or self._broken.get((None, field_name))

    @property
    def date_format(self) -> str:
        """ "ms" (epoch milliseconds, normal), "s" (epoch seconds) or "iso" (ISO-8601 UTC)."""
        return self._date_format

    @date_format.setter
    def date_format(self, value: str) -> None:
        formatter = date_formatter(value)
        with self._lock:
            self._dates, self._date_format = formatter, value

    # -- faults and log ---------------------------------------------------------------------

    def inject(self, kind: str, count: int = 1, **options: Any) -> None:
        """Queue ``count`` faults for the next requests to any served API path.

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

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: Any) -> Answer:
        """The answer to one HTTP request, whatever its path and method."""
        with self._lock:
            mode, challenge_status = self._mode, self._challenge_status
        if mode == "down":
            return 0, {}, b""
        if mode == "challenge":
            return (
                challenge_status,
                {
                    "Content-Type": "text/html; charset=UTF-8",
                    "cf-mitigated": "challenge",
                },
                CHALLENGE_PAGE.encode("utf-8"),
            )
        bare = path.split("?", 1)[0]
        if method == "GET" and bare.startswith("/media/"):
            with self._lock:
                covers = [
                    p
                    for s in self.series.values()
                    for p in (s.cover_url, f"/media/covers/{s.bato_id}_600.jpg")
                ]
                return cover_answer(bare, covers, self._cover_mode)
        if bare not in self._dialects:
            if self.unserved == "html":
                return 200, {"Content-Type": "text/html; charset=utf-8"}, SPA_PAGE.encode()
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        if method != "POST":
            return 405, {"Content-Type": "text/plain"}, b"Method Not Allowed"
        return self.respond(body, path=bare, headers=headers)

    def respond(
        self, body: Any, *, path: str | None = None, headers: Mapping[str, str] | None = None
    ) -> Answer:
        """The answer to one POST body on a served API path (default: the first generation's)."""
        dialect = self._dialects.get(path or self.path_for(self.generations[0]))
        if dialect is None:
            return 404, {"Content-Type": "text/plain"}, b"Not Found"
        with self._lock:
            fault = self._faults.popleft() if self._faults else None
        if fault is not None:
            early = self._fault_response(fault)
            if early is not None:
                return early
        schema = dialect.schema
        if schema.generation == "v4" and not _preflighted(headers or {}):
            error = {"message": CSRF_MESSAGE, "extensions": {"code": "BAD_REQUEST"}}
            return 400, {}, json.dumps({"errors": [error]}).encode("utf-8")
        if not isinstance(body, dict) or not isinstance(body.get("query"), str):
            return _errors(400, ["Must provide query string."])
        variables = body.get("variables") or {}
        if not isinstance(variables, dict):
            return _errors(400, ["Variables must be provided as an Object."])
        try:
            operation = parse_query(body["query"])
        except QueryError as exc:
            return _errors(400, [str(exc)])
        with self._lock:
            breaks = {
                sel.name: b
                for sel in operation.selections
                if (b := self._break_of(schema.generation, sel.name)) is not None
            }
        gone = {name: b for name, b in breaks.items() if b.how == "unknown_field"}
        if gone:
            query = {k: v for k, v in schema.types["Query"].items() if k not in gone}
            schema = dataclasses.replace(schema, types={**schema.types, "Query": query})
        problems = validate(operation, variables, schema)
        if problems:
            return _errors(next(iter(gone.values())).status if gone else 400, problems)
        if self.examples and schema.generation == "v3x":
            return 200, {}, v3x.examples_payload(operation, self.examples_dir)
        with self._lock:
            ctx = Context(self, self._dates)
            data = {
                sel.alias: None
                if sel.name in breaks
                else project(
                    dialect.resolvers[sel.name](ctx, argument_values(sel, variables)),
                    sel.children,
                    schema.types["Query"][sel.name],
                    schema,
                    variables,
                    dialect.hooks,
                )
                for sel in operation.selections
            }
        if fault is not None and fault.kind in ("malformed", "malformed_node"):
            _break(data, operation, fault)
        payload = json.dumps({"data": data}, ensure_ascii=False).encode("utf-8")
        if fault is not None and fault.kind == "truncated":  # a proxy cut the body short
            payload = payload[: max(1, int(len(payload) * float(fault.options.get("keep", 0.5))))]
        return 200, {}, payload

    def _fault_response(self, fault: Fault) -> Answer | None:
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


def _preflighted(headers: Mapping[str, str]) -> bool:
    """Apollo's CSRF rule as the V4 sites applied it: a non-empty preflight header."""
    return any(v.strip() for k, v in headers.items() if k.lower() in PREFLIGHT_HEADERS)


def _errors(status: int, messages: Sequence[str]) -> Answer:
    body = {"errors": [{"message": m} for m in messages], "data": None}
    return status, {}, json.dumps(body).encode("utf-8")


def _break(data: dict[str, Any], operation: Operation, fault: Fault) -> None:
    """Apply a "malformed" fault to an answer: drop fields the client needs.

    "malformed" hits one item of a chapter list (a bare list or a page's ``items``),
    "malformed_node" the ``data`` of a comic node.
    """
    for sel in operation.selections:
        value = data.get(sel.alias)
        if not value:
            continue
        items = (
            value
            if isinstance(value, list)
            else (value.get("items") if isinstance(value, dict) else None)
        )
        if fault.kind == "malformed" and isinstance(items, list) and items:
            item = items[int(fault.options.get("index", -1))]
            inner = item.get("data") if isinstance(item, dict) else None
            for name in fault.options.get("drop", ("urlPath", "dname")):
                if isinstance(inner, dict):
                    inner.pop(name, None)
        if fault.kind == "malformed_node" and isinstance(value, dict) and "items" not in value:
            inner = value.get("data")
            for name in fault.options.get("drop", ("name",)):
                if isinstance(inner, dict):
                    inner.pop(name, None)
