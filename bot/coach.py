"""The Coach: one command grammar for every platform.

``Coach.handle(Request) -> list[Reply]``. Feature modules export MIGRATIONS, COMMANDS
(a list of Command) and ACTIONS (button namespace -> handler); the coach routes to
them and turns any failure into a clear sentence, never a traceback.
"""
from __future__ import annotations

import logging
import re
import sqlite3
import unicodedata
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from . import answers, content, storage, users
from .commands import Command, unreadable_number
from .config import Config
from .messages import Reply, Request, error, info

log = logging.getLogger(__name__)

# Migrations run in this order: privacy's repair the tables of the features before it. Those after
# answers are imported when a coach that chats is built: `coach ask` needs none of them, and their
# imports were a third of its start-up.
_CHAT_FEATURES = ("practice", "subscriptions", "habit", "study", "reminders", "privacy")
_features: tuple | None = None


def features() -> tuple:
    """Every feature module, in migration order."""
    global _features
    if _features is None:
        import importlib

        _features = (users, answers, *(importlib.import_module(f"{__package__}.{name}") for name in _CHAT_FEATURES))
    return _features


def __getattr__(name: str):
    if name == "FEATURES":  # the tuple this module used to build at import
        return features()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

MAX_TEXT = 10_000
# Rows a reading command writes on the side (the question log, the last answer for `more`):
# with a read-only database these writes are skipped, so questions still get answers.
SIDE_WRITES = ("answer_log", "answer_last")
_CANT_SAVE = ("I can't save anything right now, so nothing was changed — please try again later. "
              "Questions, `topics` and `help` still work.")
STORAGE_REPLIES = {
    "busy": "I'm busy right now — please try again in a moment.",
    "read_only": _CANT_SAVE,
    "full": _CANT_SAVE,
}
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff\ue000\ue001]")


MAX_NAME = 80  # Slack and Discord display names are shorter; a longer one is not a name


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def valid_unicode(text: str | None) -> str:
    """Text that can be stored and sent: surrogate pairs joined into the character they mean,
    lone surrogates (a JSON "\\ud800", bytes decoded with surrogateescape) made U+FFFD."""
    text = text or ""
    if not any("\ud800" <= ch <= "\udfff" for ch in text):
        return text
    return text.encode("utf-16-le", "surrogatepass").decode("utf-16-le", "replace")


def clean_text(text: str | None) -> str:
    """Valid, printable, NFC, trimmed, bounded: what every handler may assume about text."""
    text = unicodedata.normalize("NFC", valid_unicode(text))
    text = _CONTROL.sub(" ", text)
    return text.strip()[:MAX_TEXT]


def migrations(*, answers_only: bool = False):
    """Every feature's migration set, in order; ``answers_only``: the first ones, all that answering reads
    (the others are applied, in order, by the next start of a coach that chats)."""
    return tuple(m.MIGRATIONS for m in ((users, answers) if answers_only else features()) if hasattr(m, "MIGRATIONS"))


