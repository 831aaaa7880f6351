"""Settings: machine values and secrets from the environment, the portfolio from YAML."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Collection
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, field_validator

from suivi.errors import ConfigError

DEFAULT_CONFIG = Path("config/suivi.yaml")
ENV_PREFIX = "SUIVI_"
Language = Literal["fr", "ar", "en"]


class Env(BaseModel):
    """Machine-specific values and secrets, from SUIVI_* environment variables only.

    Values given as arguments win over the environment. A variable that cannot be used
    raises `ConfigError` naming it, never its value (it may be a secret).
    """

    # What pydantic-settings' BaseSettings did here, without its import (a tenth of a second
    # before every command's answer): names matched in any case, defaults validated.
    model_config = ConfigDict(extra="ignore", validate_default=True)

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**(environment_values(Env.model_fields) | values))
        except ValidationError as error:
            raise ConfigError(describe_env_errors(error)) from None

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
    # The reply to the end of DATA: RFC 5321 §4.5.3.2 asks the client to wait 10 minutes.
    smtp_data_timeout: float = 600.0
    mail_from: str | None = None
    # SMTP login by OAuth2 (XOAUTH2) instead of a password: Google, Microsoft 365.
    smtp_auth: Literal["password", "xoauth2"] = "password"
    smtp_oauth_token_url: str | None = None
    smtp_oauth_client_id: str | None = None
    smtp_oauth_client_secret: SecretStr | None = None
    smtp_oauth_refresh_token: SecretStr | None = None
    smtp_oauth_scope: str | None = None
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


class MailSettings(BaseModel):
    """Where e-mail may go: `allowed_domains` (optional) keeps data inside the organisation."""

    model_config = ConfigDict(extra="forbid")
    allowed_domains: list[str] | None = None  # e.g. [example.org]: subdomains included


class IndicatorRule(BaseModel):
    """A computed indicator: count or sum of activities matching filters, or a ratio of sums."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["count", "sum", "ratio"]
    column: str | None = None  # summed column (sum)
    numerator: str | None = None  # summed column (ratio)
    denominator: str | None = None  # summed column (ratio)
    where: dict[str, Any] = {}  # column → value or list of values
    percent: bool = False  # ratio × 100


class Escalation(BaseModel):
    """How long an item may stay late before the officer, then the director, hear of it (§6.5)."""

    model_config = ConfigDict(extra="forbid")
    officer_after_days: int = Field(7, ge=1)
    director_after_days: int = Field(30, ge=1)
    director: Person | None = None


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
    escalation: Escalation | None = None  # late items go up to the officer, then the director
    templates: str | None = None  # folder of templates overriding the shipped ones, by name
    mail: MailSettings = Field(default_factory=MailSettings)
    projects: list[Project] = Field(min_length=1)
    base_dir: Path = Path(".")  # folder of the settings file; sources are relative to it

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except ZoneInfoNotFoundError:  # a KeyError, which pydantic would not report
            raise ValueError(f"unknown time zone {value!r} (e.g. Africa/Casablanca)") from None
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

    def template_folder(self) -> Path | None:
        """The officer's template folder (overrides the shipped templates by name), if any."""
        return None if self.templates is None else self.resolve(self.templates)

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
        raw = file.read_bytes()
    except OSError as error:
        raise ConfigError(f"{file}: cannot read the settings file ({error.strerror})") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        raise ConfigError(f"{file}:{line}: not UTF-8 text: save the file as UTF-8") from None
    try:
        document = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)  # a SafeLoader: no arbitrary objects
    except yaml.YAMLError as error:
        raise ConfigError(_yaml_error(file, error)) from None
    if not isinstance(data, dict):
        raise ConfigError(f"{file}: expected a mapping of settings at the top level")
    data["base_dir"] = file.resolve().parent
    try:
        config = Config.model_validate(data)
    except ValidationError as error:
        raise ConfigError(describe_errors(file, document, error)) from None
    _check_unique_codes(file, document, config)
    return config


class _Loader(yaml.SafeLoader):
    """Safe YAML whose value errors (a date such as 2025-13-01) and repeated keys name their line."""

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, OverflowError) as error:
            raise yaml.constructor.ConstructorError(
                None, None, str(error), node.start_mark
            ) from None

    def construct_mapping(self, node: yaml.Node, deep: bool = False) -> dict[Any, Any]:
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for key, _ in node.value:
                if isinstance(key, yaml.ScalarNode) and key.value != "<<":
                    if key.value in seen:
                        raise yaml.constructor.ConstructorError(
                            None,
                            None,
                            f"{key.value!r} is repeated (first on line {seen[key.value]})",
                            key.start_mark,
                        )
                    seen[key.value] = key.start_mark.line + 1
        return super().construct_mapping(node, deep)  # type: ignore[arg-type]


def _yaml_error(file: Path, error: yaml.YAMLError) -> str:
    """file:line: not valid YAML: what the parser says."""
    mark = getattr(error, "problem_mark", None) or getattr(error, "context_mark", None)
    where = f"{file}:{mark.line + 1}" if mark is not None else str(file)
    problem = getattr(error, "problem", None) or str(error)
    return f"{where}: not valid YAML: {problem}"


def _check_unique_codes(file: Path, document: yaml.Node | None, config: Config) -> None:
    """Two projects with one code would share their history and their e-mails' keys."""
    first: dict[str, int] = {}
    for index, project in enumerate(config.projects):
        code = project.code.casefold()
        if code in first:
            line = _line_of(document, ("projects", index, "code"))
            raise ConfigError(
                f"{file}:{line}: projects.{index}.code: {project.code!r} is already the code of"
                f" projects.{first[code]}; each project needs its own code"
            )
        first[code] = index


def environment_values(fields: Collection[str]) -> dict[str, str]:
    """SUIVI_* variables naming one of `fields` (SUIVI_SMTP_HOST → smtp_host), in any case."""
    values = {}
    for name, value in os.environ.items():
        field = name.lower().removeprefix(ENV_PREFIX.lower())
        if name.upper().startswith(ENV_PREFIX) and field in fields:
            values[field] = value
    return values


def describe_env_errors(error: ValidationError) -> str:
    """One line per unusable SUIVI_* variable: its name and what is wrong, never its value."""
    lines = []
    for item in error.errors():
        name = "SUIVI_" + "_".join(str(part) for part in item["loc"][:1]).upper()
        lines.append(f"environment variable {name}: {item['msg']}")
    return "\n".join(lines)


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
