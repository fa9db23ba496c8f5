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


_READY: dict[tuple, tuple] = {}


def ready_pool(coach, track: str | None) -> drills.Pool:
    """``pool`` made ready for drills.choose once per library and track (a burst chooses thousands of times)."""
    library_drills = coach.library.drills
    got = _READY.get((id(library_drills), track))
    if got is None or got[0] is not library_drills:
        if len(_READY) > 64:  # libraries come and go in tests
            _READY.clear()
        got = _READY[(id(library_drills), track)] = (library_drills, drills.Pool(pool(coach, track)))
    return got[1]


def next_for_user(coach, platform: str, workspace: str, user: str, track: str | None,
                  due_only: bool = False, allow=None) -> tuple[Drill | None, bool]:
    """(drill, is_review): due reviews first, then new drills, never a recent repeat if avoidable.
    ``allow`` (habit.Allowance): today's limits; without it (a scheduled daily drill) none apply."""
    cutoff = review.stamp(progress.end_of_local_day(coach.clock(), tz_of(coach, platform, workspace, user)))
    cards = cards_of(coach.db, platform, workspace, [user])[user]
    recent = store.recent_for_user(coach.db, coach.clock(), platform, workspace, user)
    return choose_for_user(coach, platform, workspace, user, track, cards, recent, cutoff, due_only, allow)


def cards_of(db, platform: str, workspace: str, people: list[str]) -> dict[str, list[tuple]]:
    """Each person's review cards as (drill_id, due, suspended_at), soonest due first: review.due_ids,
    seen_ids and suspended_ids in one read (a scheduled burst reads them for a batch of people at once)."""
    out: dict[str, list[tuple]] = {user: [] for user in people}
    if people:
        for user, *card in db.execute(
                "SELECT user, drill_id, due, suspended_at FROM practice_cards WHERE platform = ? AND workspace = ? "
                f"AND user IN ({','.join('?' * len(out))}) ORDER BY user, due, drill_id",
                [platform, workspace, *out]).fetchall():
            out[user].append(tuple(card))
    return out


def choose_for_user(coach, platform: str, workspace: str, user: str, track: str | None, cards: list[tuple],
                    recent: list[str], cutoff: str, due_only: bool = False, allow=None) -> tuple[Drill | None, bool]:
    """``next_for_user`` on what was read: ``cards`` (cards_of), ``recent`` (store.recent_for_user) and
    ``cutoff``, the stamp of the end of the person's local day (a review due before it is due today)."""
    due = [d for d, when, off in cards if when is not None and when < cutoff and off is None]
    seen = [d for d, _, _ in cards]
    suspended = {d for d, _, off in cards if off is not None}
    ready = ready_pool(coach, track)
    candidates = ready if not suspended else [d for d in ready if d.id not in suspended]
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
    return choose_for_channel(coach, platform, workspace, channel, track,
                              store.team_drill_ids(coach.db, platform, workspace, channel))


def choose_for_channel(coach, platform: str, workspace: str, channel: str, track: str | None,
                       posted: list[str]) -> Drill | None:
    """``next_for_channel`` on what was read: ``posted``, the channel's team drills, most recent first."""
    return drills.choose(ready_pool(coach, track), seen=posted[::-1], recent=posted[:TEAM_NO_REPEAT],
                         seed=f"{platform}:{workspace}:{channel}")
