"""Schema whitelists of the three Bato API generations, and the spec's example answers.

Why: Bato's servers have introspection disabled, so the only way a client learns that it asked for a
field the server lacks is an error in production. The fake validates every document against these
whitelists, taken from ``bato-api.md`` (v3x) and ``bato-family-api.md`` (V4, XCOMIC), and so fails
the same way the real site does.

A type maps each field to ``None`` (a scalar or a list of scalars) or to the name of its object
type. Arguments are declared per ``(type, field)``; input object types list their fields with
GraphQL type references (``"ID!"``, ``"[String]"``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

API_PATH = "/apo/"
COMIC_FIELD = "get_content_comicNode"
CHAPTERS_FIELD = "get_content_chapterList"

SCALARS = frozenset({"ID", "String", "Int", "Float", "Boolean"})

Fields = dict[str, str | None]


@dataclass(frozen=True)
class Schema:
    """What one generation's endpoint accepts: the path, object types, arguments, input types."""

    generation: str
    path: str
    types: dict[str, Fields]
    arguments: dict[tuple[str, str], dict[str, str]]
    inputs: dict[str, dict[str, str]] = field(default_factory=dict)

    def arguments_of(self, type_name: str, field_name: str) -> dict[str, str]:
        return self.arguments.get((type_name, field_name), {})

    def knows_type(self, name: str) -> bool:
        return name in SCALARS or name in self.inputs


# --------------------------------------------------------------------------------------------
# Generation 1: v3x, POST /apo/ (exactly what the spec examples show)
# --------------------------------------------------------------------------------------------

V3X_SEARCH_FIELD = "get_content_searchComic"

SCHEMA: dict[str, Fields] = {
    "Query": {
        COMIC_FIELD: "ComicNode",
        CHAPTERS_FIELD: "ChapterNode",
        V3X_SEARCH_FIELD: "SearchComic",
    },
    "ComicNode": {"id": None, "data": "Comic"},
    "Comic": {
        "id": None,
        "name": None,
        "altNames": None,
        "authors": None,
        "artists": None,
        "genres": None,
        "origLang": None,
        "originalStatus": None,
        "originalPubFrom": None,
        "originalPubTill": None,
        "uploadStatus": None,
        "readDirection": None,
        "summary": "Summary",
        "stat_score_val": None,
        "stat_count_votes": None,
        "stat_count_scores": "FieldCount",
        "stat_count_follows": None,
        "stat_count_reviews": None,
        "stat_count_post_reply": None,
        "stat_count_views": "FieldCount",
        "stat_count_emotions": "FieldCount",
        "tranLang": None,
        "urlPath": None,
        "urlCover600": None,  # "also seen in the node"
    },
    "SearchComic": {"paging": "SearchPaging", "items": "ComicNode"},
    "SearchPaging": {"total": None, "pages": None, "page": None},
    "Summary": {"text": None},
    "FieldCount": {"field": None, "count": None},
    "ChapterNode": {"id": None, "data": "Chapter"},
    "Chapter": {
        "id": None,
        "dname": None,
        "title": None,
        "urlPath": None,
        "stat_count_views_guest": None,
        "stat_count_views_login": None,
        "stat_count_post_reply": None,
        "dateCreate": None,
        "datePublic": None,
    },
}
ARGUMENTS: dict[str, dict[str, str]] = {
    COMIC_FIELD: {"id": "ID!"},
    CHAPTERS_FIELD: {"comicId": "ID!"},
    V3X_SEARCH_FIELD: {"select": "SearchComic_Select"},
}
V3X = Schema(
    "v3x",
    API_PATH,
    SCHEMA,
    {("Query", name): args for name, args in ARGUMENTS.items()},
    {
        "SearchComic_Select": {
            "page": "Int",
            "size": "Int",
            "where": "String",
            "word": "String",
            "sort": "String",
            "incTLangs": "[String]",
        }
    },
)

# --------------------------------------------------------------------------------------------
# Generation 2: V4, POST /ap2/
# --------------------------------------------------------------------------------------------

V4_COMIC_FIELD = "get_comicNode"
V4_CHAPTERS_FIELD = "get_comic_chapterList"
V4_BROWSE_FIELD = "get_comic_browse"
V4_RELEASES_FIELD = "get_latestReleases"

