"""The fake server's demo mode: chapters (and now and then a status change) keep arriving, so a
person trying the app sees notifications. Waits are liveness bounds, never timed assertions."""

from __future__ import annotations

import queue
import random
import re
import subprocess
import sys
import threading

from bato_desktop.devtools.fake_bato import DemoReleases, FakeBato
from bato_desktop.engine.client import BatoClient

LIVENESS = 60.0


def test_releases_add_chapters_and_sometimes_change_a_status() -> None:
    fake = FakeBato()
    fake.add_series("1", "Alpha", chapters=2)
    fake.add_series("2", "Beta", chapters=2)
    demo = DemoReleases(fake, 60, status_every=3, rng=random.Random(4))
    happened = [demo.release_once() for _ in range(6)]
    assert sum(": new Chapter " in h for h in happened) == 4
    assert sum(": status " in h for h in happened) == 2
    assert sum(len(s.chapters) for s in fake.series.values()) == 4 + 4
    assert happened[2].endswith("status ongoing -> completed") or happened[2].endswith(
        "status completed -> ongoing"
    )


def test_releases_run_on_their_own_every_interval() -> None:
    fake = FakeBato()
    fake.add_series("1", "Alpha", chapters=1)
    three = threading.Event()
    demo = DemoReleases(
        fake,
        0.01,
        status_every=1000,
        on_release=lambda _what: three.set() if len(demo.released) >= 3 else None,
    )
    demo.start()
    try:
        assert three.wait(LIVENESS), "no releases arrived"
    finally:
        demo.stop()
    count = len(fake.series["1"].chapters)
    assert count == 1 + len(demo.released) >= 4
    assert [c.dname for c in fake.series["1"].chapters][:4] == [
        "Chapter 1",
        "Chapter 2",
        "Chapter 3",
        "Chapter 4",
    ]


def test_standalone_server_releases_what_clients_then_see() -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bato_desktop.devtools.fake_bato",
            "--port",
            "0",
            "--series",
            "3",
            "--release-every",
            "0.05",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None

    def pump() -> None:
        for line in proc.stdout or []:
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        seen: list[str] = []
        while not any(line.startswith("released: ") and ": new " in line for line in seen):
            seen.append(lines.get(timeout=LIVENESS))
        url = re.search(r"serving \d+ series at (\S+)", "".join(seen))
        assert url is not None, seen
        release = next(line for line in seen if line.startswith("released: ") and ": new " in line)
        name, chapter = re.fullmatch(r"released: (.+): new (.+)\n", release).groups()  # type: ignore[union-attr]
        bato_id = next(
            re.search(r"/title/(\d+)", line).group(1)  # type: ignore[union-attr]
            for line in seen
            if line.rstrip().endswith(")") and f" {name} (" in line
        )
        with BatoClient([url.group(1)], timeout=5.0) as client:
            assert chapter in [c.dname for c in client.fetch_series(bato_id).chapters]
    finally:
        proc.terminate()
        proc.wait(timeout=LIVENESS)
        if proc.stdout is not None:
            proc.stdout.close()


def test_a_negative_interval_is_refused() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bato_desktop.devtools.fake_bato", "--release-every", "-1"],
        capture_output=True,
        text=True,
        timeout=LIVENESS,
    )
    assert done.returncode == 2 and "--release-every must be 0" in done.stderr
