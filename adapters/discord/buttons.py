"""Button and modal custom_ids that survive a restart.

A custom_id holds at most 100 characters. A short action travels inside it
(``coach:drill:choose:<id>:B``); a long action, or a button that opens a modal
(whose input label must be known after a restart too), is kept in a small table
and the custom_id carries a content-derived key (``coach#<key>``). Keys are a hash
of the content, so rendering the same button twice writes nothing new.

A button of a private reply is bound to its user: ``coach@<user id>`` before the action,
checked on click (Discord validates that a clicked custom_id is one of the message's own, so
it can't be forged). A bound button may also carry the workspace its action belongs to
(``~<guild id>`` or ``~dm``) when that is not where it is shown: a server's private result
sent by DM, or a DM subscription's Stop button under the server's slash command.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from bot.storage import Migrations

CUSTOM_ID_MAX = 100
BUTTON_PREFIX = "coach"
MODAL_PREFIX = "coachm"
# (?s): an action may in principle hold any character; fullmatch must still see it all.
_BINDING = r"(?:@(?P<user>\d{1,20})(?:~(?P<workspace>[0-9a-z]{1,20}))?)?"
BUTTON_TEMPLATE = rf"(?s)coach{_BINDING}(?P<token>[:#].+)"
_MODAL = re.compile(rf"(?s)coachm{_BINDING}(?P<token>[:#].+)")


@dataclass(frozen=True)
class Binding:
    """Who may click a button ("" = anyone) and, for them, which workspace it acts in ("" = where it is)."""
    user: str = ""
    workspace: str = ""

    @property
    def tag(self) -> str:
        if not self.user:
            return ""
        return f"@{self.user}" + (f"~{self.workspace}" if self.workspace else "")

    @classmethod
    def of(cls, match) -> "Binding":
        user = match["user"] or ""
        return cls(user, (match["workspace"] or "") if user else "")

MIGRATIONS = Migrations("discord")


@MIGRATIONS
def m001_discord_buttons(db):
    db.execute(
        "CREATE TABLE discord_buttons (key TEXT PRIMARY KEY, action TEXT NOT NULL, "
        "input_label TEXT NOT NULL DEFAULT '')"
    )


@MIGRATIONS
def m002_dm_subscriptions_live_in_the_dm(db):
    """DM subscriptions made in a server used to be stored under that server, where nothing
    typed or clicked in the DM could find them. A user's DM is one across servers, so each
    user keeps one DM subscription, in the "dm" workspace: the active one already there, else
    the most recently changed active one; the others stop."""
    if not db.has_table("subscriptions"):
        return  # a database without the core's tables (rendering tests): nothing to move
    legacy = db.execute("SELECT id, workspace, channel, active FROM subscriptions WHERE platform = 'discord' "
                        "AND is_dm = 1 AND workspace != 'dm' ORDER BY active DESC, updated_at DESC").fetchall()
    for sub_id, workspace, user, active in legacy:
        there = db.execute("SELECT id, active FROM subscriptions WHERE platform = 'discord' AND workspace = 'dm' "
                           "AND is_dm = 1 AND channel = ?", [user]).fetchone()
        if there is None:
            db.execute("UPDATE subscriptions SET workspace = 'dm' WHERE id = ?", [sub_id])
        elif active and not there[1]:  # swap places with the stopped one (the pair is unique)
            db.execute("UPDATE subscriptions SET workspace = '' WHERE id = ?", [there[0]])
            db.execute("UPDATE subscriptions SET workspace = 'dm' WHERE id = ?", [sub_id])
            db.execute("UPDATE subscriptions SET workspace = ? WHERE id = ?", [workspace, there[0]])
        elif active:
            db.execute("UPDATE subscriptions SET active = 0 WHERE id = ?", [sub_id])


class ButtonStore:
    def __init__(self, db):
        self.db = db
        MIGRATIONS.apply(db)

    def token(self, action: str, input_label: str = "", prefix: str = BUTTON_PREFIX) -> str:
        """The part of a custom_id after its prefix (and binding)."""
        inline = ":" + action
        if not input_label and len(prefix) + len(inline) <= CUSTOM_ID_MAX:
            return inline
        key = hashlib.sha256(f"{action}\x00{input_label}".encode()).hexdigest()[:24]
        self.db.execute(
            "INSERT OR IGNORE INTO discord_buttons (key, action, input_label) VALUES (?, ?, ?)",
            [key, action, input_label],
        )
        return "#" + key

    def button_id(self, action: str, input_label: str = "", binding: Binding = Binding()) -> str:
        head = BUTTON_PREFIX + binding.tag
        return head + self.token(action, input_label, head)

    def modal_id(self, action: str, binding: Binding = Binding()) -> str:
        head = MODAL_PREFIX + binding.tag
        return head + self.token(action, "", head)

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

    def resolve_modal(self, custom_id: str) -> tuple[str, Binding] | None:
        """(action, binding) of a modal's custom_id, or None when it isn't one of ours."""
        match = _MODAL.fullmatch(custom_id)
        found = self.resolve(match["token"]) if match else None
        return (found[0], Binding.of(match)) if found else None
