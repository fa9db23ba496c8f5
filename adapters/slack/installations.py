"""Slack OAuth installations and install states in the coach's own database (SQLite or PostgreSQL).

slack_sdk's SQLite3 stores open a SQLite file of their own, which several ``coach run`` processes
on several machines can't share. These stores keep the same tables and columns (so a file those
stores filled goes on working, and privacy's ``ForeignTable`` reads the same names) through the
storage layer's ``db`` interface, with their tables made by a ``Migrations`` set on either database.

Bolt's AsyncApp awaits the ``async_*`` methods on every request (authorize) and at install time;
they run the blocking database work in a small thread pool of their own so the event loop is not
held up, each thread with its own connection (a connection is not shared between threads
mid-statement): at most two connections per store, whatever the load.
"""
from __future__ import annotations

import asyncio
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Callable, Optional
from uuid import uuid4

from slack_sdk.oauth.installation_store import Bot, Installation
from slack_sdk.oauth.installation_store.async_installation_store import AsyncInstallationStore
from slack_sdk.oauth.installation_store.installation_store import InstallationStore
from slack_sdk.oauth.state_store.async_state_store import AsyncOAuthStateStore
from slack_sdk.oauth.state_store.state_store import OAuthStateStore

from bot import storage
from bot.storage import Migrations, transaction

log = logging.getLogger(__name__)
MIGRATIONS = Migrations("slack_installations")
STATE_SECONDS = 600  # an install link works for ten minutes
# Lookups are one indexed row each; two threads keep a slow one from queueing the rest, and bound
# the connections each process holds to a shared PostgreSQL.
_pool = ThreadPoolExecutor(max_workers=2, thread_name_prefix="slack-installations")


