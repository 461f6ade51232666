"""BatoClient against the fake server over real HTTP: every outcome maps to a typed error."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from bato_desktop.core.errors import (
    BlockedError,
    GraphQLError,
    MalformedResponse,
    RateLimited,
    SeriesNotFound,
    TransientError,
    Unreachable,
)
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine.client import BatoClient, parse_retry_after
from bato_desktop.settings import Settings

T0 = datetime(2024, 5, 6, 12, 0, tzinfo=UTC)


@contextmanager
def never_accepting_url() -> Iterator[str]:
    """A URL whose host never accepts: a listening socket with a full backlog.

    The kernel drops further SYNs, so a connect times out (httpx.ConnectTimeout), as a mirror
    that is down behind a firewall does.
    """
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        fillers = []
        try:
            for _ in range(3):
                filler = socket.socket()
                filler.setblocking(False)
                with suppress(BlockingIOError):
                    filler.connect(("127.0.0.1", port))
                fillers.append(filler)
            yield f"http://127.0.0.1:{port}"
        finally:
            for filler in fillers:
                filler.close()


def closed_port_url() -> str:
    """A URL on which nothing listens: connection refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


def test_fetch_series(fake_bato: FakeBato, bato_client: BatoClient) -> None:
    fake_bato.add_series(
        "110100",
        "Return of the Mad Swordmaster",
        chapters=3,
        start=T0,
        upload_status="hiatus",
        genres=["action", "murim"],
    )
    snapshot = bato_client.fetch_series("110100")
    assert snapshot.details.bato_id == "110100"
    assert snapshot.details.name == "Return of the Mad Swordmaster"
    assert snapshot.details.upload_status == "hiatus"
    assert snapshot.details.genres == ["action", "murim"]
    assert [c.identity for c in snapshot.chapters] == ["ch_1", "ch_2", "ch_3"]
    assert [c.chapter_number for c in snapshot.chapters] == [1.0, 2.0, 3.0]
    assert [c.date_public for c in snapshot.chapters] == [
        T0,
        T0 + timedelta(days=7),
        T0 + timedelta(days=14),
    ]
    first = snapshot.chapters[0]
    assert (
        first.full_url == f"{fake_bato.url}/title/110100-return-of-the-mad-swordmaster/"
        f"{first.bato_chapter_id}-ch_1"
    )
    assert snapshot.warnings == []
    assert len(fake_bato.requests) == 1  # details and chapters in one round trip


def test_request_shape(fake_bato: FakeBato, bato_client: BatoClient) -> None:
    fake_bato.add_series("7", chapters=1)
    bato_client.fetch_series("7")
    [request] = fake_bato.requests
    assert request.method == "POST"
    assert request.path == "/apo/"
    headers = {k.lower(): v for k, v in request.headers.items()}
    assert headers["user-agent"] == "bato-desktop-tests/1.0"
    assert headers["content-type"] == "application/json"
    assert headers["accept"] == "*/*"
    assert headers["accept-language"] == "en-US,en;q=0.9"
    assert headers["origin"] == fake_bato.url
    assert "theme=dark" in headers["cookie"]
    assert request.variables == {"id": "7", "comicId": "7"}
    assert request.query is not None and "get_content_chapterList" in request.query


def test_fetch_details_and_chapters_separately(
    fake_bato: FakeBato, bato_client: BatoClient
) -> None:
    fake_bato.add_series("8", "Eight", chapters=4)
    assert bato_client.fetch_details("8").name == "Eight"
    assert [c.chapter_number for c in bato_client.fetch_chapters("8")] == [1, 2, 3, 4]
    assert [r.variables for r in fake_bato.requests] == [{"id": "8"}, {"comicId": "8"}]


def test_reupload_keeps_identity(fake_bato: FakeBato, bato_client: BatoClient) -> None:
    fake_bato.add_series("9", chapters=3)
    before = {c.identity: c.bato_chapter_id for c in bato_client.fetch_series("9").chapters}
    new = fake_bato.reupload_chapter("9", "ch_2")
    after = {c.identity: c.bato_chapter_id for c in bato_client.fetch_series("9").chapters}
    assert set(before) == set(after) == {"ch_1", "ch_2", "ch_3"}
    assert after["ch_2"] == new.chapter_id != before["ch_2"]
    assert after["ch_1"] == before["ch_1"]


def test_specials_without_token(fake_bato: FakeBato, bato_client: BatoClient) -> None:
    fake_bato.add_series("10", chapters=["Chapter 1", "Side Story 1", "Vol.1 Ch.2.5"])
    chapters = bato_client.fetch_series("10").chapters
    special = chapters[1]
    assert special.canonical_chapter_id is None
    assert special.identity == special.bato_chapter_id
    assert special.chapter_number == 2.0  # list position
    assert chapters[2].identity == "ch_2.5"
    assert chapters[2].chapter_number == 2.5


