"""Two engine processes and three notifying devices on one real MariaDB and the fake Bato.

Every due series is checked exactly once per cycle, every notification reaches every device
exactly once, and the lease of an engine killed mid-check is taken over after it expires.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bato_desktop.cli import main
from bato_desktop.db import Repository
from bato_desktop.devtools.fake_bato import FakeBato

pytestmark = [pytest.mark.mariadb, pytest.mark.slow]

DEVICE_SCRIPT = """
import json, sys
from bato_desktop.db import Repository, open_database
repo = Repository(open_database(sys.argv[1], password_lookup=lambda _i: None),
                  device_id=sys.argv[2])
shown = []
for _ in range(3):
    rows = repo.unemitted_notifications(limit=100)
    repo.mark_emitted([r.id for r in rows])
    shown += [r.id for r in rows]
print(json.dumps(shown))
"""


def engine_env(fake: FakeBato, tmp: Path, name: str, **extra: str) -> dict[str, str]:
    config = tmp / f"config-{name}"
    config.mkdir(exist_ok=True)
    (config / "settings.json").write_text(json.dumps({
        "min_delay": 0.3, "max_delay": 0.4, "retry_backoff_max": 0.05, "request_timeout": 1.0,
        "device_id": f"engine-{name}",
    }), encoding="utf-8")
    return {**os.environ, "BATO_API_URL": fake.url, "BATO_CONFIG_DIR": str(config), **extra}


def engine(url: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "bato_desktop", "--database", url, "run", "--once"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )


def fetched_ids(fake: FakeBato) -> Counter[str]:
    return Counter(str(r.variables.get("id")) for r in fake.requests if r.method == "POST")


def test_engines_split_work_and_devices_each_get_everything(
    mariadb_url: str, fake_bato: FakeBato, tmp_path: Path,
    open_repo: Callable[[str], Repository], monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [str(150100 + i) for i in range(12)]
    for bato_id in ids:
        fake_bato.add_series(bato_id, f"Shared {bato_id}", chapters=4)
    monkeypatch.setenv("BATO_API_URL", fake_bato.url)
    for bato_id in ids:
        assert main(["--database", mariadb_url, "add", bato_id]) == 0
    repo = open_repo(mariadb_url)
    for device in ("laptop", "desktop", "server"):  # devices join before the news arrives
        Repository(repo.database, device_id=device).register_device()
    for bato_id in ids:
        fake_bato.add_chapters(bato_id, 1)
    repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
    fake_bato.clear_requests()

    engines = [engine(mariadb_url, engine_env(fake_bato, tmp_path, n)) for n in ("a", "b")]
    outputs = [p.communicate(timeout=120)[0] for p in engines]
    assert [p.returncode for p in engines] == [0, 0], outputs
    assert fetched_ids(fake_bato) == Counter(dict.fromkeys(ids, 1))  # each exactly once
    checked = [int(out.split("Cycle done: ")[1].split("/")[0]) for out in outputs]
    assert sum(checked) == 12 and all(checked), outputs  # both engines did part of it
    logs = repo.recent_logs(hours=1, status="success")
    assert Counter(row.bato_link for row in logs if row.scrape_type == "scheduled").most_common(
        1)[0][1] == 1
    notes = [n for n in repo.list_notifications() if n.notification_type == "new_chapter"]
    assert len(notes) == 12

    devices = [
        subprocess.Popen([sys.executable, "-c", DEVICE_SCRIPT, mariadb_url, device],
                         stdout=subprocess.PIPE, text=True)
        for device in ("laptop", "desktop", "server")
    ]
    shown = [json.loads(p.communicate(timeout=60)[0]) for p in devices]
    for device_shown in shown:
        assert sorted(device_shown) == sorted(n.id for n in notes)  # all, each once
    assert repo.unemitted_notifications() == []  # is_emitted: shown somewhere


def test_killed_engine_lease_is_taken_over(
    mariadb_url: str, fake_bato: FakeBato, tmp_path: Path,
    open_repo: Callable[[str], Repository], monkeypatch: pytest.MonkeyPatch,
) -> None:
    fake_bato.add_series(160100, "Hung", chapters=3)
    monkeypatch.setenv("BATO_API_URL", fake_bato.url)
    assert main(["--database", mariadb_url, "add", "160100"]) == 0
    repo = open_repo(mariadb_url)
    fake_bato.add_chapters(160100, 1)
    repo.make_due(None, datetime.now(UTC) - timedelta(seconds=1))
    fake_bato.inject("timeout", delay=30)  # the engine hangs inside the check, lease held
    env = engine_env(fake_bato, tmp_path, "dying", BATO_LEASE_SECONDS="5")
    env_settings = json.loads((Path(env["BATO_CONFIG_DIR"]) / "settings.json").read_text())
    env_settings["request_timeout"] = 60
    (Path(env["BATO_CONFIG_DIR"]) / "settings.json").write_text(json.dumps(env_settings))
    fake_bato.clear_requests()  # the add above made requests too
    dying = engine(mariadb_url, env)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not fake_bato.requests:
        time.sleep(0.05)
    time.sleep(0.3)
    schedule = repo.m.schedule.get(repo.m.schedule.bato_link == "160100")
    assert schedule.lease_owner and schedule.lease_owner.startswith("engine-dying")
    dying.send_signal(signal.SIGKILL)
    dying.communicate(timeout=10)

    survivor_env = engine_env(fake_bato, tmp_path, "survivor")
    early = engine(mariadb_url, survivor_env)
    # the hung series is still leased by the dead engine: nobody checks it twice meanwhile
    assert "Cycle done: 0/1 checked" in early.communicate(timeout=60)[0]
    assert repo.list_notifications() == []  # nothing half-written by the killed engine
    time.sleep(5.5)  # the lease expires
    late = engine(mariadb_url, survivor_env)
    out = late.communicate(timeout=60)[0]
    assert "1/1 checked" in out, out
    assert [n.message for n in repo.list_notifications()] == ["New chapter available: Chapter 4"]