async def _off_loop(connections: "_Connections", fn, *args, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(_pool, partial(_once_more_if_broken, connections, fn,
                                                                           *args, **kwargs))


def _once_more_if_broken(connections: "_Connections", fn, *args, **kwargs):
    """``fn`` once, and once more on a fresh connection if the thread's connection turned out to be gone
    (PostgreSQL restarted, a failover): without this every later Slack request would fail until a restart.
    What failed was rolled back with its connection, so running it again is safe."""
    try:
        return fn(*args, **kwargs)
    except Exception:  # whatever the driver raised (a rollback on a dead connection fails too)
        if not connections.drop_broken():
            raise
        log.warning("slack installations: the connection to %s was lost; reconnected",
                    storage.shown(connections.location))
        return fn(*args, **kwargs)

_INSTALLATION_COLUMNS = (
    "app_id", "enterprise_id", "enterprise_name", "enterprise_url", "team_id", "team_name", "bot_token", "bot_id",
    "bot_user_id", "bot_scopes", "bot_refresh_token", "bot_token_expires_at", "user_id", "user_token",
    "user_scopes", "user_refresh_token", "user_token_expires_at", "incoming_webhook_url",
    "incoming_webhook_channel", "incoming_webhook_channel_id", "incoming_webhook_configuration_url",
    "is_enterprise_install", "token_type", "installed_at")
_BOT_COLUMNS = ("app_id", "enterprise_id", "enterprise_name", "team_id", "team_name", "bot_token", "bot_id",
                "bot_user_id", "bot_scopes", "bot_refresh_token", "bot_token_expires_at", "is_enterprise_install",
                "installed_at")
_BOT_TOKEN_COLUMNS = ("bot_token", "bot_id", "bot_user_id", "bot_scopes", "bot_refresh_token",
                      "bot_token_expires_at")
# the newest first; ids break ties within one second of installed_at
_NEWEST = "ORDER BY installed_at DESC, id DESC LIMIT 1"


@MIGRATIONS
def m001_installations_bots_and_states(db):
    # The tables and columns of slack_sdk's SQLite3 stores (IF NOT EXISTS: a coach file they filled keeps
    # its rows). Types spelled so both databases store what slack_sdk hands over: ints for flags and
    # Unix times, SQLite's CURRENT_TIMESTAMP text for installed_at.
    db.execute("""CREATE TABLE IF NOT EXISTS slack_installations (
        id INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL, app_id TEXT NOT NULL,
        enterprise_id TEXT NOT NULL DEFAULT '', enterprise_name TEXT, enterprise_url TEXT,
        team_id TEXT NOT NULL DEFAULT '', team_name TEXT, bot_token TEXT, bot_id TEXT, bot_user_id TEXT,
        bot_scopes TEXT, bot_refresh_token TEXT, bot_token_expires_at INTEGER, user_id TEXT NOT NULL,
        user_token TEXT, user_scopes TEXT, user_refresh_token TEXT, user_token_expires_at INTEGER,
        incoming_webhook_url TEXT, incoming_webhook_channel TEXT, incoming_webhook_channel_id TEXT,
        incoming_webhook_configuration_url TEXT, is_enterprise_install INTEGER NOT NULL DEFAULT 0,
        token_type TEXT, installed_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)""")
    db.execute("CREATE INDEX IF NOT EXISTS slack_installations_idx ON slack_installations "
               "(client_id, enterprise_id, team_id, user_id, installed_at)")
    db.execute("""CREATE TABLE IF NOT EXISTS slack_bots (
        id INTEGER PRIMARY KEY AUTOINCREMENT, client_id TEXT NOT NULL, app_id TEXT NOT NULL,
        enterprise_id TEXT NOT NULL DEFAULT '', enterprise_name TEXT, team_id TEXT NOT NULL DEFAULT '',
        team_name TEXT, bot_token TEXT NOT NULL, bot_id TEXT NOT NULL, bot_user_id TEXT NOT NULL,
        bot_scopes TEXT, bot_refresh_token TEXT, bot_token_expires_at INTEGER,
        is_enterprise_install INTEGER NOT NULL DEFAULT 0,
        installed_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)""")
    db.execute("CREATE INDEX IF NOT EXISTS slack_bots_idx ON slack_bots "
               "(client_id, enterprise_id, team_id, installed_at)")
    db.execute("CREATE TABLE IF NOT EXISTS oauth_states (id INTEGER PRIMARY KEY AUTOINCREMENT, "
               "state TEXT NOT NULL, expire_at REAL NOT NULL)")
    db.execute("CREATE INDEX IF NOT EXISTS oauth_states_state ON oauth_states (state)")


class _Connections:
    """One connection per thread to ``location``, the schema brought up to date by the first."""

    def __init__(self, location: str):
        self.location = location
        self._local = threading.local()
        self._all: list = []
        self._lock = threading.Lock()
        self.get()  # migrate now: a database that can't be used fails at start, not at the first install

    def get(self):
        db = getattr(self._local, "db", None)
        if db is None:
            db = storage.open_db(self.location, (MIGRATIONS,))
            self._local.db = db
            with self._lock:
                self._all.append(db)
        return db

    def drop_broken(self) -> bool:
        """Forget this thread's connection if it is gone; True when it was (the next get() reconnects)."""
        db = getattr(self._local, "db", None)
        if db is None or not getattr(db, "broken", False):
            return False
        self._local.db = None
        with self._lock:
            if db in self._all:
                self._all.remove(db)
        try:
            db.close()
        except Exception:  # closing a dead connection may complain: it is going anyway
            pass
        return True

    def close(self) -> None:
        with self._lock:
            for db in self._all:
                db.close()
            self._all.clear()
        self._local = threading.local()


def _team(team_id: Optional[str], is_enterprise_install: Optional[bool]) -> str:
    # an org-wide install is keyed by the enterprise alone, as slack_sdk's stores do
    return "" if is_enterprise_install or team_id is None else team_id


class DatabaseInstallationStore(InstallationStore, AsyncInstallationStore):
    """slack_sdk's installation store interface (sync and async) on the coach's database."""

    def __init__(self, location: str, client_id: str):
        self.client_id = client_id
        self._connections = _Connections(str(location))

    @property
    def logger(self) -> logging.Logger:
        return log

    @property
    def location(self) -> str:
        return self._connections.location

    def close(self) -> None:
        self._connections.close()

    # ---------------------------------------------------------------- saving
    def save(self, installation: Installation) -> None:
        db = self._connections.get()
        i = installation
        with transaction(db):
            db.execute(
                f"INSERT INTO slack_installations (client_id, {', '.join(_INSTALLATION_COLUMNS[:-1])}) "
                f"VALUES ({', '.join('?' * len(_INSTALLATION_COLUMNS))})",
                [self.client_id, i.app_id, i.enterprise_id or "", i.enterprise_name, i.enterprise_url,
                 i.team_id or "", i.team_name, i.bot_token, i.bot_id, i.bot_user_id, ",".join(i.bot_scopes or ()),
                 i.bot_refresh_token, i.bot_token_expires_at, i.user_id, i.user_token,
                 ",".join(i.user_scopes) if i.user_scopes else None, i.user_refresh_token,
                 i.user_token_expires_at, i.incoming_webhook_url, i.incoming_webhook_channel,
                 i.incoming_webhook_channel_id, i.incoming_webhook_configuration_url,
                 int(bool(i.is_enterprise_install)), i.token_type])
            self.save_bot(installation.to_bot())

    def save_bot(self, bot: Bot) -> None:
        if bot.bot_token is None:  # a user-only install: no bot to remember
            return
        db = self._connections.get()
        with transaction(db):
            db.execute(
                f"INSERT INTO slack_bots (client_id, {', '.join(_BOT_COLUMNS[:-1])}) "
                f"VALUES ({', '.join('?' * len(_BOT_COLUMNS))})",
                [self.client_id, bot.app_id, bot.enterprise_id or "", bot.enterprise_name, bot.team_id or "",
                 bot.team_name, bot.bot_token, bot.bot_id, bot.bot_user_id, ",".join(bot.bot_scopes or ()),
                 bot.bot_refresh_token, bot.bot_token_expires_at, int(bool(bot.is_enterprise_install))])

    # ---------------------------------------------------------------- finding
    def find_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                 is_enterprise_install: Optional[bool] = False) -> Optional[Bot]:
        row = self._connections.get().execute(
            f"SELECT {', '.join(_BOT_COLUMNS)} FROM slack_bots WHERE client_id = ? AND enterprise_id = ? "
            f"AND team_id = ? {_NEWEST}",
            [self.client_id, enterprise_id or "", _team(team_id, is_enterprise_install)]).fetchone()
        if row is None:
            return None
        values = dict(zip(_BOT_COLUMNS, row))
        values["is_enterprise_install"] = bool(values["is_enterprise_install"])
        return Bot(**values)

    def find_installation(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                          user_id: Optional[str] = None,
                          is_enterprise_install: Optional[bool] = False) -> Optional[Installation]:
        db = self._connections.get()
        team = _team(team_id, is_enterprise_install)
        where, params = "client_id = ? AND enterprise_id = ? AND team_id = ?", [self.client_id, enterprise_id or "",
                                                                                team]
        by_user = f" AND user_id = ?" if user_id is not None else ""
        row = db.execute(f"SELECT {', '.join(_INSTALLATION_COLUMNS)} FROM slack_installations "
                         f"WHERE {where}{by_user} {_NEWEST}", params + ([user_id] if user_id is not None else [])
                         ).fetchone()
        if row is None:
            return None
        values = dict(zip(_INSTALLATION_COLUMNS, row))
        values["is_enterprise_install"] = bool(values["is_enterprise_install"])
        installation = Installation(**values)
        if user_id is not None or installation.bot_token is None:
            # a person's own (user-token) install may predate the workspace's latest bot token:
            # the bot token is always the newest one (slack_sdk does the same, bolt-python#664)
            latest = db.execute(f"SELECT {', '.join(_BOT_TOKEN_COLUMNS)} FROM slack_installations "
                                f"WHERE {where} AND bot_token IS NOT NULL {_NEWEST}", params).fetchone()
            if latest is not None:
                for name, value in zip(_BOT_TOKEN_COLUMNS, latest):
                    setattr(installation, name, value.split(",") if name == "bot_scopes" and value else value)
        return installation

    # ---------------------------------------------------------------- deleting
    def delete_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str]) -> None:
        """The workspace's bot token was revoked (``tokens_revoked``): it must never be used again,
        so it goes from the installation rows too (Bolt's authorize reads those first)."""
        db = self._connections.get()
        key = [self.client_id, enterprise_id or "", team_id or ""]
        with transaction(db):
            db.execute("DELETE FROM slack_bots WHERE client_id = ? AND enterprise_id = ? AND team_id = ?", key)
            cleared = ", ".join(f"{c} = NULL" for c in _BOT_TOKEN_COLUMNS)
            db.execute(f"UPDATE slack_installations SET {cleared} WHERE client_id = ? AND enterprise_id = ? "
                       "AND team_id = ?", key)

    def delete_installation(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                            user_id: Optional[str] = None) -> None:
        db = self._connections.get()
        sql = "DELETE FROM slack_installations WHERE client_id = ? AND enterprise_id = ? AND team_id = ?"
        params = [self.client_id, enterprise_id or "", team_id or ""]
        if user_id is not None:
            sql, params = sql + " AND user_id = ?", params + [user_id]
        with transaction(db):
            db.execute(sql, params)

    def delete_all(self, *, enterprise_id: Optional[str], team_id: Optional[str]) -> None:
        db = self._connections.get()
        with transaction(db):  # both or neither: an uninstall never leaves a usable token behind
            self.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
            self.delete_installation(enterprise_id=enterprise_id, team_id=team_id)

    # ---------------------------------------------------------------- async (what Bolt's AsyncApp awaits)
    async def async_save(self, installation: Installation) -> None:
        await _off_loop(self._connections, self.save, installation)

    async def async_save_bot(self, bot: Bot) -> None:
        await _off_loop(self._connections, self.save_bot, bot)

    async def async_find_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                             is_enterprise_install: Optional[bool] = False) -> Optional[Bot]:
        return await _off_loop(self._connections, self.find_bot, enterprise_id=enterprise_id, team_id=team_id,
                               is_enterprise_install=is_enterprise_install)

    async def async_find_installation(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                                      user_id: Optional[str] = None,
                                      is_enterprise_install: Optional[bool] = False) -> Optional[Installation]:
        return await _off_loop(self._connections, self.find_installation, enterprise_id=enterprise_id,
                               team_id=team_id, user_id=user_id, is_enterprise_install=is_enterprise_install)

    async def async_delete_bot(self, *, enterprise_id: Optional[str], team_id: Optional[str]) -> None:
        await _off_loop(self._connections, self.delete_bot, enterprise_id=enterprise_id, team_id=team_id)

    async def async_delete_installation(self, *, enterprise_id: Optional[str], team_id: Optional[str],
                                        user_id: Optional[str] = None) -> None:
        await _off_loop(self._connections, self.delete_installation, enterprise_id=enterprise_id, team_id=team_id,
                        user_id=user_id)

    async def async_delete_all(self, *, enterprise_id: Optional[str], team_id: Optional[str]) -> None:
        await _off_loop(self._connections, self.delete_all, enterprise_id=enterprise_id, team_id=team_id)