class Coach:
    def __init__(self, db, library: content.Library, clock: Callable[[], datetime] = utcnow,
                 config: Config | None = None, index_db=None, *, answers_only: bool = False):
        self.db = db
        self.config = config or Config()
        if index_db is None:  # the content index's SQLite: the state's own file when that is SQLite
            index_db = db if db.dialect == "sqlite" else storage.open_db(self.config.index, (answers.INDEX,))
        self.index_db = index_db
        self.library = library
        self.clock = clock
        self.commands: dict[str, Command] = {}
        self.actions: dict[str, Callable] = {}
        for feature in (users, answers) if answers_only else features():
            for command in getattr(feature, "COMMANDS", ()):
                for name in (command.name, *command.aliases):
                    self.commands[name] = command
            self.actions.update(getattr(feature, "ACTIONS", {}))
        self.commands["help"] = Command("help", _help, "help", "what I can do", ("?", "commands"), order=0)
        self.index = answers.AnswerIndex(self.index_db, library)
        self.foreign_tables: list = []  # other libraries' tables that name people (privacy.ForeignTable)

    # ------------------------------------------------------------- entry
    def handle(self, req: Request) -> list[Reply]:
        try:
            # a name is shown to others (reveals, leaderboards): no control characters, no mention marks
            req = replace(req, text=clean_text(req.text), user_name=clean_text(req.user_name)[:MAX_NAME],
                          action=valid_unicode(req.action) if req.action else req.action)
            # a person is waiting: another process's write holds us up briefly, then "busy"
            with storage.busy_timeout(self.db, storage.INTERACTIVE_BUSY_S):
                if req.action:
                    self._touch(req)
                    return self._screen(req, self._action(req))
                name, args = self.parse(req.text)
                if name is None or self.commands[name].remembers:
                    self._touch(req)
                if name is None:
                    return [info("Ask me anything about AI PM, Data Scientist PM or traditional PM careers, "
                                 "or type `help` to see what I can do.")]
                if name == "ask" and req.text.split(None, 1)[0].lower().lstrip("/!") != "ask":
                    # plain text: a feature with something open (an open drill) may take it as its reply
                    for feature in features():
                        take = getattr(feature, "take_plain_text", None)
                        taken = take(self, req) if take else None
                        if taken is not None:
                            return self._screen(req, taken)
                return self._screen(req, self.commands[name].handler(self, req, args))
        except Exception as exc:  # a user sees one sentence; the log keeps the detail
            fault = storage.fault(exc)
            if fault in STORAGE_REPLIES:
                log.warning("handling %s/%s: storage %s: %s", req.platform, (req.action or req.text)[:80], fault, exc)
                return [error(STORAGE_REPLIES[fault])]
            log.exception("handling %s/%s failed", req.platform, (req.action or req.text)[:80])
            return [error("Sorry — something went wrong on my side handling that. Nothing you've done "
                          "was lost; please try again in a moment.")]

    def _touch(self, req: Request) -> None:
        """Remember who spoke, if that can be done at once: it must never hold up or fail a request."""
        if getattr(self.db, "read_only", False):
            return
        try:
            with storage.busy_timeout(self.db, 0):
                users.touch(self, req)
        except sqlite3.OperationalError as exc:
            if storage.fault(exc) not in ("busy", "read_only", "full"):
                raise

    def parse(self, text: str) -> tuple[str | None, str]:
        """(command, rest). Plain text that isn't a command is a question: ``ask``."""
        text = text.strip()
        if text.lower().startswith("/coach"):
            text = text[len("/coach"):].strip()
        if not text:
            return None, ""
        # any whitespace ends the command word: "answer⏎<paragraph>" (Shift+Enter) is still `answer`
        first, rest = (text.split(None, 1) + [""])[:2]
        key = first.lower().lstrip("/!")
        if key in self.commands:
            return self.commands[key].name, rest.strip()
        return "ask", text

    def _screen(self, req: Request, replies: list[Reply]) -> list[Reply]:
        """Features may hold back what would spoil them (practice: an open team drill's answer)."""
        for feature in features():
            screen = getattr(feature, "screen_replies", None)
            if screen:
                replies = screen(self, req, replies)
        return replies

    def _action(self, req: Request) -> list[Reply]:
        parts = req.action.split(":")
        handler = self.actions.get(parts[0])
        if handler is None or unreadable_number(parts):
            return [error("That button is no longer active. Type `help` to see what I can do.")]
        return handler(self, req, parts)

    def visible_commands(self) -> list[Command]:
        return sorted({c.name: c for c in self.commands.values()}.values(), key=lambda c: (c.order, c.name))


def _help(coach: Coach, req: Request, args: str) -> list[Reply]:
    lines = [f"`{c.usage}` — {c.summary}" for c in coach.visible_commands()]
    return [Reply(
        title="PM Coach",
        text="I coach product managers weighing AI PM, Data Scientist PM and traditional PM roles.\n"
             "Ask a question in plain words, or use a command:\n" + "\n".join(f"- {line}" for line in lines),
        kind="info",
    )]


def open_coach(db_path: str | Path | None = None, content_root: str | Path | None = None,
               clock: Callable[[], datetime] = utcnow, config: Config | None = None, *,
               answers_only: bool = False) -> Coach:
    """Validate content, open the database with every feature's migrations, build the coach.
    ``answers_only``: a coach that only answers questions (`coach ask`), without importing the rest.

    Raises content.ContentError (with ``file:line: message`` problems) on invalid content and
    storage.StorageError (one sentence) on a database that can't be used.
    """
    config = config or Config.from_env()
    db_path = str(db_path or config.db)
    index_path = config.index if storage.is_postgres(db_path) else db_path
    # the parsed library, beside the index
    cache = Path(f"{index_path}.content.pickle") if index_path != ":memory:" else None
    library = content.load(Path(content_root) if content_root else None, cache=cache)
    db = storage.open_db(db_path, migrations(answers_only=answers_only), skip_when_read_only=SIDE_WRITES)
    if answers_only and not _built(db):
        db.close()  # a first start builds every feature's tables: the next one may find the file read-only
        answers_only = False
        db = storage.open_db(db_path, migrations(), skip_when_read_only=SIDE_WRITES)
    index_db = storage.open_db(index_path, (answers.INDEX,)) if index_path != db_path else None
    return Coach(db, library, clock=clock, config=config, index_db=index_db, answers_only=answers_only)


def _built(db) -> bool:
    """Every feature's tables were made by an earlier start (their migrations may have more steps since)."""
    try:
        applied = {row[0] for row in db.execute("SELECT DISTINCT migration_set FROM _migrations").fetchall()}
    except Exception:
        return False
    return set(_CHAT_FEATURES) <= applied
