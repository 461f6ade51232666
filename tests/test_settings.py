from __future__ import annotations

import json
from pathlib import Path

import pytest

from bato_desktop import settings as settings_mod
from bato_desktop.settings import Settings, SettingsError


def test_first_load_writes_defaults_and_keeps_device_id(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    first = settings_mod.load(path, environ={})
    assert path.exists()
    second = settings_mod.load(path, environ={})
    assert first.device_id == second.device_id
    assert (first.min_delay, first.max_delay, first.scrape_interval) == (4.0, 7.0, 300)
    assert first.request_timeout == 15.0


def test_old_environment_names_override_the_file(tmp_path: Path) -> None:
    env = {
        "BATO_MIN_DELAY": "1.5", "BATO_MAX_DELAY": "2", "BATO_SCRAPE_INTERVAL": "600",
        "BATO_RETRY_MAX_ATTEMPTS": "5", "BATO_RETRY_BACKOFF_FACTOR": "3",
        "BATO_RATE_LIMIT_DELAY": "60", "LOG_LEVEL": "debug",
        "DATABASE_URI": "mysql://root@127.0.0.1:3306/test",
        "BATO_API_URL": "http://127.0.0.1:8765/apo/",
    }
    loaded = settings_mod.load(tmp_path / "s.json", environ=env)
    assert loaded.min_delay == 1.5 and loaded.max_delay == 2.0
    assert loaded.scrape_interval == 600 and loaded.retry_max_attempts == 5
    assert loaded.retry_backoff_factor == 3.0 and loaded.rate_limit_delay == 60.0
    assert loaded.log_level == "DEBUG"
    assert loaded.database_url == "mysql://root@127.0.0.1:3306/test"
    assert loaded.hosts == ("http://127.0.0.1:8765",)
    assert loaded.api_url == "http://127.0.0.1:8765/apo/"


def test_new_database_variable_wins_over_the_old_one(tmp_path: Path) -> None:
    env = {"DATABASE_URI": "mysql://a@h:1/x", "BATO_DATABASE_URL": "sqlite:///y.db"}
    assert settings_mod.load(tmp_path / "s.json", environ=env).database_url == "sqlite:///y.db"


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BATO_MIN_DELAY": "8"}, "max_delay"),
        ({"BATO_MIN_DELAY": "-1"}, "min_delay"),
        ({"BATO_SCRAPE_INTERVAL": "soon"}, "scrape_interval"),
        ({"BATO_RETRY_MAX_ATTEMPTS": "2.5"}, "retry_max_attempts"),
        ({"LOG_LEVEL": "LOUD"}, "log_level"),
        ({"DATABASE_URI": "mysql://root:secret@h:3306/db"}, "database_url"),
        ({"DATABASE_URI": "postgres://h/db"}, "database_url"),
    ],
)
def test_invalid_values_name_the_setting(tmp_path: Path, env: dict[str, str], named: str) -> None:
    with pytest.raises(SettingsError, match=named):
        settings_mod.load(tmp_path / "s.json", environ=env)


def test_broken_file_says_where_and_what(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{ not json")
    with pytest.raises(SettingsError, match=r"settings.json is not valid JSON"):
        settings_mod.load(path, environ={})
    path.write_text(json.dumps({"min_delay": "abc"}))
    with pytest.raises(SettingsError, match=r"min_delay in settings file .*'abc'"):
        settings_mod.load(path, environ={})
    path.write_text(json.dumps({"colour": "blue"}))
    with pytest.raises(SettingsError, match="unknown setting"):
        settings_mod.load(path, environ={})
    assert path.read_text() == json.dumps({"colour": "blue"}), "a broken file is never rewritten"


def test_unreadable_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(SettingsError, match="cannot read settings file"):
        settings_mod.load(path, environ={})


def test_save_refuses_invalid_and_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    good = Settings(min_delay=1, max_delay=3, hosts=("https://bato.to", "https://batotwo.com"))
    settings_mod.save(good, path)
    assert settings_mod.load(path, environ={}) == good
    with pytest.raises(SettingsError, match="max_delay"):
        settings_mod.save(Settings(min_delay=5, max_delay=1), path)
    assert settings_mod.load(path, environ={}) == good, "a refused save leaves the file alone"


def test_hosts_must_be_urls() -> None:
    with pytest.raises(SettingsError, match="hosts"):
        Settings(hosts=("bato dot to",)).validate()
    with pytest.raises(SettingsError, match="hosts"):
        Settings(hosts=()).validate()


def test_file_without_device_id_gets_one_persisted_and_keeps_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "config" / "settings.json"
    hand_written = {"poll_interval": 30, "mode": "notify-only", "hosts": ["https://bato.to"]}
    path.write_text(json.dumps(hand_written), encoding="utf-8")
    path.chmod(0o640)
    first = settings_mod.load(path, environ={})
    second = settings_mod.load(path, environ={})
    assert first.device_id == second.device_id, "the id must survive a restart"
    stored = json.loads(path.read_text(encoding="utf-8"))
    assert stored == {**hand_written, "device_id": first.device_id}  # nothing else added
    assert list(stored) == [*hand_written, "device_id"]  # the user's order is kept
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]  # no temp file left


def test_read_only_config_still_loads_without_device_id(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "config" / "settings.json"
    path.write_text(json.dumps({"poll_interval": 30}), encoding="utf-8")

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise PermissionError("read-only file system")

    monkeypatch.setattr(settings_mod.os, "replace", refuse)
    loaded = settings_mod.load(path, environ={})
    assert loaded.poll_interval == 30 and loaded.device_id
    assert json.loads(path.read_text(encoding="utf-8")) == {"poll_interval": 30}
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]