_NAMED: dict[str, Fields] = {"NamedNode": {"data": "Named"}, "Named": {"name": None}}

V4 = Schema(
    "v4",
    "/ap2/",
    {
        "Query": {
            V4_COMIC_FIELD: "ComicNode",
            V4_CHAPTERS_FIELD: "ChapterNode",
            V4_BROWSE_FIELD: "ComicBrowse",
            V4_RELEASES_FIELD: "LatestReleases",
        },
        "ComicNode": {"data": "Comic"},
        "Comic": {
            "id": None,
            "name": None,
            "altNames": None,
            "authors": None,
            "artists": None,
            "originalStatus": None,
            "uploadStatus": None,
            "genres": None,
            "summary": None,
            "extraInfo": None,
            "urlPath": None,
            "urlCoverOri": None,
            "urlCover600": None,
            "tranLang": None,
            "origLang": None,
            "chaps_normal": None,
            "score_avg": None,
            "views": "FieldCount",
            "chapterNode_up_to": "ChapterNode",
        },
        "FieldCount": {"field": None, "count": None},
        "ChapterNode": {"data": "Chapter"},
        "Chapter": {
            "comicId": None,
            "id": None,
            "serial": None,
            "dname": None,
            "title": None,
            "urlPath": None,
            "lang": None,
            "dateCreate": None,
            "dateModify": None,
            "userNode": "NamedNode",
            "groupNodes": "NamedNode",
        },
        **_NAMED,
        "Paging": {"next": None},
        "ComicBrowse": {"paging": "Paging", "items": "ComicNode"},
        "LatestReleases": {"paging": "Paging", "items": "ComicNode"},
    },
    {
        ("Query", V4_COMIC_FIELD): {"id": "ID!"},
        ("Query", V4_CHAPTERS_FIELD): {"comicId": "ID!", "start": "Int"},
        ("Query", V4_BROWSE_FIELD): {"select": "Comic_Browse_Select"},
        ("Query", V4_RELEASES_FIELD): {"select": "LatestReleases_Select"},
    },
    {
        "Comic_Browse_Select": {
            "page": "Int",
            "size": "Int",
            "where": "String",
            "word": "String",
            "sortby": "String",
            "incTLangs": "[String]",
            "incOLangs": "[String]",
            "incGenres": "[String]",
            "excGenres": "[String]",
            "status": "String",
            "chapCount": "String",
        },
        "LatestReleases_Select": {
            "where": "String",
            "init": "Int",
            "size": "Int",
            "page": "Int",
        },
    },
)

# --------------------------------------------------------------------------------------------
# Generation 3: XCOMIC, POST /query/
# --------------------------------------------------------------------------------------------

X_COMIC_FIELD = "get_comicNode"
X_FULL_LIST_FIELD = "get_comic_chapterList_fullList"
X_UNIQ_LIST_FIELD = "get_comic_chapterList_uniqList"
X_BROWSE_FIELD = "get_comic_browse_items"
X_TITLE_FIELD = "get_title_titleNode"
X_TITLE_BROWSE_FIELD = "get_title_browse_items"
X_COMIC_UPLOADS_FIELD = "get_comic_latestUploads"
X_TITLE_UPLOADS_FIELD = "get_title_latestUploads"

_CHAPTER_LIST_SELECT = {"comic_id": "ID!", "page": "Int", "size": "Int", "sortby": "String"}

