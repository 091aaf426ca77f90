"""One settings object for the whole application.

Built once in the composition root (``bot.app``) or by the CLI and passed down; no module reads the
environment at import time, so tests build their own ``Settings(...)``. Values come from, first to last:
explicit arguments, the environment, the file ``RAPPORT_CONFIG`` names (TOML or YAML, the same names as the
variables: ``bot.config_file``), the defaults below.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import AliasChoices, Field, SecretStr, ValidationError, field_validator
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_HOME = Path(".rapport")
SLACK_API_DEFAULT = "https://slack.com/api/"
# SQLAlchemy 2.1 maps a bare postgresql:// to psycopg (v3); the installed driver is psycopg2, which the bulk
# COPY path of bot.sync.writer is written for, so the forms people paste mean psycopg2.
POSTGRES_SCHEMES = ("postgresql", "postgres")
POSTGRES_DRIVER = "postgresql+psycopg2"


class SettingsError(ValueError):
    """A user-facing configuration error: one line naming the setting or file."""


def database_url(url: str) -> str:
    """``postgresql://`` and ``postgres://`` mean the installed psycopg2 driver; other URLs are kept as given."""
    scheme, sep, rest = url.partition("://")
    return f"{POSTGRES_DRIVER}://{rest}" if sep and scheme.lower() in POSTGRES_SCHEMES else url


def read_config_file(path: Path, known: dict[str, str]) -> dict[str, Any]:
    """A flat TOML (``.toml``) or YAML file of settings named as the variables are (``DATABASE_URL`` or
    ``database_url``); ``known`` maps each accepted lower-case name to its field. Unknown names are refused (a
    typo would otherwise be silently ignored)."""
    import tomllib

    import yaml

    where = f"RAPPORT_CONFIG {str(path)!r}"
    try:
        raw = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SettingsError(f"{where}: cannot read it ({exc.strerror or exc})") from None
    try:
        data = tomllib.loads(raw) if path.suffix.lower() == ".toml" else yaml.safe_load(raw)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise SettingsError(
            f"{where}: not valid {'TOML' if path.suffix.lower() == '.toml' else 'YAML'}: {str(exc).splitlines()[0]}"
        ) from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise SettingsError(f"{where}: expected NAME = value lines (a mapping), got {type(data).__name__}")
    values: dict[str, Any] = {}
    for key, value in data.items():
        name = known.get(str(key).lower())
        if name is None:
            raise SettingsError(f"{where}: unknown setting {key!r} (the names are those of the README's table)")
        if isinstance(value, dict | list):
            raise SettingsError(f"{where}: {key} must be a single value")
        values[name] = value
    return values


def _setting_names(settings_cls: type[BaseSettings]) -> dict[str, str]:
    names: dict[str, str] = {}
    for name, info in settings_cls.model_fields.items():
        names[name] = name
        alias = info.validation_alias
        for choice in alias.choices if isinstance(alias, AliasChoices) else ():
            if isinstance(choice, str):
                names[choice.lower()] = name
    return names


