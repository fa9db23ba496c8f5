"""Build the slack-bolt AsyncApp for a Coach: settings from the environment, OAuth when configured."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot import privacy, storage

from . import listeners
from .conversation import PLATFORM
from .sender import make_client

# Keep in step with manifest.yml (the OAuth install asks for exactly these).
BOT_SCOPES = (
    "app_mentions:read", "channels:read", "chat:write", "chat:write.public", "commands", "files:write", "groups:read",
    "im:history", "im:read", "im:write", "mpim:read", "users:read",
)


@dataclass(frozen=True)
class SlackSettings:
    bot_token: str = ""
    app_token: str = ""
    signing_secret: str = ""
    client_id: str = ""
    client_secret: str = ""
    redirect_uri: str = ""
    install_db: str = ""  # where OAuth installations and states live: a SQLite file or a postgresql:// URL
    api_url: str = ""  # Web API base URL; only tests and proxies change it

    @classmethod
    def from_env(cls, env=None) -> "SlackSettings":
        env = os.environ if env is None else env
        get = lambda name: (env.get(name) or "").strip()  # noqa: E731
        return cls(bot_token=get("SLACK_BOT_TOKEN"), app_token=get("SLACK_APP_TOKEN"),
                   signing_secret=get("SLACK_SIGNING_SECRET"), client_id=get("SLACK_CLIENT_ID"),
                   client_secret=get("SLACK_CLIENT_SECRET"), redirect_uri=get("SLACK_REDIRECT_URI"),
                   install_db=get("SLACK_INSTALL_DB"), api_url=get("SLACK_API_URL"))

    @property
    def oauth(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def install_db_for(self, coach_db: str) -> str:
        """Installations live in the coach's own database unless told otherwise (one place to back up,
        and shared by every process when that is PostgreSQL)."""
        if self.install_db:
            return self.install_db
        if coach_db and coach_db != ":memory:":
            return coach_db
        return str(Path("slack_installations.db").resolve())


def oauth_settings(settings: SlackSettings, database: str):
    from slack_bolt.oauth.async_oauth_settings import AsyncOAuthSettings

    from .installations import STATE_SECONDS, DatabaseInstallationStore, DatabaseOAuthStateStore

    return AsyncOAuthSettings(
        client_id=settings.client_id,
        client_secret=settings.client_secret,
        scopes=list(BOT_SCOPES),
        redirect_uri=settings.redirect_uri or None,
        install_path="/slack/install",
        redirect_uri_path="/slack/oauth_redirect",
        installation_store=DatabaseInstallationStore(database, client_id=settings.client_id),
        state_store=DatabaseOAuthStateStore(database, expiration_seconds=STATE_SECONDS),
    )


def cover_installations_in_privacy(coach, database: str) -> None:
    """export-me / forget-me also cover the installer's id in Slack's OAuth installations:
    exported without tokens; on forget-me the id (and a user token, if one was ever granted)
    is removed and the row stays, so the workspace's bot token keeps working."""
    coach_db = coach.config.db
    same = _same_database(database, coach_db)
    privacy.register_foreign_table(coach, privacy.ForeignTable(
        "slack_installations", PLATFORM, workspace_column="team_id", person_column="user_id",
        cleared=("user_token", "user_scopes", "user_refresh_token", "user_token_expires_at"),
        withheld=("bot_token", "bot_refresh_token", "user_token", "user_refresh_token"),
        database="" if same else database))


def _same_database(a: str, b: str) -> bool:
    if not a or not b or ":memory:" in (a, b):
        return False
    if storage.is_postgres(a) or storage.is_postgres(b):
        return a == b
    return Path(a).resolve() == Path(b).resolve()


def build_app(coach, client: AsyncWebClient | None = None, *, settings: SlackSettings | None = None,
              signing_secret: str | None = None, members_ttl: float = 60.0) -> AsyncApp:
    """The AsyncApp with every listener registered.

    ``client`` (a slack_sdk AsyncWebClient) carries the bot token and, in tests, a
    loopback ``base_url``; without one, a client with retry handlers is built from settings.
    """
    settings = settings or SlackSettings.from_env()
    secret = signing_secret if signing_secret is not None else settings.signing_secret
    oauth = None
    if settings.oauth:
        oauth = oauth_settings(settings, settings.install_db_for(coach.config.db))
        cover_installations_in_privacy(coach, settings.install_db_for(coach.config.db))
    if client is None:
        client = make_client(None if oauth else (settings.bot_token or None), settings.api_url or None)
    app = AsyncApp(
        name="pm-coach",
        client=client,
        signing_secret=secret,
        oauth_settings=oauth,
        # The signature check stays on for HTTP; Socket Mode requests skip it by design.
        request_verification_enabled=True,
    )
    listeners.register(app, coach, members_ttl=members_ttl)
    return app
