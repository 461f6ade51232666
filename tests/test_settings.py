from __future__ import annotations

import json
import os
import re
import runpy
from collections.abc import Iterator
from dataclasses import fields, replace
from pathlib import Path
from typing import Any

import pytest

from bato_desktop import settings as settings_mod
from bato_desktop.db import connection
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
        "BATO_MIN_DELAY": "1.5",
        "BATO_MAX_DELAY": "2",
        "BATO_SCRAPE_INTERVAL": "600",
        "BATO_RETRY_MAX_ATTEMPTS": "5",
        "BATO_RETRY_BACKOFF_FACTOR": "3",
        "BATO_RATE_LIMIT_DELAY": "60",
        "LOG_LEVEL": "debug",
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

    monkeypatch.setattr(os, "replace", refuse)
    loaded = settings_mod.load(path, environ={})
    assert loaded.poll_interval == 30 and loaded.device_id
    assert json.loads(path.read_text(encoding="utf-8")) == {"poll_interval": 30}
    assert [p.name for p in path.parent.iterdir()] == ["settings.json"]


@pytest.fixture
def no_remembered_passwords() -> Iterator[None]:
    """Passwords from an environment URL live in process memory: none leak between tests."""
    connection.forget_passwords()
    yield
    connection.forget_passwords()


def test_old_database_uri_with_password_stays_in_memory(
    tmp_path: Path,
    no_remembered_passwords: None,
) -> None:
    path = tmp_path / "settings.json"
    env = {"DATABASE_URI": "mysql+pymysql://root:s3cr%40t@127.0.0.1:3306/test"}
    loaded = settings_mod.load(path, environ=env)
    assert loaded.database_url == "mysql+pymysql://root@127.0.0.1:3306/test"
    for text in (repr(loaded), str(loaded), json.dumps(loaded.to_json())):
        assert "s3cr" not in text
    settings_mod.save(loaded, path)
    assert "s3cr" not in path.read_text(encoding="utf-8")
    info = connection.parse_url(loaded.database_url)
    assert (info.scheme, info.user, info.database) == ("mysql", "root", "test")
    assert connection.process_password(info) == "s3cr@t"
    assert connection._keyring_password(info) == "s3cr@t"  # what open_database asks by default


def test_a_password_in_the_settings_file_is_still_refused(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"database_url": "mysql+pymysql://root:pw@h:3306/db"}))
    with pytest.raises(SettingsError, match="must not contain a password") as info:
        settings_mod.load(path, environ={})
    assert ":pw@" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "mysql+pymysql://root:topsecret@127.0.0.1:3306/",  # names no database
        "mysql://root:topsecret@127.0.0.1:99999/db",  # bad port
        "postgres://root:topsecret@h/db",
    ],  # unsupported
)
def test_bad_environment_urls_never_show_their_password(
    tmp_path: Path,
    url: str,
    no_remembered_passwords: None,
) -> None:
    with pytest.raises(SettingsError, match="database_url") as info:
        settings_mod.load(tmp_path / "s.json", environ={"DATABASE_URI": url})
    assert "topsecret" not in str(info.value)


@pytest.mark.parametrize(
    "url",
    [
        "mysql://127.0.0.1:3306/db",
        "mysql://root@127.0.0.1:3306/db",
        "mysql+pymysql://h/db",
        "mariadb+pymysql://u@h:3307/db",
        "sqlite:///C:/data/bato.db",
    ],
)
def test_urls_without_a_password_are_accepted(url: str) -> None:
    assert Settings(database_url=url).validate().database_url == url


def test_password_detection_parses_the_url() -> None:
    assert settings_mod.split_password("mysql://127.0.0.1:3306/db") == (
        "mysql://127.0.0.1:3306/db",
        None,
    )
    assert settings_mod.split_password("mysql://a%3Ab:p%3Aw@h:1/d") == (
        "mysql://a%3Ab@h:1/d",
        "p:w",
    )


