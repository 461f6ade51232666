"""The one typed settings object, validated on load and on save.

Settings come from ``settings.json`` in the platform config dir, then the old system's
environment variables override them (``BATO_MIN_DELAY`` ...), so a deployment of the old scraper
keeps its configuration. A broken file stops start-up with a message naming the file and the
setting; nothing is silently replaced by defaults.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import socket
import stat
import tempfile
import uuid
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from bato_desktop import paths

#: XCOMIC's domains first (the generation live since August 2026), then V4's and v3x's, which
#: answer nothing today but are where a relaunch would most likely appear again.
DEFAULT_HOSTS = (
    "https://xcomic.me", "https://xcomic.net", "https://comik.to", "https://yona.to",
    "https://bato.si", "https://bato.ing", "https://xbat.app",
    "https://bato.to", "https://batotwo.com",
)
#: The list every settings file written before 2026-12 holds: it is replaced by the new
#: default on load, because none of its domains has answered since January 2026.
OLD_DEFAULT_HOSTS = ("https://batotwo.com", "https://bato.to")
API_PATH_SUFFIXES = ("/apo", "/ap2", "/query")
DEFAULT_USER_AGENT = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0 Safari/537.36"
)
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
MODES = ("engine+notify", "notify-only")
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


DATABASE_SCHEMES = ("sqlite:///", "mysql://", "mariadb://", "mysql+pymysql://",
                    "mariadb+pymysql://")


def split_password(url: str) -> tuple[str, str | None]:
    """(the URL without its password, the password or None), by real URL parsing.

    ``mysql://127.0.0.1:3306/db`` has no password: the colon there is the port's.
    """
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:  # e.g. a bad port: no password can be told apart, nothing to strip
        return url, None
    if password is None:
        return url, None
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0]
    return parts._replace(netloc=f"{user}@{hostport}" if user else hostport).geturl(), \
        unquote(password)


class SettingsError(ValueError):
    """A setting has an invalid value; the message names the setting and where it came from."""


@dataclass(frozen=True)
class Settings:
    database_url: str = ""  # empty: SQLite file under the platform data dir
    min_delay: float = 4.0
    max_delay: float = 7.0
    scrape_interval: int = 300
    retry_max_attempts: int = 3
    retry_backoff_factor: float = 2.0
    retry_backoff_max: float = 60.0
    rate_limit_delay: float = 300.0  # pause on 429 when Retry-After is absent
    request_timeout: float = 15.0
    lease_seconds: float = 600.0  # how long an engine's claim on a series outlives a crash
    feed_interval: int = 0  # seconds between site-feed polls; 0 = from the budget; -1 = off
    hosts: tuple[str, ...] = DEFAULT_HOSTS  # the ordered domains (any generation)
    languages: tuple[str, ...] = ("en",)  # the editions to follow, in order of preference
    user_agent: str = DEFAULT_USER_AGENT
    poll_interval: int = 60
    log_level: str = "INFO"
    notifications_enabled: bool = True
    summary_threshold: int = 5  # more toasts than this in one poll become one summary
    private_toasts: bool = False  # toasts name no series or chapter ("3 new chapters")
    quiet_hours_enabled: bool = False
    quiet_start: str = "22:00"
    quiet_end: str = "07:00"
    start_at_login: bool = False
    mode: str = "engine+notify"
    device_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    device_name: str = field(default_factory=socket.gethostname)

    @property
    def effective_database_url(self) -> str:
        return self.database_url or paths.default_database_url()

    @property
    def api_url(self) -> str:
        return self.hosts[0].rstrip("/") + "/apo/"

    def validate(self) -> Settings:
        """Raise SettingsError for the first invalid value; return self when all are valid."""
        _check(self.min_delay >= 0, "min_delay", "must be 0 or more")
        _check(self.max_delay >= self.min_delay, "max_delay",
               f"must be at least min_delay ({self.min_delay})")
        _check(self.max_delay <= 600, "max_delay", "must be at most 600 seconds")
        _check(30 <= self.scrape_interval <= 86400, "scrape_interval",
               "must be between 30 and 86400 seconds")
        _check(1 <= self.retry_max_attempts <= 10, "retry_max_attempts", "must be between 1 and 10")
        _check(1 <= self.retry_backoff_factor <= 10, "retry_backoff_factor",
               "must be between 1 and 10")
        _check(0 < self.retry_backoff_max <= 3600, "retry_backoff_max",
               "must be between 0 and 3600 seconds")
        _check(0 < self.rate_limit_delay <= 86400, "rate_limit_delay",
               "must be between 0 and 86400 seconds")
        _check(0 < self.request_timeout <= 300, "request_timeout", "must be between 0 and 300 s")
        _check(5 <= self.lease_seconds <= 3600, "lease_seconds", "must be between 5 and 3600 s")
        _check(self.feed_interval in (0, -1) or 1 <= self.feed_interval <= 86400,
               "feed_interval", "must be 0 (chosen from the request budget), -1 (off) or "
               "1 to 86400 seconds")
        _check(len(self.hosts) > 0, "hosts", "needs at least one host")
        for host in self.hosts:
            _check(bool(re.match(r"^https?://[A-Za-z0-9.\-]+(:\d+)?/?$", host)), "hosts",
                   f"{host!r} is not a domain URL like https://xcomic.me")
        _check(len(set(self.hosts)) == len(self.hosts), "hosts", "lists a domain twice")
        _check(0 < len(self.languages) <= 10, "languages", "needs 1 to 10 language codes")
        for language in self.languages:
            _check(bool(re.match(r"^[a-z]{2,3}(_[a-z]{2,4})?$", language)), "languages",
                   f"{language!r} is not a language code like en, es or pt_br")
        _check(bool(self.user_agent.strip()), "user_agent", "must not be empty")
        _check(5 <= self.poll_interval <= 3600, "poll_interval", "must be between 5 and 3600 s")
        _check(self.log_level in LOG_LEVELS, "log_level", f"must be one of {', '.join(LOG_LEVELS)}")
        _check(1 <= self.summary_threshold <= 100, "summary_threshold", "must be between 1 and 100")
        _check(isinstance(self.private_toasts, bool), "private_toasts", "must be true or false")
        _check(bool(_HHMM.match(self.quiet_start)), "quiet_start", "must be HH:MM (24 h)")
        _check(bool(_HHMM.match(self.quiet_end)), "quiet_end", "must be HH:MM (24 h)")
        _check(self.mode in MODES, "mode", f"must be one of {', '.join(MODES)}")
        _check(bool(self.device_id.strip()), "device_id", "must not be empty")
        if self.database_url:
            _check(self.database_url.startswith(DATABASE_SCHEMES), "database_url",
                   "must start with sqlite:/// or mysql:// (or mysql+pymysql://)")
            _check(self.database_url.startswith("sqlite")
                   or split_password(self.database_url)[1] is None, "database_url",
                   "must not contain a password: it is kept in the OS keyring")
        return self

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["hosts"] = list(self.hosts)
        data["languages"] = list(self.languages)
        return data


def _check(ok: bool, name: str, problem: str) -> None:
    if not ok:
        raise SettingsError(f"{name} {problem}")


# Old environment names first, then ours; later entries win.
ENV_OVERRIDES: dict[str, str] = {
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


def _coerce(name: str, raw: Any, source: str) -> Any:
    """Turn a JSON or environment value into the field's type, or say why it cannot be."""
    kinds = {f.name: f.type for f in fields(Settings)}
    kind = kinds[name]
    try:
        if kind == "float":
            if isinstance(raw, bool):
                raise ValueError
            return float(raw)
        if kind == "int":
            if isinstance(raw, bool) or (isinstance(raw, float) and not raw.is_integer()):
                raise ValueError
            return int(str(raw).strip()) if isinstance(raw, str) else int(raw)
        if kind == "bool":
            if isinstance(raw, bool):
                return raw
            if isinstance(raw, str) and raw.strip().lower() in {"1", "true", "yes", "on"}:
                return True
            if isinstance(raw, str) and raw.strip().lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError
        if kind == "tuple[str, ...]":
            items = raw.split(",") if isinstance(raw, str) else raw
            if not isinstance(items, list | tuple) or not all(isinstance(i, str) for i in items):
                raise ValueError
            return tuple(i.strip() for i in items if i.strip())
        if not isinstance(raw, str):
            raise ValueError
        return raw.strip().upper() if name == "log_level" else raw.strip()
    except (TypeError, ValueError):
        raise SettingsError(f"{name} in {source}: {raw!r} is not a valid {kind}") from None


