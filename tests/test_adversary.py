"""What an adversary and a demanding user tried: privacy across people, bad input, nothing double counted."""
from __future__ import annotations

import io
import json

from adapters.console import ConsoleChat

from conftest import make_request


def _records(coach, user):
    return coach.db.execute("SELECT COUNT(*) FROM users WHERE user = ?", [user]).fetchone()[0]


def test_console_someone_else_cannot_click_a_private_forget_me_button(coach):
    # Alice asks to forget her in #team; Bob, playing next, types 1. The button was shown
    # only to Alice: it must not delete Bob's data with one click and no confirmation of his own.
    out = io.StringIO()
    chat = ConsoleChat(coach, user="bob", channel="team", out=out, color=False)
    chat.feed("stats")  # Bob now has a record
    assert _records(coach, "bob") == 1
    chat.feed(":user alice")
    chat.feed("forget-me")
    chat.feed(":user bob")
    chat.feed("1")
    assert _records(coach, "bob") == 1
    assert "shown only to alice" in out.getvalue().lower()


def test_console_buttons_of_a_dm_are_not_clickable_from_another_conversation(coach):
    # Alice's DM drill buttons, then `:channel team`: the numbers belong to the DM, not to #team.
    out = io.StringIO()
    chat = ConsoleChat(coach, user="alice", out=out, color=False)
    chat.feed("drill ai-pm")
    chat.feed(":user bob")
    chat.feed("1")
    assert coach.db.execute("SELECT COUNT(*) FROM practice_attempts").fetchone()[0] == 0
    assert "shown only to alice" in out.getvalue().lower()
