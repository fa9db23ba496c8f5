"""Practice: serve drills, grade answers, schedule reviews (FSRS), stats and leaderboards.

Every served drill is a *post*: a personal one (``user`` set) from ``drill``/``review`` or a
DM subscription, or a team one (``user`` empty) that the scheduler posts in a channel for
everyone. An answer is an *attempt*, unique per (user, post).

- ``store``: the tables, as ``Post`` / ``Attempt`` dataclasses
- ``choosing``: which drill comes next, for a person or a channel
- ``render``: drill cards, feedback and reveals as Replies
- ``commands``: what people type and click
- ``conversation``: a plain reply as the answer; skip, next, hint, rate as text
- ``team``: what the scheduler calls (daily_drill, reveal_post, weekly_digest) and the leaderboard
"""
from __future__ import annotations

from . import commands, conversation, store
from .store import MIGRATIONS, Post  # noqa: F401  (the feature's migrations; the post type)
from .team import Wanted, daily_drill, daily_drills, leaderboard, reveal_post, screen_replies, weekly_digest  # noqa: F401


def get_post(coach, post_id: int) -> Post | None:
    return store.get_post(coach.db, post_id)


COMMANDS = [*commands.COMMANDS, *conversation.COMMANDS]
take_plain_text = conversation.take_plain_text
ACTIONS = {"drill": commands.route}