ROOT = Path(__file__).resolve().parents[1]


def test_readme_settings_table_is_the_generated_one() -> None:
    script = runpy.run_path(str(ROOT / "scripts" / "settings_table.py"))
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert script["readme_table"](readme) == script["table"](), (
        "README's settings table is stale: run .venv/bin/python scripts/settings_table.py --write"
    )


def test_every_setting_declares_its_spec_once() -> None:
    assert list(settings_mod.SPECS) == [f.name for f in fields(Settings)]
    for spec in settings_mod.SPECS.values():
        assert spec.help.strip(), spec.name
        if spec.minimum is not None:
            assert spec.kind in ("int", "float") and spec.maximum is not None, spec.name
    assert settings_mod.ENV_OVERRIDES == {
        "DATABASE_URI": "database_url",
        "BATO_DATABASE_URL": "database_url",
        "BATO_MIN_DELAY": "min_delay",
        "BATO_MAX_DELAY": "max_delay",
        "BATO_SCRAPE_INTERVAL": "scrape_interval",
        "BATO_RETRY_MAX_ATTEMPTS": "retry_max_attempts",
        "BATO_RETRY_BACKOFF_FACTOR": "retry_backoff_factor",
        "BATO_RATE_LIMIT_DELAY": "rate_limit_delay",
        "BATO_LEASE_SECONDS": "lease_seconds",
        "BATO_POLL_INTERVAL": "poll_interval",
        "BATO_FEED_INTERVAL": "feed_interval",
        "LOG_LEVEL": "log_level",
    }


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"min_delay": -1}, "min_delay must be between 0 and 600 seconds"),
        ({"max_delay": 601}, "max_delay must be between 0 and 600 seconds"),
        ({"min_delay": 5, "max_delay": 4}, "max_delay must be at least min_delay (5)"),
        ({"scrape_interval": 29}, "scrape_interval must be between 30 and 86400 seconds"),
        ({"retry_max_attempts": 11}, "retry_max_attempts must be between 1 and 10"),
        ({"retry_backoff_factor": 0.5}, "retry_backoff_factor must be between 1 and 10"),
        ({"retry_backoff_max": 0}, "retry_backoff_max must be more than 0 and at most 3600"),
        ({"rate_limit_delay": 0}, "rate_limit_delay must be more than 0 and at most 86400"),
        ({"request_timeout": 301}, "request_timeout must be more than 0 and at most 300"),
        ({"lease_seconds": 4}, "lease_seconds must be between 5 and 3600 seconds"),
        (
            {"feed_interval": -2},
            "feed_interval must be 0 (chosen from the request budget), "
            "-1 (off) or 1 to 86400 seconds",
        ),
        ({"poll_interval": 4}, "poll_interval must be between 5 and 3600 seconds"),
        ({"summary_threshold": 0}, "summary_threshold must be between 1 and 100"),
        ({"log_level": "LOUD"}, "log_level must be one of DEBUG, INFO, WARNING, ERROR"),
        ({"mode": "both"}, "mode must be one of engine+notify, notify-only"),
    ],
)
def test_declared_bounds_are_what_validate_refuses(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(SettingsError, match=re.escape(message)):
        replace(Settings(), **changes).validate()


def test_bounds_themselves_are_accepted() -> None:
    for spec in settings_mod.SPECS.values():
        if spec.minimum is None or spec.maximum is None:
            continue
        partner = {"min_delay": {"max_delay": 600.0}, "max_delay": {"min_delay": 0.0}}
        for value in (*spec.window_range(), *(special for special, _ in spec.special)):
            values: dict[str, Any] = {spec.name: value, **partner.get(spec.name, {})}
            replace(Settings(), **values).validate()


def test_mode_values_are_the_json_strings() -> None:
    assert settings_mod.MODES == ("engine+notify", "notify-only")
    assert Settings().to_json()["mode"] == "engine+notify"
