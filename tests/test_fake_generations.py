"""The fake server's V4 (``/ap2/``) and XCOMIC (``/query/``) generations, and its switches.

Why: the client must probe which generation a domain speaks and survive domains going down,
behind Cloudflare, or losing a query. These tests pin the documented shapes over real HTTP so the
client work can rely on them (see ``bato-family-api.md``).
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from bato_desktop.devtools.fake_bato import (
    CSRF_MESSAGE,
    FakeBato,
    parse_query,
    populate_demo,
    validate,
)
from bato_desktop.devtools.fake_bato.schema import XCOMIC

T0 = datetime(2026, 9, 1, 12, 0, tzinfo=UTC)
PREFLIGHT = {"apollo-require-preflight": "true"}

X_COMIC = """query c($id: ID!) { get_comicNode(id: $id) { id data {
  id name altNames authors artists originalLanguage translatedLanguage originalStatus
  uploadStatus type contentRating genres tags summary { text } extraInfo { text } readDirection
  urlPath urlCover follows reviews comments_total score_val chaps_normal
  chapterNode_up_to { data { id dname datePublic dateCreate serial chaNum } }
  trackingSites { mangaupdates myanimelist animeplanet anilist kitsu } } } }"""
X_CHAPTER_FIELDS = """id data { id comicId dbStatus isFinal volume serial dname title urlPath
  dateCreate datePublic dateModify chaNum volNum count_images is_new srcName srcTitle
  profileNodes { data { name } } }"""
X_FULL = (
    "query f($select: Select_Comic_ChapterList!) { get_comic_chapterList_fullList("
    f"select: $select) {{ paging {{ next total }} items {{ {X_CHAPTER_FIELDS} }} }} }}"
)
X_UNIQ = (
    "query u($select: Select_Comic_ChapterList_UniqList!) { "
    "get_comic_chapterList_uniqList(select: $select) { paging { next total } "
    "items { id data { id chaNum dname urlPath } } } }"
)
X_UPLOADS = """query l($select: Comic_LatestUploads_Select) { get_comic_latestUploads(
  select: $select) { before items { comic { id data { id name urlPath urlCover
  translatedLanguage } } chapters(amount: 2) { id data { id serial chaNum dname urlPath
  dateCreate datePublic dateModify } } } } }"""
X_TITLE_UPLOADS = """query t($select: Title_LatestUploads_Select) { get_title_latestUploads(
  select: $select) { before items { title { id data { title comic_ids } } chapters { id data {
  id dname dateCreate comicNode { data { id translatedLanguage } } } } } } }"""
V4_COMIC = """query c($id: ID!) { get_comicNode(id: $id) { data { id name altNames authors
  artists originalStatus uploadStatus genres summary extraInfo urlPath urlCoverOri urlCover600
  tranLang origLang chaps_normal score_avg views { field count } } } }"""
V4_CHAPTERS = """query l($comicId: ID!, $start: Int) { get_comic_chapterList(comicId: $comicId,
  start: $start) { data { comicId id serial dname title urlPath lang dateCreate dateModify
  userNode { data { name } } groupNodes { data { name } } } } }"""
V3X_DETAILS = "query q($id: ID!) { get_content_comicNode(id: $id) { id data { name } } }"


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=2.0) as client:
        yield client


@pytest.fixture
def xfake() -> Iterator[FakeBato]:
    with FakeBato(generations=("xcomic",)) as fake:
        yield fake


@pytest.fixture
def v4fake() -> Iterator[FakeBato]:
    with FakeBato(generations=("v4",)) as fake:
        yield fake


def gql(
    http: httpx.Client,
    fake: FakeBato,
    generation: str,
    query: str,
    headers: dict[str, str] | None = None,
    **variables: Any,
) -> httpx.Response:
    return http.post(
        fake.url + fake.path_for(generation),
        headers=headers,
        json={"query": query, "variables": variables},
    )


def data(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    body = response.json()
    assert "errors" not in body, body
    result: dict[str, Any] = body["data"]
    return result


# -- XCOMIC -------------------------------------------------------------------------------------


def test_xcomic_comic_node_shape(xfake: FakeBato, http: httpx.Client) -> None:
    xfake.add_series(
        "vg7ypp",
        "Solo Hunter",
        chapters=3,
        start=T0,
        anilist_id=105398,
        genres=["action"],
        origLang="ko",
    )
    xfake.add_series(
        "k2m9qa", "Absolute", chapters=1, start=T0, cover="https://cdn.example/abs.jpg"
    )
    node = data(gql(http, xfake, "xcomic", X_COMIC, id="vg7ypp"))["get_comicNode"]
    comic = node["data"]
    assert node["id"] == comic["id"] == "vg7ypp"
    assert comic["urlPath"] == "/comic/vg7ypp-en-solo-hunter"
    assert comic["urlCover"].startswith("/media/")
    assert comic["summary"] == {"text": "The story of Solo Hunter."}
    assert comic["trackingSites"]["anilist"] == "105398"
    assert (comic["originalLanguage"], comic["translatedLanguage"]) == ("ko", "en")
    assert comic["chaps_normal"] == 3 and comic["genres"] == ["action"]
    assert comic["chapterNode_up_to"]["data"]["chaNum"] == 3
    other = data(gql(http, xfake, "xcomic", X_COMIC, id="k2m9qa"))["get_comicNode"]["data"]
    assert other["urlCover"] == "https://cdn.example/abs.jpg"
    assert other["trackingSites"]["anilist"] is None
    assert data(gql(http, xfake, "xcomic", X_COMIC, id="nope"))["get_comicNode"] is None


def test_xcomic_chapter_pages_newest_first(xfake: FakeBato, http: httpx.Client) -> None:
    xfake.add_series("vg7ypp", "Paged", chapters=5, start=T0)
    seen: list[Any] = []
    page, pages = 1, []
    while page:
        body = data(
            gql(
                http,
                xfake,
                "xcomic",
                X_FULL,
                select={"comic_id": "vg7ypp", "page": page, "size": 2, "sortby": "chapter_desc"},
            )
        )
        listing = body["get_comic_chapterList_fullList"]
        assert listing["paging"]["total"] == 5
        seen += [item["data"]["chaNum"] for item in listing["items"]]
        pages.append(page)
        page = listing["paging"]["next"]
    assert seen == [5, 4, 3, 2, 1] and pages == [1, 2, 3]
    first = xfake.get("vg7ypp").chapters[0]
    assert re.fullmatch(r"[a-z][a-z0-9]{5}", first.chapter_id)  # alphanumeric ids
    body = data(gql(http, xfake, "xcomic", X_FULL, select={"comic_id": "vg7ypp"}))
    oldest = body["get_comic_chapterList_fullList"]["items"][-1]
    assert oldest["id"] == oldest["data"]["id"] == first.chapter_id
    assert oldest["data"]["urlPath"] == (f"/comic/vg7ypp-en-paged/{first.chapter_id}-en-ch_1")
    assert oldest["data"]["dateCreate"] == int(T0.timestamp() * 1000)
    assert oldest["data"]["profileNodes"] == [{"data": {"name": "Fake Scans"}}]


def test_full_list_has_every_upload_uniq_list_one_per_chapter(
    xfake: FakeBato, http: httpx.Client
) -> None:
    xfake.add_series(
        "vg7ypp",
        "Groups",
        start=T0,
        chapters=[
            "Chapter 1",
            "Chapter 2",
            {"dname": "Chapter 2", "group": "Other Scans"},
            {"dname": "Side Story", "token": None},
            "Chapter 3",
        ],
    )
    late = xfake.insert_chapter("vg7ypp", "Chapter 2.5", after="ch_2")
    full = data(gql(http, xfake, "xcomic", X_FULL, select={"comic_id": "vg7ypp"}))
    items = full["get_comic_chapterList_fullList"]["items"]
    assert [i["data"]["chaNum"] for i in items] == [3, None, 2.5, 2, 2, 1]
    assert items[2]["id"] == late.chapter_id
    assert {i["data"]["profileNodes"][0]["data"]["name"] for i in items[3:5]} == {
        "Fake Scans",
        "Other Scans",
    }
    assert items[3]["id"] != items[4]["id"]
    assert items[1]["data"]["serial"] is None  # a special
    uniq = data(gql(http, xfake, "xcomic", X_UNIQ, select={"comic_id": "vg7ypp", "size": 5000}))
    listing = uniq["get_comic_chapterList_uniqList"]
    assert [i["data"]["chaNum"] for i in listing["items"]] == [3, None, 2.5, 2, 1]
    assert listing["paging"] == {"next": 0, "total": 5}


def test_fulllist_size_is_capped_at_100(xfake: FakeBato, http: httpx.Client) -> None:
    xfake.add_series("big", chapters=150, start=T0)
    body = data(
        gql(
            http,
            xfake,
            "xcomic",
            X_UNIQ.replace("UniqList", "")
            .replace("uniqList", "fullList")
            .replace("Select_Comic_ChapterList_", "Select_Comic_ChapterList"),
            select={"comic_id": "big", "size": 1000},
        )
    )
    listing = body["get_comic_chapterList_fullList"]
    assert len(listing["items"]) == 100 and listing["paging"]["next"] == 2


def test_titles_group_language_editions(xfake: FakeBato, http: httpx.Client) -> None:
    xfake.add_series("vg7ypp", "Tower", chapters=3, start=T0, title_id="t1")
    xfake.add_series("k2m9qa", "Torre", chapters=1, start=T0, title_id="t1", lang="es")
    query = (
        "query t($id: ID!) { get_title_titleNode(id: $id) { id data { title alt_titles "
        "authors status urlPath comic_ids translated_languages chap_last_public_at } } }"
    )
    title = data(gql(http, xfake, "xcomic", query, id="t1"))["get_title_titleNode"]["data"]
    assert title["comic_ids"] == ["vg7ypp", "k2m9qa"]
    assert title["translated_languages"] == ["en", "es"]
    assert title["title"] == "Tower" and "Torre" in title["alt_titles"]
    assert title["chap_last_public_at"] == int((T0 + timedelta(days=14)).timestamp() * 1000)
    browse = (
        "query b($select: Title_Browse_Select) { get_title_browse_items(select: $select)"
        " { id data { title } } }"
    )
    found = data(gql(http, xfake, "xcomic", browse, select={"word": "torre"}))
    assert [t["id"] for t in found["get_title_browse_items"]] == ["t1"]


def test_comic_browse_is_a_bare_array(xfake: FakeBato, http: httpx.Client) -> None:
    xfake.add_series("a1", "Alpha Knight", chapters=1, alt_names=["Caballero"])
    xfake.add_series("b2", "Beta Mage", chapters=1, lang="es")
    query = (
        "query b($select: Comic_Browse_Select) { get_comic_browse_items(select: $select) "
        "{ data { id name } } }"
    )
    items = data(
        gql(http, xfake, "xcomic", query, select={"word": "caball", "page": 1, "size": 10})
    )
    assert items["get_comic_browse_items"] == [{"data": {"id": "a1", "name": "Alpha Knight"}}]
    spanish = data(gql(http, xfake, "xcomic", query, select={"incTLangs": ["es"]}))
    assert [i["data"]["id"] for i in spanish["get_comic_browse_items"]] == ["b2"]


def test_comic_latest_uploads_pages_with_a_decreasing_cursor(
    xfake: FakeBato, http: httpx.Client
) -> None:
    for index in range(5):
        xfake.add_series(
            f"c{index}", chapters=3, start=T0 + timedelta(hours=index), interval=timedelta(days=1)
        )
    cursor: Any = None
    comics: list[str] = []
    cursors: list[int] = []
    while True:
        select = {"size": 2} if cursor is None else {"size": 2, "before": cursor}
        feed = data(gql(http, xfake, "xcomic", X_UPLOADS, select=select))
        page = feed["get_comic_latestUploads"]
        for item in page["items"]:
            comics.append(item["comic"]["id"])
            assert len(item["chapters"]) <= 2  # chapters(amount: 2)
            dates = [c["data"]["dateCreate"] for c in item["chapters"]]
            assert dates == sorted(dates, reverse=True)
        if not page["before"]:
            break
        cursors.append(page["before"])
        cursor = page["before"]
    assert comics[:2] == ["c4", "c3"]
    assert set(comics) == {f"c{i}" for i in range(5)}
    assert cursors == sorted(cursors, reverse=True) and len(set(cursors)) == len(cursors)


def test_title_latest_uploads_group_three_chapters(xfake: FakeBato, http: httpx.Client) -> None:
    xfake.add_series(
        "en1", "Tower", chapters=5, start=T0, title_id="t1", interval=timedelta(hours=1)
    )
    xfake.add_series(
        "es1",
        "Torre",
        chapters=2,
        start=T0 - timedelta(days=1),
        title_id="t1",
        lang="es",
        interval=timedelta(hours=1),
    )
    xfake.add_series("x9", "Other", chapters=1, start=T0 - timedelta(days=2))
    feed = data(gql(http, xfake, "xcomic", X_TITLE_UPLOADS, select={"limit": 2}))
    page = feed["get_title_latestUploads"]
    assert len(page["items"]) == 2 and page["before"] > 0
    assert all(len(item["chapters"]) <= 3 for item in page["items"])
    assert {i["title"]["id"] for i in page["items"]} == {"t1"}
    langs = {
        c["data"]["comicNode"]["data"]["translatedLanguage"]
        for item in page["items"]
        for c in item["chapters"]
    }
    assert langs == {"en", "es"}  # a title's item mixes its editions' uploads
    rest = data(
        gql(http, xfake, "xcomic", X_TITLE_UPLOADS, select={"limit": 16, "before": page["before"]})
    )["get_title_latestUploads"]
    assert rest["before"] == 0
    ids = [c["data"]["comicNode"]["data"]["id"] for i in rest["items"] for c in i["chapters"]]
    assert ids == ["es1", "x9"]


@pytest.mark.parametrize(
    ("query", "variables", "message"),
    [
        (
            X_FULL.replace("ChapterList!", "ChapterList"),
            {"select": {"comic_id": "a"}},
            'Variable "$select" of type "Select_Comic_ChapterList" used in position expecting '
            'type "Select_Comic_ChapterList!".',
        ),
        (
            X_FULL,
            {"select": {"comicId": "a"}},
            'Field "comicId" is not defined by type "Select_Comic_ChapterList".',
        ),
        (
            X_FULL,
            {"select": {"page": 1}},
            'Field "comic_id" of required type "ID!" was not provided.',
        ),
        (
            X_FULL,
            {"select": {"comic_id": "a", "page": "two"}},
            'got invalid value "two" at "select.page"; Int cannot represent non-integer value',
        ),
        (
            X_FULL.replace("Select_Comic_ChapterList!", "Select_Chapters!"),
            {"select": {"comic_id": "a"}},
            'Unknown type "Select_Chapters".',
        ),
        (
            '{ get_comic_chapterList_fullList(select: {comic_id: "a"}) { paging { next } } }',
            {},
            "Only scalar argument values are supported.",
        ),
        (
            X_UPLOADS.replace("amount: 2", 'amount: "2"'),
            {},
            'Int cannot represent non-integer value: "2"',
        ),
        (V3X_DETAILS, {"id": "1"}, 'Cannot query field "get_content_comicNode" on type "Query".'),
    ],
)
def test_xcomic_rejects_what_the_site_would_reject(
    xfake: FakeBato, http: httpx.Client, query: str, variables: dict[str, Any], message: str
) -> None:
    response = gql(http, xfake, "xcomic", query, **variables)
    assert response.status_code == 400
    assert any(message in e["message"] for e in response.json()["errors"]), response.text


def test_validate_accepts_input_object_variables() -> None:
    operation = parse_query(X_FULL)
    assert validate(operation, {"select": {"comic_id": "x", "page": 2}}, XCOMIC) == []


# -- V4 -----------------------------------------------------------------------------------------


def test_v4_needs_the_preflight_header(v4fake: FakeBato, http: httpx.Client) -> None:
    v4fake.add_series("110100", "Vee", chapters=1)
    blocked = gql(http, v4fake, "v4", V4_COMIC, id="110100")
    assert blocked.status_code == 400
    assert blocked.json()["errors"][0]["message"] == CSRF_MESSAGE
    assert "Cross-Site Request Forgery" in CSRF_MESSAGE
    ok = gql(http, v4fake, "v4", V4_COMIC, headers=PREFLIGHT, id="110100")
    assert data(ok)["get_comicNode"]["data"]["name"] == "Vee"
    assert v4fake.requests[-1].header("Apollo-Require-Preflight") == "true"
    assert [r.path for r in v4fake.requests] == ["/ap2/", "/ap2/"]


def test_v4_shapes(v4fake: FakeBato, http: httpx.Client) -> None:
    v4fake.add_series(
        "110100",
        "Vee",
        start=T0,
        chapters=[
            "Chapter 1",
            {"dname": "Chapter 1", "group": "B Team"},
            "Chapter 2",
            {"dname": "Extra", "token": None},
        ],
        summary={"text": "Plain."},
    )
    comic = data(gql(http, v4fake, "v4", V4_COMIC, headers=PREFLIGHT, id="110100"))
    node = comic["get_comicNode"]["data"]
    assert node["summary"] == "Plain." and isinstance(node["extraInfo"], str)
    assert node["urlPath"] == "/title/110100-vee" and node["tranLang"] == "en"
    assert node["chaps_normal"] == 2
    whole = data(
        gql(http, v4fake, "v4", V4_CHAPTERS, headers=PREFLIGHT, comicId="110100", start=-1)
    )["get_comic_chapterList"]
    assert [c["data"]["serial"] for c in whole] == [1, 1, 2, None]
    assert whole[0]["data"]["urlPath"].endswith("-ch_1")
    assert whole[1]["data"]["urlPath"].endswith("-ch_1")
    assert whole[1]["data"]["groupNodes"] == [{"data": {"name": "B Team"}}]
    assert whole[0]["data"]["lang"] == "en" and whole[0]["data"]["comicId"] == "110100"
    tail = data(gql(http, v4fake, "v4", V4_CHAPTERS, headers=PREFLIGHT, comicId="110100", start=2))[
        "get_comic_chapterList"
    ]
    assert tail == whole[2:]


def test_generation_specific_overrides_and_new_urls(http: httpx.Client) -> None:
    with FakeBato(generations=("v4", "xcomic")) as fake:
        fake.add_series(
            "7",
            "Over",
            chapters=2,
            stat_score_val=9.1,
            overrides={"v4": {"extraInfo": "Note"}, "xcomic": {"type": "manga"}},
        )
        v4 = data(gql(http, fake, "v4", V4_COMIC, headers=PREFLIGHT, id="7"))
        assert v4["get_comicNode"]["data"]["extraInfo"] == "Note"
        assert v4["get_comicNode"]["data"]["score_avg"] == 9.1
        x = data(gql(http, fake, "xcomic", X_COMIC, id="7"))["get_comicNode"]["data"]
        assert (x["type"], x["score_val"]) == ("manga", 9.1)
        moved = fake.reupload_chapter("7", "ch_2", chapter_id="9999999")
        assert x["chapterNode_up_to"]["data"]["id"] != moved.chapter_id
        again = data(gql(http, fake, "xcomic", X_COMIC, id="7"))["get_comicNode"]["data"]
        assert again["chapterNode_up_to"]["data"]["id"] == "9999999"
        with pytest.raises(ValueError, match="not real xcomic comic fields"):
            fake.add_series("8", overrides={"xcomic": {"stat_score_val": 1}})


def test_v4_browse_and_latest_releases(v4fake: FakeBato, http: httpx.Client) -> None:
    v4fake.add_series("1", "Old One", chapters=2, start=T0 - timedelta(days=30))
    v4fake.add_series("2", "New One", chapters=2, start=T0, lang="es")
    browse = (
        "query b($select: Comic_Browse_Select) { get_comic_browse(select: $select) "
        "{ paging { next } items { data { id name } } } }"
    )
    found = data(
        gql(
            http,
            v4fake,
            "v4",
            browse,
            headers=PREFLIGHT,
            select={"word": "old", "page": 1, "size": 5},
        )
    )["get_comic_browse"]
    assert found == {"paging": {"next": 0}, "items": [{"data": {"id": "1", "name": "Old One"}}]}
    latest = (
        "query l($select: LatestReleases_Select) { get_latestReleases(select: $select) "
        "{ paging { next } items { data { id tranLang chapterNode_up_to { data { id dname "
        "urlPath dateCreate dateModify serial } } } } } }"
    )
    first = data(
        gql(
            http,
            v4fake,
            "v4",
            latest,
            headers=PREFLIGHT,
            select={"where": "release", "init": 1, "size": 1, "page": 1},
        )
    )
    page = first["get_latestReleases"]
    assert page["paging"]["next"] == 2
    assert page["items"][0]["data"]["id"] == "2"  # newest first, no language filter
    assert page["items"][0]["data"]["chapterNode_up_to"]["data"]["dname"] == "Chapter 2"


# -- domains: paths, modes, broken fields, dates ------------------------------------------------


def test_unserved_paths_404_or_html(http: httpx.Client) -> None:
    with FakeBato(generations=("xcomic", "v4")) as fake:
        assert fake.path_for("v3x") == "/apo/" and fake.api_url == fake.url + "/query/"
        gone = http.post(fake.url + "/apo/", json={"query": V3X_DETAILS})
        assert gone.status_code == 404 and gone.headers["content-type"].startswith("text/plain")
        assert http.get(fake.url + "/query/").status_code == 405
    with FakeBato(unserved="html") as fake:
        page = http.post(fake.url + "/query/", json={"query": "{ x }"})
        assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
        assert "<html" in page.text
        assert http.post(
            fake.api_url, json={"query": V3X_DETAILS, "variables": {"id": "1"}}
        ).json() == {"data": {"get_content_comicNode": None}}


def test_mode_down_refuses_then_up_on_the_same_port(http: httpx.Client) -> None:
    with FakeBato() as fake:
        fake.add_series("1", "Up", chapters=1)
        url, port = fake.api_url, fake.port
        assert http.post(url, json={"query": V3X_DETAILS, "variables": {"id": "1"}}).is_success
        fake.set_mode("down")
        with pytest.raises(httpx.TransportError):
            http.post(url, json={"query": V3X_DETAILS, "variables": {"id": "1"}})
        with pytest.raises(httpx.ConnectError), httpx.Client(timeout=1.0) as fresh:
            fresh.post(url, json={})
        fake.set_mode("up")
        assert fake.port == port
        back = http.post(url, json={"query": V3X_DETAILS, "variables": {"id": "1"}})
        assert back.json()["data"]["get_content_comicNode"]["data"]["name"] == "Up"


def test_mode_challenge(http: httpx.Client) -> None:
    with FakeBato(generations=("xcomic",)) as fake:
        fake.set_mode("challenge")
        for response in (http.post(fake.api_url, json={}), http.get(fake.url + "/")):
            assert response.status_code == 403
            assert response.headers["cf-mitigated"] == "challenge"
            assert response.headers["server"] == "cloudflare"
            assert "Just a moment" in response.text
        fake.set_mode("challenge", challenge_status=503)
        assert http.post(fake.api_url, json={}).status_code == 503
        fake.set_mode("up")
        assert http.post(fake.api_url, json={}).status_code == 400  # no query: GraphQL again


def test_break_field_null_and_unknown(xfake: FakeBato, http: httpx.Client) -> None:
    xfake.add_series("vg7ypp", chapters=2)
    xfake.break_field("get_comic_latestUploads", "null")
    nulled = gql(http, xfake, "xcomic", X_UPLOADS, select={"size": 5})
    assert nulled.status_code == 200
    assert nulled.json() == {"data": {"get_comic_latestUploads": None}}
    xfake.break_field("get_comicNode", "unknown_field")
    gone = gql(http, xfake, "xcomic", X_COMIC, id="vg7ypp")
    assert gone.status_code == 400
    assert gone.json()["errors"][0]["message"] == (
        'Cannot query field "get_comicNode" on type "Query".'
    )
    xfake.break_field("get_comicNode", "unknown_field", status=200)
    assert gql(http, xfake, "xcomic", X_COMIC, id="vg7ypp").status_code == 200
    xfake.restore_field("get_comicNode")
    xfake.restore_field("get_comic_latestUploads")
    assert data(gql(http, xfake, "xcomic", X_COMIC, id="vg7ypp"))["get_comicNode"]
    assert data(gql(http, xfake, "xcomic", X_UPLOADS))["get_comic_latestUploads"]["items"]
    with pytest.raises(ValueError, match="no generation"):
        xfake.break_field("get_everything", "null")


def test_date_formats_apply_to_every_generation(http: httpx.Client) -> None:
    with FakeBato(generations=("v3x", "v4", "xcomic"), date_format="s") as fake:
        fake.add_series("1", chapters=1, start=T0)
        v3 = http.post(
            fake.url + "/apo/",
            json={
                "query": "query q($c: ID!) { "
                "get_content_chapterList(comicId: $c) { data { dateCreate } } }",
                "variables": {"c": "1"},
            },
        ).json()
        assert v3["data"]["get_content_chapterList"][0]["data"]["dateCreate"] == int(T0.timestamp())
        fake.date_format = "iso"
        v4 = data(gql(http, fake, "v4", V4_CHAPTERS, headers=PREFLIGHT, comicId="1"))
        assert v4["get_comic_chapterList"][0]["data"]["dateModify"] == "2026-09-01T12:00:00.000Z"
        x = data(gql(http, fake, "xcomic", X_COMIC, id="1"))["get_comicNode"]["data"]
        assert x["chapterNode_up_to"]["data"]["datePublic"] == "2026-09-01T12:00:00.000Z"
        assert re.fullmatch(r"\d+", fake.get("1").chapters[0].chapter_id)  # mixed: digit ids
        with pytest.raises(ValueError):
            fake.date_format = "rfc"


def test_faults_apply_on_every_generation_path(xfake: FakeBato, http: httpx.Client) -> None:
    xfake.add_series("vg7ypp", chapters=3)
    xfake.inject("429", retry_after=5)
    xfake.inject("malformed", index=0)
    assert gql(http, xfake, "xcomic", X_COMIC, id="vg7ypp").status_code == 429
    items = data(gql(http, xfake, "xcomic", X_FULL, select={"comic_id": "vg7ypp"}))[
        "get_comic_chapterList_fullList"
    ]["items"]
    assert "urlPath" not in items[0]["data"] and "urlPath" in items[1]["data"]
    assert xfake.pending_faults == 0


# -- demo ---------------------------------------------------------------------------------------


def test_demo_for_xcomic_has_alphanumeric_comics_and_second_editions() -> None:
    fake = FakeBato(generations=("xcomic",))
    series = populate_demo(fake, 24, seed=5)
    assert len(series) == 24 == len(fake.series)
    assert all(re.fullmatch(r"[a-z][a-z0-9]{5}", s.bato_id) for s in series)
    assert all(s.anilist_id and s.anilist_id.isdigit() for s in series)
    editions = [s for s in series if s.lang != "en"]
    assert editions, "expected a few second-language editions"
    for edition in editions:
        assert len(fake.title_comics(edition.title_key)) == 2


def test_standalone_xcomic_lists_comic_links(http: httpx.Client) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bato_desktop.devtools.fake_bato",
            "--port",
            "0",
            "--series",
            "3",
            "--generation",
            "xcomic",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(6)]
        url = re.search(r"serving 3 series at (\S+)", lines[0])
        assert url is not None, lines
        link = re.search(r"/comic/([a-z0-9]+)-[a-z-]+-\S+", lines[3])
        assert link is not None, lines
        response = http.post(
            url.group(1) + "/query/", json={"query": X_COMIC, "variables": {"id": link[1]}}
        )
        assert data(response)["get_comicNode"]["id"] == link[1]
        feed = http.post(url.group(1) + "/query/", json={"query": X_UPLOADS})
        assert feed.json() == {"data": {"get_comic_latestUploads": None}}  # as the real site
    finally:
        proc.terminate()
        proc.wait(timeout=5)
        if proc.stdout is not None:
            proc.stdout.close()