class ConfigFileSource(PydanticBaseSettingsSource):
    """The file ``RAPPORT_CONFIG`` names, below the environment (so a variable overrides the file)."""

    def __init__(self, settings_cls: type[BaseSettings], path: str | None) -> None:
        super().__init__(settings_cls)
        self.values: dict[str, Any] = read_config_file(Path(path), _setting_names(settings_cls)) if path else {}

    def get_field_value(self, field: FieldInfo, field_name: str) -> tuple[Any, str, bool]:
        return self.values.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self.values)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False, populate_by_name=True)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Read when a Settings is built, never at import; no .env file (the README says so).
        path = os.environ.get("RAPPORT_CONFIG", "").strip() or None
        return init_settings, env_settings, ConfigFileSource(settings_cls, path)

    # Slack
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_DEFAULT

    # Storage
    rapport_home: Path = Field(default=DEFAULT_HOME)
    database_url: str | None = None
    chroma_path: Path | None = None
    chroma_url: str | None = None
    chroma_collection: str = "playbooks"
    sqlite_busy_timeout: float = Field(default=30.0, gt=0, description="Seconds a SQLite write waits for a lock.")

    # Content and behaviour
    playbooks_dir: Path = Path("playbooks")
    rapport_llm: str | None = None  # provider:model (openai:gpt-4o-mini, ollama:llama3.1, ...); unset = extractive
    # An OpenAI-compatible server (Ollama, vLLM, llama.cpp: http://host:port/v1); unset = the provider's default.
    rapport_llm_base_url: str | None = None
    # Seconds the model may take; then the extractive answer is posted, with a note saying so.
    rapport_llm_timeout: float = Field(default=20.0, gt=0)
    # One setting for where the playbooks folder is published (a docs site or a git host's tree view):
    # citations link to BASE/<path>#L<line> and relative links inside a playbook resolve against it (unset:
    # shown as their text). PLAYBOOK_BASE_URL, its earlier name, is still read.
    playbook_base_url: str | None = Field(
        default=None, validation_alias=AliasChoices("playbooks_base_url", "playbook_base_url")
    )
    port: int = 3000
    log_level: str = "INFO"

    @field_validator(
        "slack_bot_token",
        "slack_signing_secret",
        "slack_app_token",
        "database_url",
        "chroma_path",
        "chroma_url",
        "rapport_llm",
        "rapport_llm_base_url",
        "playbook_base_url",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, v: object) -> object:
        """``SLACK_APP_TOKEN=`` (set but empty, as env files and compose leave it) means unset, not "" ."""
        return None if isinstance(v, str) and not v.strip() else v

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_trailing_slash(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"SLACK_API_URL must be an http(s) URL, got {v!r}")
        return v if v.endswith("/") else v + "/"

    # Derived values keep one source of truth for defaults under RAPPORT_HOME.
    @property
    def effective_database_url(self) -> str:
        return database_url(self.database_url or f"sqlite:///{(self.rapport_home / 'rapport.db').as_posix()}")

    @property
    def database_url_for_display(self) -> str:
        """The database URL with any password masked, for messages and logs."""
        from sqlalchemy.engine import make_url

        return make_url(self.effective_database_url).render_as_string(hide_password=True)

    @property
    def effective_chroma_path(self) -> Path:
        return self.chroma_path or (self.rapport_home / "chroma")

    @property
    def policies_dir(self) -> Path:
        return self.playbooks_dir / "policies"

    @property
    def offline_slack(self) -> bool:
        """True when no real Slack credentials are configured (demo / local double)."""
        return self.slack_bot_token is None

    def validate_runtime(self, need_playbooks: bool = True) -> None:
        """Check settings a command is about to rely on; raise SettingsError with one clear line."""
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import ArgumentError

        try:
            url = make_url(self.effective_database_url)
        except ArgumentError as exc:
            raise SettingsError(f"DATABASE_URL is not a valid database URL: {exc}") from None
        if url.get_backend_name() not in {"sqlite", "postgresql"}:
            raise SettingsError(
                f"DATABASE_URL backend {url.get_backend_name()!r} is not supported (use sqlite or postgresql)"
            )
        try:
            url.get_dialect().import_dbapi()
        except ImportError:
            raise SettingsError(
                f"DATABASE_URL asks for the driver {url.get_driver_name()!r}, which is not installed; write "
                "postgresql://... (Rapport uses psycopg2)"
            ) from None
        if need_playbooks and not self.playbooks_dir.is_dir():
            raise SettingsError(f"PLAYBOOKS_DIR {str(self.playbooks_dir)!r} is not a directory")

    @property
    def socket_mode(self) -> bool:
        """Serve over Socket Mode (the bot connects out with SLACK_APP_TOKEN) rather than HTTP."""
        return self.slack_app_token is not None

    def validate_serving(self) -> None:
        """What ``rapport serve`` needs: a bot token, then an app-level token (Socket Mode) or a signing secret
        (HTTP: every request's signature is checked). Raise SettingsError with one line naming the setting."""
        if self.slack_bot_token is None:
            raise SettingsError(
                "SLACK_BOT_TOKEN is not set (the app's Bot User OAuth Token, xoxb-...); "
                "for a local sandbox without Slack run `rapport demo`"
            )
        if self.slack_app_token is not None:
            if not self.slack_app_token.get_secret_value().startswith("xapp-"):
                raise SettingsError(
                    "SLACK_APP_TOKEN must be an app-level token (xapp-..., Basic Information > App-Level Tokens, "
                    "scope connections:write)"
                )
            return
        if self.slack_signing_secret is None:
            raise SettingsError(
                "SLACK_SIGNING_SECRET is not set (Basic Information > Signing Secret; HTTP mode verifies every "
                "request with it); or set SLACK_APP_TOKEN to serve over Socket Mode"
            )


def load_settings(**overrides: object) -> Settings:
    """Read the environment (and RAPPORT_CONFIG's file) now, never at import, and apply explicit overrides."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except SettingsError:
        raise
    except ValidationError as exc:
        first = exc.errors()[0]
        name = str(first["loc"][0]).upper() if first["loc"] else "settings"
        raise SettingsError(f"{name}: {first['msg']}") from None