class DatabaseOAuthStateStore(OAuthStateStore, AsyncOAuthStateStore):
    """The install links' one-time states: issued on /slack/install, consumed once on the redirect
    (by whichever process gets it), refused after ``expiration_seconds``."""

    def __init__(self, location: str, expiration_seconds: int = STATE_SECONDS,
                 clock: Callable[[], float] = time.time):
        self.expiration_seconds = expiration_seconds
        self.clock = clock
        self._connections = _Connections(str(location))

    @property
    def logger(self) -> logging.Logger:
        return log

    def close(self) -> None:
        self._connections.close()

    def issue(self, *args, **kwargs) -> str:
        state = str(uuid4())
        now = self.clock()
        db = self._connections.get()
        with transaction(db):
            db.execute("DELETE FROM oauth_states WHERE expire_at <= ?", [now])  # links nobody finished
            db.execute("INSERT INTO oauth_states (state, expire_at) VALUES (?, ?)",
                       [state, now + self.expiration_seconds])
        return state

    def consume(self, state: str) -> bool:
        db = self._connections.get()
        with transaction(db):
            # one statement: of two redirects with the same state (two processes), one wins
            used = db.execute("DELETE FROM oauth_states WHERE state = ? AND expire_at > ? RETURNING id",
                              [state, self.clock()]).fetchall()
        return bool(used)

    async def async_issue(self, *args, **kwargs) -> str:
        return await _off_loop(self._connections, self.issue)

    async def async_consume(self, state: str) -> bool:
        return await _off_loop(self._connections, self.consume, state)
