"""GraphQL documents for Bato's ``/apo/`` endpoint.

Only field names the real API serves (see the spec examples) appear here: Bato has introspection
disabled, so a wrong name is only discovered as a GraphQL error at run time. Argument types must
be ``ID!``. ``SERIES_QUERY`` asks for details and the whole chapter list in one request so a poll
costs one round trip.
"""

from __future__ import annotations

COMIC_FIELDS = """
      id
      name
      altNames
      authors
      artists
      genres
      origLang
      originalStatus
      originalPubFrom
      originalPubTill
      uploadStatus
      readDirection
      summary { text }
      stat_score_val
      stat_count_votes
      stat_count_scores { field count }
      stat_count_follows
      stat_count_reviews
      stat_count_post_reply
      stat_count_views { field count }
      stat_count_emotions { field count }
"""

CHAPTER_FIELDS = """
      id
      dname
      title
      urlPath
      stat_count_views_guest
      stat_count_views_login
      stat_count_post_reply
      dateCreate
      datePublic
"""

_COMIC_SELECTION = (
    f"get_content_comicNode(id: $id) {{\n    id\n    data {{{COMIC_FIELDS}    }}\n  }}"
)
_CHAPTER_SELECTION = (
    f"get_content_chapterList(comicId: $comicId) {{\n    id\n"
    f"    data {{{CHAPTER_FIELDS}    }}\n  }}"
)

DETAILS_QUERY = f"query get_content_comicNode($id: ID!) {{\n  {_COMIC_SELECTION}\n}}\n"
"""Variables: ``{"id": "<series id>"}``."""

CHAPTERS_QUERY = f"query get_content_chapterList($comicId: ID!) {{\n  {_CHAPTER_SELECTION}\n}}\n"
"""Variables: ``{"comicId": "<series id>"}``."""

SERIES_QUERY = (
    f"query get_content_series($id: ID!, $comicId: ID!) {{\n"
    f"  {_COMIC_SELECTION}\n  {_CHAPTER_SELECTION}\n}}\n"
)
"""Variables: ``{"id": "<series id>", "comicId": "<series id>"}``."""


def details_variables(bato_id: str) -> dict[str, str]:
    return {"id": bato_id}


def chapters_variables(bato_id: str) -> dict[str, str]:
    return {"comicId": bato_id}


def series_variables(bato_id: str) -> dict[str, str]:
    return {"id": bato_id, "comicId": bato_id}


PROBE_QUERY = "query probe($id: ID!) {\n  get_content_comicNode(id: $id) {\n    id\n  }\n}\n"
"""A tiny question any ``/apo/`` answers with data (``null`` for the id ``0``)."""
