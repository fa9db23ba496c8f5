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
                  due_only: bool = False, allow=None) -> tuple[Drill | None, bool]:
    """(drill, is_review): due reviews first, then new drills, never a recent repeat if avoidable.
    ``allow`` (habit.Allowance): today's limits; without it (a scheduled daily drill) none apply."""
    cutoff = progress.end_of_local_day(coach.clock(), tz_of(coach, platform, workspace, user))
    due = review.due_ids(coach.db, platform, workspace, user, cutoff)
    seen = review.seen_ids(coach.db, platform, workspace, user)
    suspended = review.suspended_ids(coach.db, platform, workspace, user)
    candidates = [d for d in pool(coach, track) if d.id not in suspended]
    recent = store.recent_for_user(coach.db, coach.clock(), platform, workspace, user)
    if allow is not None:
        candidates, due = habit_limits(candidates, due, seen, allow)
        if not allow.new and not due_only:  # new drills done: due reviews, not a repeat of one just seen
            candidates = [d for d in candidates if d.id not in set(recent)]
    if due_only:
        candidates = [d for d in candidates if d.id in set(due)]
    drill = drills.choose(candidates, due=due, seen=[] if due_only else seen, recent=recent,
                          seed=f"{platform}:{workspace}:{user}")
    return drill, bool(drill and drill.id in seen)


def habit_limits(candidates: list[Drill], due: list[str], seen: list[str], allow) -> tuple[list[Drill], list[str]]:
    """Today's limits: no due reviews past the review limit, nothing new past the new one. With new
    drills used up only due reviews are left (not early reviews): the day is done."""
    due_set = set(due) if allow.reviews else set()
    if not allow.reviews:
        due = []
    if not allow.new:
        candidates = [d for d in candidates if d.id in due_set]
    elif not allow.reviews:  # reviews used up: new drills only
        seen_set = set(seen)
        candidates = [d for d in candidates if d.id not in seen_set]
    return candidates, due


def next_for_channel(coach, platform: str, workspace: str, channel: str, track: str | None) -> Drill | None:
    posted = store.team_drill_ids(coach.db, platform, workspace, channel)
    return drills.choose(pool(coach, track), seen=posted[::-1], recent=posted[:TEAM_NO_REPEAT],
                         seed=f"{platform}:{workspace}:{channel}")
