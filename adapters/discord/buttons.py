"""Button and modal custom_ids that survive a restart.

A custom_id holds at most 100 characters. A short action travels inside it
(``coach:drill:choose:<id>:B``); a long action, or a button that opens a modal
(whose input label must be known after a restart too), is kept in a small table
and the custom_id carries a content-derived key (``coach#<key>``). Keys are a hash
of the content, so rendering the same button twice writes nothing new.
"""
from __future__ import annotations

import hashlib

from bot.storage import Migrations

CUSTOM_ID_MAX = 100
BUTTON_PREFIX = "coach"
MODAL_PREFIX = "coachm"
# (?s): an action may in principle hold any character; fullmatch must still see it all.
BUTTON_TEMPLATE = r"(?s)coach(?P<token>[:#].+)"

MIGRATIONS = Migrations("discord")


@MIGRATIONS
def m001_discord_buttons(db):
    db.execute(
        "CREATE TABLE discord_buttons (key TEXT PRIMARY KEY, action TEXT NOT NULL, "
        "input_label TEXT NOT NULL DEFAULT '')"
    )


class ButtonStore:
    def __init__(self, db):
        self.db = db
        MIGRATIONS.apply(db)

    def token(self, action: str, input_label: str = "", prefix: str = BUTTON_PREFIX) -> str:
        """The part of a custom_id after its prefix."""
        inline = ":" + action
        if not input_label and len(prefix) + len(inline) <= CUSTOM_ID_MAX:
            return inline
        key = hashlib.sha256(f"{action}\x00{input_label}".encode()).hexdigest()[:24]
        self.db.execute(
            "INSERT OR IGNORE INTO discord_buttons (key, action, input_label) VALUES (?, ?, ?)",
            [key, action, input_label],
        )
        return "#" + key

    def button_id(self, action: str, input_label: str = "") -> str:
        return BUTTON_PREFIX + self.token(action, input_label, BUTTON_PREFIX)

    def modal_id(self, action: str) -> str:
        return MODAL_PREFIX + self.token(action, "", MODAL_PREFIX)

    def resolve(self, token: str) -> tuple[str, str] | None:
        """(action, input_label) for a token, or None when the key is unknown."""
        if token.startswith(":"):
            return token[1:], ""
        if token.startswith("#"):
            row = self.db.execute(
                "SELECT action, input_label FROM discord_buttons WHERE key = ?", [token[1:]]
            ).fetchone()
            return (row[0], row[1]) if row else None
        return None

    def resolve_modal(self, custom_id: str) -> str | None:
        if not custom_id.startswith(MODAL_PREFIX):
            return None
        found = self.resolve(custom_id[len(MODAL_PREFIX):])
        return found[0] if found else None
