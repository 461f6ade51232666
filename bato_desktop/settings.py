"""The one typed settings object, validated on load and on save.

Settings come from ``settings.json`` in the platform config dir, then the old system's
environment variables override them (``BATO_MIN_DELAY`` ...), so a deployment of the old scraper
keeps its configuration. A broken file stops start-up with a message naming the file and the
setting; nothing is silently replaced by defaults.

Each field declares its :class:`SettingSpec` once (bounds, unit, help, environment names):
``validate()``, the settings window's spin boxes and tooltips, and the README's table
(``scripts/settings_table.py``) are all derived from it.
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
from typing import Any, Literal, get_args
from urllib.parse import unquote, urlsplit

from bato_desktop import paths

#: XCOMIC's domains first (the generation live since August 2026), then V4's and v3x's, which
#: answer nothing today but are where a relaunch would most likely appear again.
DEFAULT_HOSTS = (
    "https://xcomic.me",
    "https://xcomic.net",
    "https://comik.to",
    "https://yona.to",
    "https://bato.si",
    "https://bato.ing",
    "https://xbat.app",
    "https://bato.to",
    "https://batotwo.com",
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
#: What this device does: check series and notify, or only show what another device found.
SettingsMode = Literal["engine+notify", "notify-only"]
MODES: tuple[SettingsMode, ...] = get_args(SettingsMode)
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


DATABASE_SCHEMES = (
    "sqlite:///",
    "mysql://",
    "mariadb://",
    "mysql+pymysql://",
    "mariadb+pymysql://",
)


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
    return parts._replace(netloc=f"{user}@{hostport}" if user else hostport).geturl(), unquote(
        password
    )


class SettingsError(ValueError):
    """A setting has an invalid value; the message names the setting and where it came from."""


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


@dataclass(frozen=True)
class SettingSpec:
    """One setting's rules and words, declared once as its field's metadata."""

    help: str
    minimum: float | None = None
    maximum: float | None = None
    above_minimum: bool = False  # the minimum itself is refused ("more than 0")
    unit: str = ""  # "s" (seconds) or "×"; the window's suffix, the README's and messages' unit
    decimals: int = 1  # a float setting's precision in the window
    special: tuple[tuple[int, str], ...] = ()  # values outside the range, with their meaning
    choices: tuple[str, ...] = ()
    env: tuple[str, ...] = ()  # environment variables that override it (old names first)
    default_text: str = ""  # the README's default when the value itself is not shown
    name: str = ""  # filled in from the field
    kind: str = ""  # "int", "float", "bool", "tuple[str, ...]" or "str", from the field

    def range_text(self) -> str:
        """The accepted values in words: "between 1 and 10", "0 or more", "one of A, B"."""
        if self.choices:
            return f"one of {', '.join(self.choices)}"
        if self.minimum is None or self.maximum is None:
            return "" if self.minimum is None else f"{_number(self.minimum)} or more"
        unit = " seconds" if self.unit == "s" else ""
        lo, hi = _number(self.minimum), _number(self.maximum)
        if self.special:
            named = ", ".join(f"{value} ({meaning})" for value, meaning in self.special)
            return f"{named} or {lo} to {hi}{unit}"
        if self.above_minimum:
            return f"more than {lo} and at most {hi}{unit}"
        return f"between {lo} and {hi}{unit}"

    def problem(self, value: Any) -> str | None:
        """Why ``value`` is refused ("must be between 1 and 10"), or None."""
        if self.choices:
            return None if value in self.choices else f"must be {self.range_text()}"
        if self.minimum is None:
            return None
        if any(value == special for special, _meaning in self.special):
            return None
        low_ok = value > self.minimum if self.above_minimum else value >= self.minimum
        high_ok = self.maximum is None or value <= self.maximum
        return None if low_ok and high_ok else f"must be {self.range_text()}"

    def window_range(self) -> tuple[float, float]:
        """The spin box's range: the accepted range at the box's precision."""
        assert self.minimum is not None and self.maximum is not None, self.name
        step = 1 if self.kind == "int" else 10.0**-self.decimals
        low = self.minimum + step if self.above_minimum else self.minimum
        return low, self.maximum

    @property
    def suffix(self) -> str:
        return f" {self.unit}" if self.unit == "s" else self.unit

    def meta(self) -> dict[str, SettingSpec]:
        """The field's metadata: ``field(default=..., metadata=SettingSpec(...).meta())``."""
        return {"spec": self}


_SECONDS = "s"