def test_deleted_chapter_and_status(fake_bato: FakeBato, bato_client: BatoClient) -> None:
    fake_bato.add_series("11", chapters=3)
    fake_bato.delete_chapter("11", "ch_2")
    fake_bato.set_status("11", "completed")
    snapshot = bato_client.fetch_series("11")
    assert [c.identity for c in snapshot.chapters] == ["ch_1", "ch_3"]
    assert snapshot.details.upload_status == "completed"


def test_thousand_chapters(fake_bato: FakeBato, bato_client: BatoClient) -> None:
    fake_bato.add_series("12", chapters=1200, interval=timedelta(days=1))
    chapters = bato_client.fetch_series("12").chapters
    assert len(chapters) == 1200
    assert len({c.identity for c in chapters}) == 1200
    assert chapters[-1].identity == "ch_1200"
    assert chapters[-1].chapter_number == 1200.0


def test_429_with_retry_after(fake_bato: FakeBato, bato_client: BatoClient) -> None:
    fake_bato.add_series("1", chapters=1)
    fake_bato.inject("429", retry_after=120)
    with pytest.raises(RateLimited) as info:
        bato_client.fetch_series("1")
    assert info.value.retry_after == 120.0
    assert info.value.status == 429
    assert "HTTP 429" in str(info.value)
    assert bato_client.fetch_series("1").details.bato_id == "1"  # one fault only


def test_429_without_retry_after_defaults_to_300(
    fake_bato: FakeBato, bato_client: BatoClient
) -> None:
    fake_bato.inject("429")
    with pytest.raises(RateLimited) as info:
        bato_client.fetch_series("1")
    assert info.value.retry_after == 300.0
    assert "HTTP 429" in str(info.value)


def test_parse_retry_after_http_date() -> None:
    now = datetime(2024, 1, 1, 12, 0, tzinfo=UTC)
    assert parse_retry_after(format_datetime(now + timedelta(seconds=90), usegmt=True), now) == 90.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after("-5") == 0.0
    assert parse_retry_after(None) is None


@pytest.mark.parametrize("status", [500, 502, 503])
def test_5xx_is_transient(fake_bato: FakeBato, bato_client: BatoClient, status: int) -> None:
    fake_bato.inject("500", status=status)
    with pytest.raises(TransientError) as info:
        bato_client.fetch_series("1")
    assert info.value.status == status
    assert f"HTTP {status}" in str(info.value)


def test_timeout_is_transient(fake_bato: FakeBato) -> None:
    fake_bato.add_series("1", chapters=1)
    fake_bato.inject("timeout", delay=1.5)
    with BatoClient([fake_bato.url], user_agent="t", timeout=0.3) as client:
        with pytest.raises(TransientError, match="timed out") as info:
            client.fetch_series("1")
        assert info.value.status is None
        assert "no HTTP response" in str(info.value)


def test_dropped_connection_is_transient(fake_bato: FakeBato, bato_client: BatoClient) -> None:
    fake_bato.inject("disconnect")
    with pytest.raises(TransientError):
        bato_client.fetch_series("1")


def test_connection_refused_falls_back_to_next_mirror(fake_bato: FakeBato) -> None:
    fake_bato.add_series("5", "Mirror", chapters=2)
    dead = closed_port_url()
    with BatoClient([dead, fake_bato.url], user_agent="t", timeout=2) as client:
        snapshot = client.fetch_series("5")
    assert snapshot.details.name == "Mirror"
    assert len(fake_bato.requests) == 1
    # URLs stay on the configured (first) host so they do not change with the mirror used
    assert snapshot.chapters[0].full_url.startswith(dead + "/title/5-mirror/")


def test_connect_timeout_falls_back_to_next_mirror(fake_bato: FakeBato) -> None:
    fake_bato.add_series("5", "Mirror", chapters=2)
    with (
        never_accepting_url() as silent,
        BatoClient([silent, fake_bato.url], user_agent="t", timeout=0.3) as client,
    ):
        snapshot = client.fetch_series("5")
    assert snapshot.details.name == "Mirror"
    assert len(fake_bato.requests) == 1


def test_all_hosts_refused(fake_bato: FakeBato) -> None:
    first, second = closed_port_url(), closed_port_url()
    with (
        BatoClient([first, second], user_agent="t", timeout=2) as client,
        pytest.raises(Unreachable) as info,
    ):
        client.fetch_series("5")
    assert first in str(info.value) and second in str(info.value)
    assert "no HTTP response" in str(info.value)
    assert isinstance(info.value, TransientError)  # still retried like any transient error


def test_no_host_answering_at_all_is_unreachable() -> None:
    """Refused on one mirror, a connect timeout on the other: the machine looks offline."""
    with (
        never_accepting_url() as silent,
        BatoClient([closed_port_url(), silent], user_agent="t", timeout=0.3) as client,
        pytest.raises(Unreachable, match="ConnectTimeout"),
    ):
        client.fetch_series("5")


