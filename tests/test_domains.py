"""Domains find their own generation: probes tell "not served" (404, HTML, another schema) from
"down" (no connection) and "blocked" (a challenge); failover between domains of one generation;
a null answer or an unknown field moves checks elsewhere and is said once."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bato_desktop.core.errors import NoLiveDomain, SiteBlocked, Unreachable
from bato_desktop.core.generations import Catalogue, Generation, SeriesKey
from bato_desktop.devtools.fake_bato import FakeBato
from bato_desktop.engine.domains import (
    DomainBook,
    DomainNotice,
    DomainState,
    PathState,
    normalize_domain,
)
from bato_desktop.engine.site import SiteClient

KEY = SeriesKey.xcomic("vg7ypp")


def closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def fakes() -> Iterator[dict[str, FakeBato]]:
    started = {
        "xcomic": FakeBato(generations=("xcomic",)),
        "xcomic2": FakeBato(generations=("xcomic",)),
        "v4html": FakeBato(generations=("v4",), unserved="html"),
        "v3x": FakeBato(),
    }
    for fake in started.values():
        fake.start()
        fake.add_series("110100", "Numeric One", chapters=2)
    for name in ("xcomic", "xcomic2"):
        started[name].add_series("vg7ypp", "Alpha One", chapters=2)
    try:
        yield started
    finally:
        for fake in started.values():
            fake.stop()


def test_probe_tells_each_kind_of_answer_apart(fakes: dict[str, FakeBato]) -> None:
    dead = closed_port_url()
    fakes["xcomic2"].set_mode("challenge")
    notices: list[DomainNotice] = []
    with SiteClient(
        [dead, fakes["xcomic2"].url, fakes["v4html"].url, fakes["xcomic"].url, fakes["v3x"].url],
        timeout=2.0,
        on_notice=notices.append,
    ) as client:
        statuses = {s.base: s for s in client.probe()}
    assert statuses[dead].state is DomainState.DOWN
    assert statuses[fakes["xcomic2"].url].state is DomainState.BLOCKED
    assert "browser check" in statuses[fakes["xcomic2"].url].summary()
    html = statuses[fakes["v4html"].url]  # a site's HTML page on the other paths
    assert html.generations == (Generation.V4,)
    assert html.path(Generation.XCOMIC) is PathState.NOT_SERVED
    assert statuses[fakes["xcomic"].url].generations == (Generation.XCOMIC,)  # 404 elsewhere
    assert statuses[fakes["v3x"].url].generations == (Generation.V3X,)
    assert {n.state for n in notices} == {DomainState.DOWN, DomainState.BLOCKED}
    assert len(fakes["xcomic2"].requests) == 1  # a blocked domain is asked once, not per path


def test_a_series_goes_to_a_domain_of_its_own_generation(fakes: dict[str, FakeBato]) -> None:
    """A numeric /title/ id is never sent to XCOMIC, an XCOMIC id never to /apo/ or /ap2/."""
    with SiteClient([fakes["xcomic"].url, fakes["v3x"].url], timeout=2.0) as client:
        client.probe()
        for fake in fakes.values():
            fake.clear_requests()
        assert client.fetch_series(SeriesKey.bato("110100")).details.name == "Numeric One"
        assert client.fetch_series(KEY).details.name == "Alpha One"
    assert [r.path for r in fakes["xcomic"].requests] == ["/query/"]
    assert [r.path for r in fakes["v3x"].requests] == ["/apo/"]


def test_failover_in_order_between_domains_of_one_generation(
    fakes: dict[str, FakeBato],
) -> None:
    first, second = fakes["xcomic"], fakes["xcomic2"]
    with SiteClient([first.url, second.url], timeout=2.0) as client:
        first.set_mode("down")
        assert client.fetch_series(KEY).domain == second.url
        first.set_mode("up")
        first.set_mode("challenge")
        client.book.forget()
        assert client.fetch_series(KEY).domain == second.url
        assert client.book.status(first.url).state is DomainState.BLOCKED
        second.clear_requests()
        first.clear_requests()
        client.fetch_series(KEY)
        assert first.requests == []  # blocked: not asked again while it cools down
        assert len(second.requests) == 1


def test_every_domain_blocked_is_site_blocked_not_a_series_error(
    fakes: dict[str, FakeBato],
) -> None:
    fakes["xcomic"].set_mode("challenge")
    with (
        SiteClient([fakes["xcomic"].url], timeout=2.0) as client,
        pytest.raises(SiteBlocked, match="browser"),
    ):
        client.fetch_series(KEY)


def test_no_domain_of_the_generation_is_said_without_a_request(
    fakes: dict[str, FakeBato],
) -> None:
    with SiteClient([fakes["xcomic"].url], timeout=2.0) as client:
        client.probe()
        fakes["xcomic"].clear_requests()
        with pytest.raises(NoLiveDomain, match="Bato /title/ ids") as info:
            client.fetch_series(SeriesKey.bato("110100"))
        assert "Settings > Domains" in str(info.value)
        assert fakes["xcomic"].requests == []


def test_everything_down_is_offline() -> None:
    with (
        SiteClient([closed_port_url(), closed_port_url()], timeout=2.0) as client,
        pytest.raises(Unreachable, match="offline"),
    ):
        client.fetch_series(KEY)


@pytest.mark.parametrize("how", ["null", "unknown_field"])
def test_a_retired_query_moves_checks_and_is_said_once(
    fakes: dict[str, FakeBato],
    how: str,
) -> None:
    first, second = fakes["xcomic"], fakes["xcomic2"]
    notices: list[DomainNotice] = []
    with SiteClient([first.url, second.url], timeout=2.0, on_notice=notices.append) as client:
        client.probe()
        first.break_field("get_comicNode", how)
        assert client.fetch_series(KEY).domain == second.url
        assert client.fetch_series(KEY).domain == second.url
        first.clear_requests()
        client.fetch_series(KEY)
        assert first.requests == []  # not asked while the finding holds
    [notice] = notices
    assert f"{first.url.partition('://')[2]} no longer answers" in notice.message
    assert f"checks moved to {second.url.partition('://')[2]}" in notice.message


def test_uniqlist_answering_null_falls_back_to_fulllist(fakes: dict[str, FakeBato]) -> None:
    fake = fakes["xcomic"]
    fake.break_field("get_comic_chapterList_uniqList", "null", status=200)
    with SiteClient([fake.url], timeout=2.0) as client:
        snapshot = client.fetch_series(KEY)
    assert [c.chapter_number for c in snapshot.chapters] == [1.0, 2.0]
    assert "fullList" in (fake.requests[-1].query or "")


def test_findings_are_kept_and_asked_again_after_a_cool_down(tmp_path: Path) -> None:
    now = [datetime(2026, 12, 1, tzinfo=UTC)]
    path = tmp_path / "domains.json"
    book = DomainBook(["xcomic.me", "https://comik.to/"], path=path, clock=lambda: now[0])
    book.record_down("https://xcomic.me", "ConnectError")
    book.record_live("https://comik.to", Generation.XCOMIC)
    assert book.candidates(Catalogue.XCOMIC) == [
        ("https://comik.to", Generation.XCOMIC),
        ("https://xcomic.me", Generation.XCOMIC),
    ]
    reread = DomainBook(["https://xcomic.me", "https://comik.to"], path=path, clock=lambda: now[0])
    assert reread.status("xcomic.me").state is DomainState.DOWN
    assert json.loads(path.read_text())["domains"][1]["generations"] == ["xcomic"]
    book.record_down("https://xcomic.me", "ConnectError")  # a second strike: 20 min
    retry = book.status("xcomic.me").retry_at
    assert retry == now[0] + timedelta(minutes=20)
    for _ in range(3):  # repeated failures on a live path make it probed again
        book.record_failure("https://comik.to")
    assert book.status("comik.to").path(Generation.XCOMIC) is PathState.UNKNOWN


def test_domains_are_written_as_people_write_them() -> None:
    assert normalize_domain("xcomic.me") == "https://xcomic.me"
    assert normalize_domain("HTTPS://Comik.To/query/") == "https://comik.to"
    assert normalize_domain("http://127.0.0.1:8765/") == "http://127.0.0.1:8765"
