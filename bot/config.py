"""Settings from the environment, read once; tests build their own Config."""
from __future__ import annotations

import os
from dataclasses import dataclass, field


def _float(name: str, default: float) -> float:
    try:
        return float(os.environ.get(name, default))
    except ValueError:
        return default


@dataclass(frozen=True)
class Config:
    db: str = "coach.db"
    # The content index is derived data, always SQLite: beside the state in the SQLite file, or in
    # this file of each machine's own when the state is in PostgreSQL (rebuilt when content changes).
    index: str = "coach-index.db"
    default_tz: str = "UTC"
    admins: frozenset[str] = field(default_factory=frozenset)  # user ids allowed to manage channel subscriptions
    admin_only_channels: bool = False
    grace_hours: float = 3.0  # missed daily posts younger than this are caught up after downtime
    reveal_hours: float = 8.0  # team drill: model answer posted this long after the daily post
    # `coach run` composes scheduled posts in a process of its own, on a second core (bot.scheduled_posts);
    # COACH_COMPOSE=thread keeps it in the scheduler's process (several processes sharing few cores)
    compose_in_process: bool = True

    @classmethod
    def from_env(cls) -> "Config":
        admins = frozenset(a.strip() for a in os.environ.get("COACH_ADMINS", "").split(",") if a.strip())
        return cls(
            db=os.environ.get("COACH_DB") or "coach.db",
            index=os.environ.get("COACH_INDEX") or "coach-index.db",
            default_tz=os.environ.get("COACH_DEFAULT_TZ") or "UTC",
            admins=admins,
            admin_only_channels=bool(admins),
            grace_hours=_float("COACH_GRACE_HOURS", 3.0),
            reveal_hours=_float("COACH_REVEAL_HOURS", 8.0),
            compose_in_process=(os.environ.get("COACH_COMPOSE") or "process").strip().lower() != "thread",
        )