def test_a_host_that_took_the_request_then_stalled_is_not_skipped(fake_bato: FakeBato) -> None:
    """A read timeout happened after the request reached Bato: no fallback, no "offline"."""
    fake_bato.inject("timeout", delay=1.5)
    with FakeBato() as other:
        other.add_series("5", chapters=1)
        with BatoClient([fake_bato.url, other.url], user_agent="t", timeout=0.3) as client:
            with pytest.raises(TransientError, match="timed out") as info:
                client.fetch_series("5")
            assert not isinstance(info.value, Unreachable)
        assert other.requests == []


def test_error_answers_do_not_fall_through_to_mirrors(fake_bato: FakeBato) -> None:
    with FakeBato() as other:
        other.add_series("5", chapters=1)
        fake_bato.inject("500")
        with (
            BatoClient([fake_bato.url, other.url], user_agent="t", timeout=2) as client,
            pytest.raises(TransientError),
        ):
            client.fetch_series("5")
        assert other.requests == []


@pytest.mark.parametrize("status", [200, 403])
def test_html_challenge_is_blocked(
    fake_bato: FakeBato, bato_client: BatoClient, status: int
) -> None:
    fake_bato.inject("html", status=status)
    with pytest.raises(BlockedError, match="HTML page") as info:
        bato_client.fetch_series("1")
    assert info.value.status == status
    assert "challenge" in str(info.value)
    assert f"HTTP {status}" in str(info.value)


def test_graphql_error(fake_bato: FakeBato, bato_client: BatoClient) -> None:
    fake_bato.inject("graphql_error", message="Something broke upstream")
    with pytest.raises(GraphQLError, match="Something broke upstream") as info:
        bato_client.fetch_series("1")
    assert "HTTP 200" in str(info.value)


def test_unknown_series_is_not_found(fake_bato: FakeBato, bato_client: BatoClient) -> None:
    with pytest.raises(SeriesNotFound, match="424242") as info:
        bato_client.fetch_series("424242")
    assert "HTTP 200" in str(info.value)
    fake_bato.add_series("77", chapters=1)
    bato_client.fetch_series("77")
    fake_bato.remove_series("77")
    with pytest.raises(SeriesNotFound):
        bato_client.fetch_details("77")


def test_malformed_chapter_is_skipped_with_warning(
    fake_bato: FakeBato, bato_client: BatoClient
) -> None:
    fake_bato.add_series("3", chapters=5)
    fake_bato.inject("malformed", index=2)
    snapshot = bato_client.fetch_series("3")
    assert [c.identity for c in snapshot.chapters] == ["ch_1", "ch_2", "ch_4", "ch_5"]
    [warning] = snapshot.warnings
    assert "item 3" in warning and "urlPath" in warning


def test_missing_series_fields_are_malformed(fake_bato: FakeBato, bato_client: BatoClient) -> None:
    fake_bato.add_series("3", chapters=1)
    fake_bato.inject("malformed_node")
    with pytest.raises(MalformedResponse, match="no name") as info:
        bato_client.fetch_series("3")
    assert "HTTP 200" in str(info.value)


def test_spec_examples_served_verbatim_parse() -> None:
    with (
        FakeBato(examples=True) as fake,
        BatoClient([fake.url], user_agent="t", timeout=2) as client,
    ):
        snapshot = client.fetch_series("102497")
        details = client.fetch_details("102497")
    assert details == snapshot.details
    assert details.name == "Please Don't Come To The Villainess' Stationery Store!"
    assert details.views_total == 5098802
    [chapter] = snapshot.chapters
    assert chapter.identity == "ch_1"
    assert chapter.bato_chapter_id == "1906652"
    assert chapter.date_public == datetime(2022, 3, 22, 9, 15, 59, 44000, tzinfo=UTC)


def test_from_settings_uses_hosts_and_timeout(fake_bato: FakeBato) -> None:
    fake_bato.add_series("4", "From Settings", chapters=1)
    settings = Settings(hosts=(fake_bato.url,), user_agent="settings-agent/2", request_timeout=3.0)
    assert settings.api_url == fake_bato.api_url
    with BatoClient.from_settings(settings) as client:
        assert client.hosts == (fake_bato.url,)
        assert client.timeout == 3.0
        assert client.fetch_series("4").details.name == "From Settings"
    assert fake_bato.requests[0].headers["User-Agent"] == "settings-agent/2"


def test_non_json_body_is_blocked() -> None:
    import httpx

    def handler(request: httpx.Request) -> httpx.Response:
        assert json.loads(request.content)["variables"] == {"id": "1", "comicId": "1"}
        return httpx.Response(
            200, content=b"maintenance, back soon", headers={"Content-Type": "text/plain"}
        )

    with (
        BatoClient(
            ["https://bato.to"], user_agent="t", transport=httpx.MockTransport(handler)
        ) as client,
        pytest.raises(BlockedError, match="non-JSON"),
    ):
        client.fetch_series("1")
