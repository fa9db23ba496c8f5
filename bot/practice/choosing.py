"""Which drill comes next: for a person (due reviews first) or for a team channel."""
from __future__ import annotations

from .. import drills, progress, review, users
from ..content import Drill
from . import store

TEAM_NO_REPEAT = 7  # a channel doesn't see a drill again within its last this-many team posts


def tz_of(coach, platform: str, workspace: str, user: str) -> str:
    return users.user_tz(coach, platform, workspace, user) or users.workspace_tz(coach, platform, workspace)


def pool(coach, track: str | None) -> list[Drill]:
    return [d for d in coach.library.drills.values() if track is None or d.track == track]


def next_for_user(coach, platform: str, workspace: str, user: str, track: str | None,
                  due_only: bool = False) -> tuple[Drill | None, bool]:
    """(drill, is_review): due reviews first, then new drills, never a recent repeat if avoidable."""
    cutoff = progress.end_of_local_day(coach.clock(), tz_of(coach, platform, workspace, user))
    due = review.due_ids(coach.db, platform, workspace, user, cutoff)
    seen = review.seen_ids(coach.db, platform, workspace, user)
    candidates = pool(coach, track)
    if due_only:
        candidates = [d for d in candidates if d.id in set(due)]
    drill = drills.choose(candidates, due=due, seen=[] if due_only else seen,
                          recent=store.recent_for_user(coach.db, coach.clock(), platform, workspace, user),
                          seed=f"{platform}:{workspace}:{user}")
    return drill, bool(drill and drill.id in seen)


def next_for_channel(coach, platform: str, workspace: str, channel: str, track: str | None) -> Drill | None:
    posted = store.team_drill_ids(coach.db, platform, workspace, channel)
    return drills.choose(pool(coach, track), seen=posted[::-1], recent=posted[:TEAM_NO_REPEAT],
                         seed=f"{platform}:{workspace}:{channel}")
