"""The Coach: one command grammar for every platform.

``Coach.handle(Request) -> list[Reply]``. Feature modules export MIGRATIONS, COMMANDS
(a list of Command) and ACTIONS (button namespace -> handler); the coach routes to
them and turns any failure into a clear sentence, never a traceback.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

from . import answers, content, habit, practice, privacy, reminders, storage, study, subscriptions, users
from .commands import Command
from .config import Config
from .messages import Reply, Request, error, info

log = logging.getLogger(__name__)

# Migrations run in this order: privacy's repair the tables of the features before it.
FEATURES = (users, answers, practice, subscriptions, habit, study, reminders, privacy)
MAX_TEXT = 10_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200b-\u200f\u2028-\u202e\ufeff]")


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def clean_text(text: str | None) -> str:
    """Printable, NFC, trimmed, bounded: what every handler may assume about text."""
    text = unicodedata.normalize("NFC", text or "")
    text = _CONTROL.sub(" ", text)
    return text.strip()[:MAX_TEXT]


def migrations():
    return tuple(m.MIGRATIONS for m in FEATURES if hasattr(m, "MIGRATIONS"))


class Coach:
    def __init__(self, db, library: content.Library, clock: Callable[[], datetime] = utcnow,
                 config: Config | None = None):
        self.db = db
        self.library = library
        self.clock = clock
        self.config = config or Config()
        self.commands: dict[str, Command] = {}
        self.actions: dict[str, Callable] = {}
        for feature in FEATURES:
            for command in getattr(feature, "COMMANDS", ()):
                for name in (command.name, *command.aliases):
                    self.commands[name] = command
            self.actions.update(getattr(feature, "ACTIONS", {}))
        self.commands["help"] = Command("help", _help, "help", "what I can do", ("?", "commands"), order=0)
        self.index = answers.AnswerIndex(db, library)

    # ------------------------------------------------------------- entry
    def handle(self, req: Request) -> list[Reply]:
        try:
            req = replace(req, text=clean_text(req.text))
            users.touch(self, req)
            if req.action:
                return self._screen(req, self._action(req))
            name, args = self.parse(req.text)
            if name is None:
                return [info("Ask me anything about AI PM, Data Scientist PM or traditional PM careers, "
                             "or type `help` to see what I can do.")]
            if name == "ask" and req.text.split(" ", 1)[0].lower().lstrip("/!") != "ask":
                # plain text: a feature with something open (an open drill) may take it as its reply
                for feature in FEATURES:
                    take = getattr(feature, "take_plain_text", None)
                    taken = take(self, req) if take else None
                    if taken is not None:
                        return self._screen(req, taken)
            return self._screen(req, self.commands[name].handler(self, req, args))
        except Exception:  # a user sees one sentence; the log keeps the detail
            log.exception("handling %s/%s failed", req.platform, (req.action or req.text)[:80])
            return [error("Sorry — something went wrong on my side handling that. Nothing you've done "
                          "was lost; please try again in a moment.")]

    def parse(self, text: str) -> tuple[str | None, str]:
        """(command, rest). Plain text that isn't a command is a question: ``ask``."""
        text = text.strip()
        if text.lower().startswith("/coach"):
            text = text[len("/coach"):].strip()
        if not text:
            return None, ""
        first, _, rest = text.partition(" ")
        key = first.lower().lstrip("/!")
        if key in self.commands:
            return self.commands[key].name, rest.strip()
        return "ask", text

    def _screen(self, req: Request, replies: list[Reply]) -> list[Reply]:
        """Features may hold back what would spoil them (practice: an open team drill's answer)."""
        for feature in FEATURES:
            screen = getattr(feature, "screen_replies", None)
            if screen:
                replies = screen(self, req, replies)
        return replies

    def _action(self, req: Request) -> list[Reply]:
        parts = req.action.split(":")
        handler = self.actions.get(parts[0])
        if handler is None:
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
               clock: Callable[[], datetime] = utcnow, config: Config | None = None) -> Coach:
    """Validate content, open the database with every feature's migrations, build the coach.

    Raises content.ContentError (with ``file:line: message`` problems) on invalid content.
    """
    config = config or Config.from_env()
    library = content.load(Path(content_root) if content_root else None)
    db = storage.open_db(db_path or config.db, migrations())
    return Coach(db, library, clock=clock, config=config)
