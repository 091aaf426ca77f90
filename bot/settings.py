"""One settings object for the whole application.

Built once in the composition root (``bot.app``) or by the CLI and passed down; no module reads the
environment at import time, so tests build their own ``Settings(...)``.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path(".rapport")
SLACK_API_DEFAULT = "https://slack.com/api/"


class SettingsError(ValueError):
    """A user-facing configuration error: one line naming the setting or file."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="", extra="ignore", case_sensitive=False)

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
    rapport_config: Path | None = None
    rapport_llm: str | None = None
    playbook_base_url: str | None = Field(
        default=None, description="If set, citations link to BASE_URL/<path>#L<line>."
    )
    playbooks_base_url: str | None = Field(
        default=None,
        description=(
            "PLAYBOOKS_BASE_URL: where the playbooks are published (a docs site). Relative links inside them resolve "
            "against it in answers; unset, a relative link is shown as its text."
        ),
    )
    port: int = 3000
    log_level: str = "INFO"

    @field_validator("slack_api_url")
    @classmethod
    def _api_url_trailing_slash(cls, v: str) -> str:
        if not v.startswith(("http://", "https://")):
            raise ValueError(f"SLACK_API_URL must be an http(s) URL, got {v!r}")
        return v if v.endswith("/") else v + "/"

    # Derived values keep one source of truth for defaults under RAPPORT_HOME.
    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{(self.rapport_home / 'rapport.db').as_posix()}"

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
        if need_playbooks and not self.playbooks_dir.is_dir():
            raise SettingsError(f"PLAYBOOKS_DIR {str(self.playbooks_dir)!r} is not a directory")


def load_settings(**overrides: object) -> Settings:
    """Read the environment now (never at import) and apply explicit overrides."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValueError as exc:
        raise SettingsError(str(exc).splitlines()[0] + ": " + " ".join(str(exc).splitlines()[1:3])) from None
