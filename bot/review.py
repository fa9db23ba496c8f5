"""Spaced repetition: one FSRS card per (platform, workspace, user, drill).

The card lives as JSON (``Card.to_dict``) with its due time copied into a column so
"what is due" is one indexed query. "Due" means due before the end of the user's local
today (a card reviewed at 09:05 is ready for tomorrow's 09:00 post). One short learning
and relearning step: a drill missed (Again) is due again the same day, so it comes back
later today (after the 12-hour no-repeat, or once nothing else is left) or tomorrow,
instead of days later; a correct answer graduates at once.

A suspended card (``suspend``: "I know this") keeps its history but is never due or served.

fsrs is imported lazily: only drill answers need it, and ``coach ask`` must start fast.
"""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from functools import lru_cache

RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}
LEARNING_STEP = timedelta(minutes=10)


def stamp(dt: datetime) -> str:
    """One fixed-width UTC text form, so columns compare correctly as strings."""
    # isoformat is twice as fast as strftime and gives the same text from the year 1000 on
    return dt.astimezone(timezone.utc).isoformat(timespec="seconds")[:19] + "Z"


def parse_stamp(text: str) -> datetime:
    # fromisoformat is ~50x faster than strptime, which streaks over a long history feel
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(timezone.utc)


@lru_cache(maxsize=1)
def scheduler():
    from fsrs import Scheduler

    # No fuzzing: the same answers give the same schedule, which users and tests can follow.
    return Scheduler(learning_steps=(LEARNING_STEP,), relearning_steps=(LEARNING_STEP,), enable_fuzzing=False)


def new_card(now: datetime):
    from fsrs import Card

    # An explicit id: fsrs would otherwise derive one from the wall clock and sleep 1 ms.
    return Card(card_id=1, due=now)


def card_from_json(text: str | None, now: datetime):
    from fsrs import Card

    return Card.from_dict(json.loads(text)) if text else new_card(now)


def card_to_json(card) -> str:
    return json.dumps(card.to_dict(), sort_keys=True)


def review(card, rating: int, when: datetime):
    from fsrs import Rating

    card, _log = scheduler().review_card(card, Rating(rating), when)
    return card


def load(db, platform: str, workspace: str, user: str, drill_id: str) -> tuple[str | None, int | None]:
    """(card JSON or None, id of the attempt that last moved it)."""
    row = db.execute(
        "SELECT card, last_attempt FROM practice_cards WHERE platform = ? AND workspace = ? AND user = ? "
        "AND drill_id = ?", [platform, workspace, user, drill_id]).fetchone()
    return (row[0], row[1]) if row else (None, None)


def save(db, platform: str, workspace: str, user: str, drill_id: str, card, attempt_id: int, now: datetime) -> None:
    """Upsert the card; call inside the transaction that recorded the attempt."""
    db.execute(
        "INSERT INTO practice_cards (platform, workspace, user, drill_id, card, due, last_attempt, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (platform, workspace, user, drill_id) DO UPDATE SET "
        "card = excluded.card, due = excluded.due, last_attempt = excluded.last_attempt, "
        "updated_at = excluded.updated_at",
        [platform, workspace, user, drill_id, card_to_json(card), stamp(card.due), attempt_id, stamp(now)])


def due_ids(db, platform: str, workspace: str, user: str, before: datetime) -> list[str]:
    """Drills due before ``before``, most overdue first."""
    rows = db.execute(
        "SELECT drill_id FROM practice_cards WHERE platform = ? AND workspace = ? AND user = ? AND due < ? "
        f"AND {NOT_SUSPENDED} ORDER BY due, drill_id", [platform, workspace, user, stamp(before)]).fetchall()
    return [r[0] for r in rows]


def seen_ids(db, platform: str, workspace: str, user: str) -> list[str]:
    """Every drill with a card, soonest next review first."""
    rows = db.execute(
        "SELECT drill_id FROM practice_cards WHERE platform = ? AND workspace = ? AND user = ? ORDER BY due, drill_id",
        [platform, workspace, user]).fetchall()
    return [r[0] for r in rows]


def next_due(db, platform: str, workspace: str, user: str, after: datetime) -> datetime | None:
    row = db.execute(
        "SELECT MIN(due) FROM practice_cards WHERE platform = ? AND workspace = ? AND user = ? AND due >= ? "
        f"AND {NOT_SUSPENDED}",
        [platform, workspace, user, stamp(after)]).fetchone()
    return parse_stamp(row[0]) if row and row[0] else None


# ``suspended_at`` is added to practice_cards by bot/study.py's migration (see suspend).
NOT_SUSPENDED = "suspended_at IS NULL"


def suspended_ids(db, platform: str, workspace: str, user: str) -> set[str]:
    return {r[0] for r in db.execute(
        "SELECT drill_id FROM practice_cards WHERE platform = ? AND workspace = ? AND user = ? "
        "AND suspended_at IS NOT NULL", [platform, workspace, user])}