def from_mapping(data: dict[str, Any], source: str, base: Settings | None = None) -> Settings:
    known = {f.name for f in fields(Settings)}
    unknown = sorted(set(data) - known)
    if unknown:
        raise SettingsError(f"{source}: unknown setting(s) {', '.join(unknown)}")
    values = {name: _coerce(name, raw, source) for name, raw in data.items()}
    settings = replace(base or Settings(), **values)
    try:
        return settings.validate()
    except SettingsError as exc:
        raise SettingsError(f"{source}: {exc}") from None


def load(path: Path | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Load the settings file (missing file: defaults, then saved), then apply the environment.

    The device id is persisted the first time it is generated (a new install, or a file
    without one), so the device keeps it across starts.
    """
    path = path or paths.settings_file()
    environ = dict(os.environ) if environ is None else environ
    if _file_exists(path):
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"cannot read settings file {path}: {exc}") from None
        except json.JSONDecodeError as exc:
            raise SettingsError(f"settings file {path} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise SettingsError(f"settings file {path} must hold a JSON object")
        if tuple(data.get("hosts") or ()) == OLD_DEFAULT_HOSTS:
            data = {**data, "hosts": list(DEFAULT_HOSTS)}  # dead since January 2026
        settings = from_mapping(data, f"settings file {path}")
        if "device_id" not in data:  # an older install or a hand-written server config
            _persist_device_id(path, data, settings.device_id)
    else:
        settings = Settings()
        with contextlib.suppress(OSError):  # a read-only config dir must not stop a headless run
            save(settings, path)
    env_values = {ENV_OVERRIDES[k]: v for k, v in environ.items() if k in ENV_OVERRIDES and v}
    if environ.get("BATO_DATABASE_URL"):
        env_values["database_url"] = environ["BATO_DATABASE_URL"]
    if environ.get("BATO_API_URL"):
        host = environ["BATO_API_URL"].rstrip("/")
        for suffix in API_PATH_SUFFIXES:  # the one domain to use, whatever it serves
            host = host.removesuffix(suffix)
        env_values["hosts"] = host
    env_password: str | None = None
    if "database_url" in env_values:  # the old DATABASE_URI often carries its password
        env_values["database_url"], env_password = split_password(
            env_values["database_url"].strip())
    if env_values:
        settings = from_mapping(env_values, "environment", base=settings)
    if env_password is not None:
        _remember_password(settings.database_url, env_password)
    return settings


def _file_exists(path: Path) -> bool:
    """Whether the settings file is there; a folder that cannot be searched is a clear error."""
    try:
        return path.exists()
    except OSError as exc:
        raise SettingsError(f"cannot read settings file {path}: {exc}") from None


def _remember_password(database_url: str, password: str) -> None:
    """Keep an environment URL's password in this process's memory only (never a file)."""
    from bato_desktop.db.connection import remember_password

    try:
        remember_password(database_url, password)
    except ValueError as exc:  # the message names the password-free URL only
        raise SettingsError(f"environment: database_url: {exc}") from None


def _persist_device_id(path: Path, data: dict[str, Any], device_id: str) -> None:
    """Write a generated device id back into the user's file, every other key untouched.

    Without this a file lacking ``device_id`` gets a new id at every start, and the device
    replays or misses notifications on a shared database. The write is atomic and keeps the
    file's keys, order and permissions; a read-only config only costs the stability.
    """
    with contextlib.suppress(OSError):
        target = path.resolve()  # a symlinked settings file stays a symlink
        mode = stat.S_IMODE(target.stat().st_mode)
        text = json.dumps({**data, "device_id": device_id}, indent=2, ensure_ascii=False)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".settings-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                handle.write(text + "\n")
            os.chmod(tmp, mode)
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise


def save(settings: Settings, path: Path | None = None) -> None:
    """Validate, then write atomically so a crash never leaves half a file."""
    settings.validate()
    path = path or paths.settings_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(settings.to_json(), indent=2, sort_keys=True), encoding="utf-8")
    os.replace(tmp, path)