XCOMIC = Schema(
    "xcomic",
    "/query/",
    {
        "Query": {
            X_COMIC_FIELD: "ComicNode",
            X_FULL_LIST_FIELD: "ChapterList",
            X_UNIQ_LIST_FIELD: "ChapterList",
            X_BROWSE_FIELD: "ComicNode",
            X_TITLE_FIELD: "TitleNode",
            X_TITLE_BROWSE_FIELD: "TitleNode",
            X_COMIC_UPLOADS_FIELD: "ComicLatestUploads",
            X_TITLE_UPLOADS_FIELD: "TitleLatestUploads",
        },
        "ComicNode": {"id": None, "data": "Comic"},
        "Comic": {
            "id": None,
            "name": None,
            "altNames": None,
            "authors": None,
            "artists": None,
            "originalLanguage": None,
            "translatedLanguage": None,
            "originalStatus": None,
            "uploadStatus": None,
            "type": None,
            "contentRating": None,
            "genres": None,
            "tags": None,
            "summary": "Text",
            "extraInfo": "Text",
            "readDirection": None,
            "urlPath": None,
            "urlCover": None,
            "follows": None,
            "reviews": None,
            "comments_total": None,
            "score_val": None,
            "chaps_normal": None,
            "chapterNode_up_to": "ChapterNode",
            "trackingSites": "TrackingSites",
        },
        "Text": {"text": None},
        "TrackingSites": {
            "mangaupdates": None,
            "myanimelist": None,
            "animeplanet": None,
            "anilist": None,
            "kitsu": None,
        },
        "ChapterNode": {"id": None, "data": "Chapter"},
        "Chapter": {
            "id": None,
            "comicId": None,
            "dbStatus": None,
            "isFinal": None,
            "volume": None,
            "serial": None,
            "dname": None,
            "title": None,
            "urlPath": None,
            "dateCreate": None,
            "datePublic": None,
            "dateModify": None,
            "chaNum": None,
            "volNum": None,
            "count_images": None,
            "is_new": None,
            "srcName": None,
            "srcTitle": None,
            "profileNodes": "NamedNode",
            "comicNode": "ComicNode",
        },
        **_NAMED,
        "ChapterPaging": {"next": None, "total": None},
        "ChapterList": {"paging": "ChapterPaging", "items": "ChapterNode"},
        "TitleNode": {"id": None, "data": "Title"},
        "Title": {
            "id": None,
            "title": None,
            "alt_titles": None,
            "authors": None,
            "status": None,
            "urlPath": None,
            "comic_ids": None,
            "translated_languages": None,
            "chap_last_public_at": None,
        },
        "ComicLatestUploads": {"before": None, "items": "ComicUpload"},
        "ComicUpload": {"comic": "ComicNode", "chapters": "ChapterNode"},
        "TitleLatestUploads": {"before": None, "items": "TitleUpload"},
        "TitleUpload": {"title": "TitleNode", "chapters": "ChapterNode"},
    },
    {
        ("Query", X_COMIC_FIELD): {"id": "ID!"},
        ("Query", X_FULL_LIST_FIELD): {"select": "Select_Comic_ChapterList!"},
        ("Query", X_UNIQ_LIST_FIELD): {"select": "Select_Comic_ChapterList_UniqList!"},
        ("Query", X_BROWSE_FIELD): {"select": "Comic_Browse_Select"},
        ("Query", X_TITLE_FIELD): {"id": "ID!"},
        ("Query", X_TITLE_BROWSE_FIELD): {"select": "Title_Browse_Select"},
        ("Query", X_COMIC_UPLOADS_FIELD): {"select": "Comic_LatestUploads_Select"},
        ("Query", X_TITLE_UPLOADS_FIELD): {"select": "Title_LatestUploads_Select"},
        ("ComicUpload", "chapters"): {"amount": "Int"},
    },
    {
        "Select_Comic_ChapterList": dict(_CHAPTER_LIST_SELECT),
        "Select_Comic_ChapterList_UniqList": dict(_CHAPTER_LIST_SELECT),
        "Comic_Browse_Select": {
            "word": "String",
            "page": "Int",
            "size": "Int",
            "sortby": "String",
            "incTLangs": "[String]",
            "incOLangs": "[String]",
            "incGenres": "[String]",
            "excGenres": "[String]",
            "status": "String",
        },
        "Title_Browse_Select": {"word": "String", "page": "Int", "size": "Int", "sortby": "String"},
        # ``before`` is an epoch-ms cursor, beyond GraphQL's 32-bit Int: typed Float here.
        "Comic_LatestUploads_Select": {"size": "Int", "before": "Float"},
        "Title_LatestUploads_Select": {"first": "Int", "limit": "Int", "before": "Float"},
    },
)

GENERATIONS: dict[str, Schema] = {schema.generation: schema for schema in (V3X, V4, XCOMIC)}
"""Generation name -> schema; the names the ``generations`` argument of ``FakeBato`` takes."""

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
