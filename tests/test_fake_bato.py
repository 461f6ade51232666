"""The fake Bato server itself: real response shape, strict field whitelist, faults, CLI.

The fake is only worth something if it is as strict as Bato: a client asking for a field the
real API lacks must fail here too, not only in production.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from bato_desktop.devtools.fake_bato import (
    CHAPTERS_FIELD,
    COMIC_FIELD,
    EXAMPLE_FILES,
    EXAMPLE_RESPONSES,
    FakeBato,
    QueryError,
    parse_query,
    populate_demo,
)
from bato_desktop.engine import queries

SPEC_EXAMPLES = Path("/work/shared/spec/examples")


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0) as client:
        yield client


def post(http: httpx.Client, fake: FakeBato, query: str, **variables: Any) -> httpx.Response:
    return http.post(fake.api_url, json={"query": query, "variables": variables})


def test_answer_has_the_example_shape(fake_bato: FakeBato, http: httpx.Client) -> None:
    fake_bato.add_series("102497", "Shape", chapters=2)
    body = post(http, fake_bato, queries.SERIES_QUERY, id="102497", comicId="102497").json()
    example_comic = json.loads(EXAMPLE_RESPONSES[COMIC_FIELD])["data"][COMIC_FIELD]
    example_chapter = json.loads(EXAMPLE_RESPONSES[CHAPTERS_FIELD])["data"][CHAPTERS_FIELD][0]
    comic = body["data"][COMIC_FIELD]
    assert set(body) == {"data"}
    assert set(comic) == set(example_comic) == {"id", "data"}
    assert set(comic["data"]) == set(example_comic["data"])
    for key, value in example_comic["data"].items():
        if value is not None:
            assert type(comic["data"][key]) is type(value), key
    chapter = body["data"][CHAPTERS_FIELD][0]
    assert set(chapter["data"]) == set(example_chapter["data"])
    for key, value in example_chapter["data"].items():
        assert type(chapter["data"][key]) is type(value), key
    assert chapter["data"]["urlPath"].startswith("/title/102497-shape/")
    assert chapter["data"]["urlPath"].endswith("-ch_1")
    assert chapter["data"]["datePublic"] > 10**12  # epoch milliseconds


@pytest.mark.parametrize(
    ("query", "message"),
    [
        (
            "query q($id: ID!) { get_content_comicNode(id: $id) "
            "{ id data { name chapterCount } } }",
            'Cannot query field "chapterCount" on type "Comic".',
        ),
        (
            "query q($id: ID!) { get_content_comic(id: $id) { id } }",
            'Cannot query field "get_content_comic" on type "Query".',
        ),
        (
            "query q($c: ID!) { get_content_chapterList(comicId: $c) { id data { id date } } }",
            'Cannot query field "date" on type "Chapter".',
        ),
        (
            "query q($id: String!) { get_content_comicNode(id: $id) { id } }",
            'Variable "$id" of type "String!" used in position expecting type "ID!".',
        ),
        (
            "query q($id: ID!) { get_content_comicNode(id: $id) { id data } }",
            'Field "data" of type "Comic" must have a selection of subfields.',
        ),
        (
            "query q($id: ID!) { get_content_comicNode(id: $id) { id { x } } }",
            'Field "id" must not have a selection since its type is scalar.',
        ),
        (
            "{ get_content_comicNode { id } }",
            'Field "get_content_comicNode" argument "id" of type "ID!" is required',
        ),
        (
            "query q($id: ID!) { get_content_comicNode(comicId: $id) { id } }",
            'Unknown argument "comicId" on field "Query.get_content_comicNode".',
        ),
        ("query q($id: ID!) { get_content_comicNode(id: $id) { id ", "Syntax Error"),
        ("{ __schema { types { name } } }", 'Cannot query field "__schema" on type "Query".'),
    ],
)
def test_rejects_what_bato_would_reject(
    fake_bato: FakeBato, http: httpx.Client, query: str, message: str
) -> None:
    fake_bato.add_series("1", chapters=1)
    response = post(http, fake_bato, query, id="1", c="1")
    assert response.status_code == 400
    body = response.json()
    assert body["data"] is None
    assert any(message in e["message"] for e in body["errors"]), body


def test_the_client_documents_pass_validation(fake_bato: FakeBato, http: httpx.Client) -> None:
    fake_bato.add_series("1", chapters=1)
    for document, variables in (
        (queries.SERIES_QUERY, queries.series_variables("1")),
        (queries.DETAILS_QUERY, queries.details_variables("1")),
        (queries.CHAPTERS_QUERY, queries.chapters_variables("1")),
    ):
        response = post(http, fake_bato, document, **variables)
        assert response.status_code == 200, response.text
        assert "errors" not in response.json()


def test_only_selected_fields_with_aliases(fake_bato: FakeBato, http: httpx.Client) -> None:
    fake_bato.add_series("1", "Picky", chapters=2)
    query = (
        "query q($id: ID!) { series: get_content_comicNode(id: $id) "
        "{ data { name summary { text } } } }"
    )
    body = post(http, fake_bato, query, id="1").json()
    assert body == {
        "data": {"series": {"data": {"name": "Picky", "summary": {"text": "The story of Picky."}}}}
    }


def test_missing_variable_value(fake_bato: FakeBato, http: httpx.Client) -> None:
    body = post(http, fake_bato, queries.DETAILS_QUERY).json()
    assert body["errors"][0]["message"] == (
        'Variable "$id" of required type "ID!" was not provided.'
    )


def test_paths_and_methods(fake_bato: FakeBato, http: httpx.Client) -> None:
    assert http.get(fake_bato.api_url).status_code == 405
    assert http.post(fake_bato.url + "/graphql", json={}).status_code == 404
    assert http.post(fake_bato.api_url, content=b"not json").status_code == 400
    assert [r.path for r in fake_bato.requests] == ["/apo/", "/graphql", "/apo/"]
    assert fake_bato.requests[2].body == "not json"


def test_catalogue_mutations(fake_bato: FakeBato) -> None:
    at = datetime(2024, 6, 1, tzinfo=UTC)
    fake_bato.add_series("1", chapters=["Chapter 1", "Chapter 2", "Extra: Omake"])
    added = fake_bato.add_chapters("1", 2, at=at)
    assert [c.token for c in added] == ["ch_3", "ch_4"]
    assert added[0].date_public == int(at.timestamp() * 1000)
    special = fake_bato.add_chapter("1", "Side Story 1")
    assert special.token is None
    old = fake_bato.get("1").chapters[0]
    new = fake_bato.reupload_chapter("1", "ch_1")
    assert (new.token, new.dname) == (old.token, old.dname)
    assert new.chapter_id != old.chapter_id
    assert fake_bato.delete_chapter("1", "ch_2").token == "ch_2"
    assert [c.token for c in fake_bato.get("1").chapters] == ["ch_1", None, "ch_3", "ch_4", None]
    fake_bato.remove_series("1")
    assert "1" not in fake_bato.series
    with pytest.raises(ValueError, match="not real Bato comic fields"):
        fake_bato.add_series("2", chapterCount=3)
    with pytest.raises(ValueError, match="unknown fault"):
        fake_bato.inject("teapot")


def test_faults_are_consumed_in_order(fake_bato: FakeBato, http: httpx.Client) -> None:
    fake_bato.add_series("1", chapters=1)
    fake_bato.inject("429", retry_after=30)
    fake_bato.inject("500", count=2)
    fake_bato.inject("html", status=200)
    statuses = [post(http, fake_bato, queries.DETAILS_QUERY, id="1") for _ in range(5)]
    assert [r.status_code for r in statuses] == [429, 500, 500, 200, 200]
    assert statuses[0].headers["Retry-After"] == "30"
    assert "Just a moment" in statuses[3].text
    assert statuses[3].headers["Content-Type"].startswith("text/html")
    assert statuses[4].json()["data"][COMIC_FIELD]["id"] == "1"
    assert fake_bato.pending_faults == 0
    assert len(fake_bato.requests) == 5


def test_examples_served_byte_for_byte(http: httpx.Client) -> None:
    with FakeBato(examples=True) as fake:
        details = post(http, fake, queries.DETAILS_QUERY, id="5")
        chapters = post(http, fake, queries.CHAPTERS_QUERY, comicId="5")
        both = post(http, fake, queries.SERIES_QUERY, id="5", comicId="5")
        bad = post(http, fake, '{ get_content_comicNode(id: "5") { nope } }')
    assert details.text == EXAMPLE_RESPONSES[COMIC_FIELD]
    assert chapters.text == EXAMPLE_RESPONSES[CHAPTERS_FIELD]
    assert set(both.json()["data"]) == {COMIC_FIELD, CHAPTERS_FIELD}
    assert bad.status_code == 400  # validation still applies


@pytest.mark.skipif(not SPEC_EXAMPLES.is_dir(), reason="spec examples not present")
def test_embedded_examples_match_the_spec_files(http: httpx.Client) -> None:
    for field_name, filename in EXAMPLE_FILES.items():
        assert (SPEC_EXAMPLES / filename).read_text(encoding="utf-8") == (
            EXAMPLE_RESPONSES[field_name]
        )
    with FakeBato(examples_dir=SPEC_EXAMPLES) as fake:
        response = post(http, fake, queries.CHAPTERS_QUERY, comicId="1")
    assert response.content == (SPEC_EXAMPLES / EXAMPLE_FILES[CHAPTERS_FIELD]).read_bytes()


def test_parse_query_rejects_fragments() -> None:
    with pytest.raises(QueryError, match="Fragments"):
        parse_query("{ get_content_comicNode(id: 1) { ...F } }")
    with pytest.raises(QueryError, match="mutation"):
        parse_query("mutation { x }")


def test_demo_catalogue_is_realistic() -> None:
    fake = FakeBato()
    series = populate_demo(fake, 20, seed=3)
    assert len(series) == 20
    assert len({s.name for s in series}) == 20
    assert all(s.chapters for s in series)
    now_ms = datetime.now(UTC).timestamp() * 1000
    for item in series:
        dates = [c.date_public for c in item.chapters]
        assert dates == sorted(dates)
        assert dates[-1] <= now_ms
    statuses = {s.upload_status for s in series}
    assert "ongoing" in statuses and len(statuses) > 1
    weekly_gap = timedelta(days=7).total_seconds() * 1000
    assert any(
        abs((s.chapters[-1].date_public - s.chapters[-2].date_public) - weekly_gap)
        < weekly_gap / 10
        for s in series
    )


def test_standalone_runs_and_prints_its_url(http: httpx.Client) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "bato_desktop.devtools.fake_bato", "--port", "0", "--series", "3"],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("Fake Bato serving 3 series at http://127.0.0.1:")
        url = first.rsplit(" ", 1)[-1].strip()
        response = http.post(
            url + "/apo/", json={"query": queries.DETAILS_QUERY, "variables": {"id": "110100"}}
        )
        assert response.json()["data"][COMIC_FIELD]["id"] == "110100"
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