@dataclass(frozen=True)
class Settings:
    """Every setting, each declared once: its default, then its :class:`SettingSpec`."""

    database_url: str = field(
        default="",
        metadata=SettingSpec(
            "The database: empty for the SQLite file under the data folder, else "
            "`sqlite:///PATH` or `mysql://USER@HOST:PORT/DB` (a password goes to the OS keyring).",
            env=("DATABASE_URI", "BATO_DATABASE_URL"),
            default_text="empty (SQLite file)",
        ).meta(),
    )
    min_delay: float = field(
        default=4.0,
        metadata=SettingSpec(
            "Shortest pause between two series' checks.",
            minimum=0,
            maximum=600,
            unit=_SECONDS,
            env=("BATO_MIN_DELAY",),
        ).meta(),
    )
    max_delay: float = field(
        default=7.0,
        metadata=SettingSpec(
            "Longest pause between two series' checks (at least `min_delay`).",
            minimum=0,
            maximum=600,
            unit=_SECONDS,
            env=("BATO_MAX_DELAY",),
        ).meta(),
    )
    scrape_interval: int = field(
        default=300,
        metadata=SettingSpec(
            "How often the engine looks for series that are due.",
            minimum=30,
            maximum=86400,
            unit=_SECONDS,
            env=("BATO_SCRAPE_INTERVAL",),
        ).meta(),
    )
    retry_max_attempts: int = field(
        default=3,
        metadata=SettingSpec(
            "Attempts per series check before it counts as failed.",
            minimum=1,
            maximum=10,
            env=("BATO_RETRY_MAX_ATTEMPTS",),
        ).meta(),
    )
    retry_backoff_factor: float = field(
        default=2.0,
        metadata=SettingSpec(
            "Each retry waits this many times longer than the one before.",
            minimum=1,
            maximum=10,
            unit="×",
            env=("BATO_RETRY_BACKOFF_FACTOR",),
        ).meta(),
    )
    retry_backoff_max: float = field(
        default=60.0,
        metadata=SettingSpec(
            "The longest wait between two attempts.",
            minimum=0,
            above_minimum=True,
            maximum=3600,
            unit=_SECONDS,
        ).meta(),
    )
    rate_limit_delay: float = field(
        default=300.0,
        metadata=SettingSpec(
            "The pause after an HTTP 429 that carries no Retry-After.",
            minimum=0,
            above_minimum=True,
            maximum=86400,
            unit=_SECONDS,
            decimals=0,
            env=("BATO_RATE_LIMIT_DELAY",),
        ).meta(),
    )
    request_timeout: float = field(
        default=15.0,
        metadata=SettingSpec(
            "How long one request may take.",
            minimum=0,
            above_minimum=True,
            maximum=300,
            unit=_SECONDS,
        ).meta(),
    )
    lease_seconds: float = field(
        default=600.0,
        metadata=SettingSpec(
            "How long an engine's claim on a series outlives a crash (engines sharing a database).",
            minimum=5,
            maximum=3600,
            unit=_SECONDS,
            env=("BATO_LEASE_SECONDS",),
        ).meta(),
    )
    feed_interval: int = field(
        default=0,
        metadata=SettingSpec(
            "Seconds between two reads of the site's newest-uploads feed.",
            minimum=1,
            maximum=86400,
            unit=_SECONDS,
            special=((0, "chosen from the request budget"), (-1, "off")),
            env=("BATO_FEED_INTERVAL",),
        ).meta(),
    )
    hosts: tuple[str, ...] = field(
        default=DEFAULT_HOSTS,
        metadata=SettingSpec(
            "The domains to try, in order, of any generation (`BATO_API_URL` sets one).",
            default_text="xcomic.me, xcomic.net, comik.to, ... (9 domains)",
        ).meta(),
    )
    languages: tuple[str, ...] = field(
        default=("en",),
        metadata=SettingSpec(
            "The editions to follow, in order of preference (1 to 10 codes like en, es, pt_br)."
        ).meta(),
    )
    user_agent: str = field(
        default=DEFAULT_USER_AGENT,
        metadata=SettingSpec(
            "The User-Agent header of every request.", default_text="a desktop Chrome"
        ).meta(),
    )
    poll_interval: int = field(
        default=60,
        metadata=SettingSpec(
            "How often the app looks for new notifications in the database.",
            minimum=5,
            maximum=3600,
            unit=_SECONDS,
            env=("BATO_POLL_INTERVAL",),
        ).meta(),
    )
    log_level: str = field(
        default="INFO",
        metadata=SettingSpec("The logs' level.", choices=LOG_LEVELS, env=("LOG_LEVEL",)).meta(),
    )
    notifications_enabled: bool = field(
        default=True, metadata=SettingSpec("Show desktop notifications.").meta()
    )
    summary_threshold: int = field(
        default=5,
        metadata=SettingSpec(
            "More notifications than this from one poll become one summary.", minimum=1, maximum=100
        ).meta(),
    )
    private_toasts: bool = field(
        default=False,
        metadata=SettingSpec('Notifications name no series or chapter ("3 new chapters").').meta(),
    )
    quiet_hours_enabled: bool = field(
        default=False,
        metadata=SettingSpec("Hold notifications during quiet hours, then show one digest.").meta(),
    )
    quiet_start: str = field(
        default="22:00", metadata=SettingSpec("Quiet hours start (HH:MM, 24 h).").meta()
    )
    quiet_end: str = field(
        default="07:00", metadata=SettingSpec("Quiet hours end (HH:MM, 24 h).").meta()
    )
    start_at_login: bool = field(
        default=False, metadata=SettingSpec("Start the app when you log in.").meta()
    )
    mode: SettingsMode = field(
        default="engine+notify",
        metadata=SettingSpec(
            "`engine+notify`: this device checks series and notifies; `notify-only`: another "
            "device sharing the database checks.",
            choices=MODES,
        ).meta(),
    )
    device_id: str = field(
        default_factory=lambda: uuid.uuid4().hex,
        metadata=SettingSpec(
            "This device's id in a shared database (generated once).", default_text="generated"
        ).meta(),
    )
    device_name: str = field(
        default_factory=socket.gethostname,
        metadata=SettingSpec(
            "This device's name in the dashboard.", default_text="the computer's name"
        ).meta(),
    )

    @property
    def effective_database_url(self) -> str:
        return self.database_url or paths.default_database_url()

    @property
    def api_url(self) -> str:
        return self.hosts[0].rstrip("/") + "/apo/"

    def validate(self) -> Settings:
        """Raise SettingsError for the first invalid value; return self when all are valid.

        First every field's declared bounds and choices (its :class:`SettingSpec`), then the
        rules that a range cannot say.
        """
        for spec in SPECS.values():
            problem = spec.problem(getattr(self, spec.name))
            _check(problem is None, spec.name, problem or "")
        _check(
            self.max_delay >= self.min_delay,
            "max_delay",
            f"must be at least min_delay ({self.min_delay})",
        )
        _check(len(self.hosts) > 0, "hosts", "needs at least one host")
        for host in self.hosts:
            _check(
                bool(re.match(r"^https?://[A-Za-z0-9.\-]+(:\d+)?/?$", host)),
                "hosts",
                f"{host!r} is not a domain URL like https://xcomic.me",
            )
        _check(len(set(self.hosts)) == len(self.hosts), "hosts", "lists a domain twice")
        _check(0 < len(self.languages) <= 10, "languages", "needs 1 to 10 language codes")
        for language in self.languages:
            _check(
                bool(re.match(r"^[a-z]{2,3}(_[a-z]{2,4})?$", language)),
                "languages",
                f"{language!r} is not a language code like en, es or pt_br",
            )
        _check(bool(self.user_agent.strip()), "user_agent", "must not be empty")
        _check(isinstance(self.private_toasts, bool), "private_toasts", "must be true or false")
        _check(bool(_HHMM.match(self.quiet_start)), "quiet_start", "must be HH:MM (24 h)")
        _check(bool(_HHMM.match(self.quiet_end)), "quiet_end", "must be HH:MM (24 h)")
        _check(bool(self.device_id.strip()), "device_id", "must not be empty")
        if self.database_url:
            _check(
                self.database_url.startswith(DATABASE_SCHEMES),
                "database_url",
                "must start with sqlite:/// or mysql:// (or mysql+pymysql://)",
            )
            _check(
                self.database_url.startswith("sqlite")
                or split_password(self.database_url)[1] is None,
                "database_url",
                "must not contain a password: it is kept in the OS keyring",
            )
        return self

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["hosts"] = list(self.hosts)
        data["languages"] = list(self.languages)
        return data


def _check(ok: bool, name: str, problem: str) -> None:
    if not ok:
        raise SettingsError(f"{name} {problem}")


_KINDS = ("int", "float", "bool", "tuple[str, ...]")
#: Every setting's spec by field name, in the fields' order.
SPECS: dict[str, SettingSpec] = {
    f.name: replace(f.metadata["spec"], name=f.name, kind=f.type if f.type in _KINDS else "str")
    for f in fields(Settings)
}

# Environment variable -> setting (old names first; BATO_DATABASE_URL wins over DATABASE_URI).
ENV_OVERRIDES: dict[str, str] = {
    variable: spec.name for spec in SPECS.values() for variable in spec.env
}


def _coerce(name: str, raw: Any, source: str) -> Any:
    """Turn a JSON or environment value into the field's type, or say why it cannot be."""
    kind = SPECS[name].kind
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
            env_values["database_url"].strip()
        )
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
