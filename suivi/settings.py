"""Settings: machine values and secrets from the environment, the portfolio from YAML."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_CONFIG = Path("config/suivi.yaml")
Language = Literal["fr", "ar", "en"]


class ConfigError(ValueError):
    """A settings file that cannot be used; the message names the key and line."""


class Env(BaseSettings):
    """Machine-specific values and secrets, from SUIVI_* environment variables only."""

    model_config = SettingsConfigDict(env_prefix="SUIVI_", extra="ignore")

    config: Path | None = None
    database_url: str | None = None
    google_credentials: Path | None = None
    sheets_endpoint: str | None = None
    smtp_host: str | None = None
    smtp_port: int | None = None
    smtp_user: str | None = None
    smtp_password: SecretStr | None = None
    smtp_security: Literal["starttls", "ssl", "none"] = "starttls"
    smtp_timeout: float = 30.0
    mail_from: str | None = None
    outbox_dir: Path = Path("outbox")


class Person(BaseModel):
    """A named recipient."""

    model_config = ConfigDict(extra="forbid")
    name: str = ""
    email: str


class Thresholds(BaseModel):
    """How early "due soon" starts and how old an update may be."""

    model_config = ConfigDict(extra="forbid")
    due_soon_days: int = Field(14, ge=0)
    stale_days: int = Field(30, ge=1)
    big_progress_points: float = Field(0.2, gt=0, le=1)  # "big progress" in what-changed


class Reminders(BaseModel):
    """Days before a committee or a deliverable when a reminder goes out."""

    model_config = ConfigDict(extra="forbid")
    committee_days: list[int] = [7, 1]
    deliverable_days: list[int] = [30, 14, 7, 1]


class IndicatorRule(BaseModel):
    """A computed indicator: count or sum of activities matching filters, or a ratio of sums."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["count", "sum", "ratio"]
    column: str | None = None  # summed column (sum)
    numerator: str | None = None  # summed column (ratio)
    denominator: str | None = None  # summed column (ratio)
    where: dict[str, Any] = {}  # column → value or list of values
    percent: bool = False  # ratio × 100


class Project(BaseModel):
    """One project of the portfolio."""

    model_config = ConfigDict(extra="forbid")
    code: str = Field(pattern=r"^[A-Za-z0-9_-]{1,20}$")
    name: str
    source: str
    team: list[str] = []
    language: Language | None = None
    start: dt.date | None = None
    # Where the tracking tabs go: true (into the source), false, or a workbook path.
    write_back: bool | str = True
    officer: Person | None = None
    reminders: Reminders | None = None


class Config(BaseModel):
    """The settings file."""

    model_config = ConfigDict(extra="forbid")
    language: Language = "fr"
    timezone: str = "Africa/Casablanca"
    working_days: bool = False
    officer: Person
    thresholds: Thresholds = Field(default_factory=Thresholds)
    reminders: Reminders = Field(default_factory=Reminders)
    indicators: dict[str, IndicatorRule] = {}
    templates: str = "templates"  # folder of e-mail templates, relative to the file
    projects: list[Project] = Field(min_length=1)
    base_dir: Path = Path(".")  # folder of the settings file; sources are relative to it

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        ZoneInfo(value)  # raises on an unknown zone
        return value

    def language_of(self, project: Project) -> Language:
        """The project's language, else the portfolio's."""
        return project.language or self.language

    def officer_of(self, project: Project) -> Person:
        """The project's officer, else the portfolio's."""
        return project.officer or self.officer

    def reminders_of(self, project: Project) -> Reminders:
        """The project's reminder offsets, else the portfolio's."""
        return project.reminders or self.reminders

    def today(self) -> dt.date:
        """Today in the configured time zone."""
        return dt.datetime.now(ZoneInfo(self.timezone)).date()

    def resolve(self, path: str) -> Path:
        """A path from the file, relative to the file's folder."""
        candidate = Path(path).expanduser()
        return candidate if candidate.is_absolute() else self.base_dir / candidate


def config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, else SUIVI_CONFIG, else config/suivi.yaml."""
    if explicit:
        return Path(explicit)
    return Env().config or DEFAULT_CONFIG


def load_config(path: str | os.PathLike[str] | None = None) -> Config:
    """Read and validate the settings file; errors name the key and the line."""
    file = config_path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{file}: cannot read the settings file ({error.strerror})") from None
    try:
        document = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise ConfigError(f"{file}: not valid YAML: {error}") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: expected a mapping of settings at the top level")
    data["base_dir"] = file.resolve().parent
    try:
        return Config.model_validate(data)
    except ValidationError as error:
        raise ConfigError(describe_errors(file, document, error)) from None


def describe_errors(file: Path, document: yaml.Node | None, error: ValidationError) -> str:
    """One line per mistake: file:line: key.path: message."""
    lines = []
    for item in error.errors():
        location = [str(part) for part in item["loc"]]
        line = _line_of(document, item["loc"])
        where = f"{file}:{line}" if line else str(file)
        lines.append(f"{where}: {'.'.join(location) or '(top)'}: {item['msg']}")
    return "\n".join(lines)


def _line_of(node: yaml.Node | None, path: tuple[int | str, ...]) -> int | None:
    """1-based line of the deepest node of `path` found in the YAML tree."""
    line = node.start_mark.line + 1 if node is not None else None
    for part in path:
        if isinstance(node, yaml.MappingNode):
            match = next((v for k, v in node.value if k.value == part), None)
            if match is None:
                match = next((k for k, _ in node.value if k.value == part), None)
        elif isinstance(node, yaml.SequenceNode) and isinstance(part, int):
            match = node.value[part] if part < len(node.value) else None
        else:
            match = None
        if match is None:
            break
        node = match
        line = node.start_mark.line + 1
    return line
