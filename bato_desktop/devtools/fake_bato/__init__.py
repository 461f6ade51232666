"""A faithful fake of the Bato site family's GraphQL endpoints, over real HTTP, for tests and
manual runs.

Why: the old client was only ever tested against mocks that accepted anything, so wrong field
names and epoch-ms dates went unnoticed until production. This server answers exactly the shapes
the specs document, rejects documents that ask for fields or pass variables the real APIs lack
(validation against per-generation whitelists), and can inject the failures the sites really
produce (429, 5xx, timeouts, Cloudflare pages, GraphQL errors, malformed items, a domain going
down, a query answering null or vanishing from the schema).

Three API generations share one catalogue: v3x (``POST /apo/``, the default), V4 (``/ap2/``) and
XCOMIC (``/query/``); ``FakeBato(generations=...)`` picks which a "domain" serves.

Modules: ``schema`` (whitelists, spec examples), ``graphql`` (reader/validator/projector),
``catalogue`` (series and chapters), ``v3x`` / ``v4`` / ``xcomic`` (resolvers), ``server``
(HTTP, faults, switches), ``demo`` (demo catalogue and the standalone server).
"""

from .catalogue import (
    DATE_FORMATS,
    DEFAULT_GROUP,
    Catalogue,
    FakeChapter,
    FakeSeries,
    date_formatter,
    slugify,
    to_ms,
    token_for_dname,
)
from .demo import (
    STATUS_FLIPS,
    DemoReleases,
    SiteNoise,
    iter_catalogue,
    main,
    populate_demo,
    series_link,
)
from .graphql import (
    Operation,
    QueryError,
    Selection,
    parse_query,
    project,
    tokenize,
    validate,
)
from .schema import (
    API_PATH,
    ARGUMENTS,
    CHAPTERS_FIELD,
    COMIC_FIELD,
    EXAMPLE_FILES,
    EXAMPLE_RESPONSES,
    GENERATIONS,
    SCHEMA,
    V3X,
    V4,
    XCOMIC,
    Schema,
)
from .server import (
    CHALLENGE_PAGE,
    CSRF_MESSAGE,
    FAULT_KINDS,
    SPA_PAGE,
    FakeBato,
    Fault,
    RecordedRequest,
)

__all__ = [
    "API_PATH",
    "ARGUMENTS",
    "CHALLENGE_PAGE",
    "CHAPTERS_FIELD",
    "COMIC_FIELD",
    "CSRF_MESSAGE",
    "DATE_FORMATS",
    "DEFAULT_GROUP",
    "EXAMPLE_FILES",
    "EXAMPLE_RESPONSES",
    "FAULT_KINDS",
    "GENERATIONS",
    "SCHEMA",
    "SPA_PAGE",
    "STATUS_FLIPS",
    "V3X",
    "V4",
    "XCOMIC",
    "Catalogue",
    "DemoReleases",
    "FakeBato",
    "FakeChapter",
    "FakeSeries",
    "Fault",
    "Operation",
    "QueryError",
    "RecordedRequest",
    "Schema",
    "Selection",
    "SiteNoise",
    "date_formatter",
    "iter_catalogue",
    "main",
    "parse_query",
    "populate_demo",
    "project",
    "series_link",
    "slugify",
    "to_ms",
    "token_for_dname",
    "tokenize",
    "validate",
]
