"""Study controls and weak areas: `suspend`, `unsuspend`, `undo`, `report`, and `drill weak`.

(`rate again|hard|good|easy` lives with the other typed practice words in practice.conversation.)

- suspend: "I know this" — the drill's card keeps its history but is never due or served again
- undo: takes back the last rating — the card returns to where it was before that answer,
  the answer itself stays counted (it happened); `rate …` then rates it afresh
- report: a note on the last drill for content authors, listed by `coach content gaps`
- weak areas: the sections and key points a person misses most, from their graded answers
  (open answers are re-graded against the drill's current key points, so a content fix shows at once)
"""
from __future__ import annotations

from collections import Counter
from functools import lru_cache
from dataclasses import dataclass

from . import drills, progress, review, users
from .commands import Command
from .messages import Reply, error, info
from .review import RATING_NAMES, stamp
from .storage import Migrations, transaction

MIGRATIONS = Migrations("study")
WEAK_WINDOW = 60  # a person's latest graded answers that weak areas are read from: old misses fade
WEAK_SHOWN = 3
MAX_REPORT = 1000


@MIGRATIONS
def m001_suspend_and_reports(db):
    db.execute("ALTER TABLE practice_cards ADD COLUMN suspended_at TEXT")
    db.execute(
        "CREATE TABLE drill_reports (id INTEGER PRIMARY KEY, platform TEXT NOT NULL, workspace TEXT NOT NULL, "
        "user TEXT NOT NULL, drill_id TEXT NOT NULL, post_id INTEGER, text TEXT NOT NULL, created_at TEXT NOT NULL)")
    db.execute("CREATE INDEX drill_reports_drill ON drill_reports (platform, workspace, drill_id)")


def _private(req) -> bool:
    return not req.is_dm


def _last_drill(coach, req):
    """(post, drill) the person is on: the open drill, else the one they answered last."""
    from .practice.commands import active_post  # practice imports this module's weak areas

    post = active_post(coach, req)
    if post is None:
        return None, None
    return post, coach.library.drills.get(post.drill_id)


def _short(drill) -> str:
    text = " ".join(drill.prompt.split())
    return f"“{text[:70]}{'…' if len(text) > 70 else ''}”"


# ------------------------------------------------------------------ suspend

def cmd_suspend(coach, req, args: str) -> list[Reply]:
    post, drill = _last_drill(coach, req)
    if drill is None:
        return [error("There's no drill to suspend yet. `suspend` works on your latest drill.")]
    now = stamp(coach.clock())
    with transaction(coach.db):
        card_json, last = review.load(coach.db, req.platform, req.workspace, req.user, drill.id)
        if card_json is None:  # never answered: a card that is never due, so it is never served
            review.save(coach.db, req.platform, req.workspace, req.user, drill.id,
                        review.new_card(coach.clock()), last, coach.clock())
        cur = coach.db.execute(
            "UPDATE practice_cards SET suspended_at = ? WHERE platform = ? AND workspace = ? AND user = ? "
            "AND drill_id = ? AND suspended_at IS NULL", [now, req.platform, req.workspace, req.user, drill.id])
    if not cur.rowcount:
        return [info(f"{_short(drill)} is already suspended. `unsuspend` brings it back.", ephemeral=_private(req))]
    return [info(f"Suspended {_short(drill)}: it won't come back for review. `unsuspend` brings it back; "
                 "`drill` for the next one.", ephemeral=_private(req))]


def cmd_unsuspend(coach, req, args: str) -> list[Reply]:
    row = coach.db.execute(
        "SELECT drill_id FROM practice_cards WHERE platform = ? AND workspace = ? AND user = ? "
        "AND suspended_at IS NOT NULL ORDER BY suspended_at DESC, drill_id DESC LIMIT 1",
        [req.platform, req.workspace, req.user]).fetchone()
    if row is None:
        return [info("You have no suspended drills.", ephemeral=_private(req))]
    coach.db.execute("UPDATE practice_cards SET suspended_at = NULL WHERE platform = ? AND workspace = ? "
                     "AND user = ? AND drill_id = ?", [req.platform, req.workspace, req.user, row[0]])
    drill = coach.library.drills.get(row[0])
    name = _short(drill) if drill else row[0]
    return [info(f"Back in your reviews: {name}.", ephemeral=_private(req))]


# ------------------------------------------------------------------ undo

def cmd_undo(coach, req, args: str) -> list[Reply]:
    db = coach.db
    with transaction(db):
        row = db.execute(
            "SELECT id, drill_id, rating, card_before, answered_at FROM practice_attempts WHERE platform = ? "
            "AND workspace = ? AND user = ? AND kind != 'skip' ORDER BY id DESC LIMIT 1",
            [req.platform, req.workspace, req.user]).fetchone()
        if row is None:
            return [error("There's nothing to undo: you haven't rated a drill yet.")]
        attempt_id, drill_id, rating, card_before, answered_at = row
        if rating not in RATING_NAMES:
            return [info("Nothing to undo: your last rating is already undone. Rate it with `rate good` "
                         "(or again, hard, easy).", ephemeral=_private(req))]
        _, last = review.load(db, req.platform, req.workspace, req.user, drill_id)
        if last != attempt_id:
            return [error("Nothing to undo: that drill has been reviewed again since.")]
        when = review.parse_stamp(answered_at)
        card = review.card_from_json(card_before, when)
        review.save(db, req.platform, req.workspace, req.user, drill_id, card, attempt_id, coach.clock())
        db.execute("UPDATE practice_attempts SET rating = 0 WHERE id = ?", [attempt_id])
    drill = coach.library.drills.get(drill_id)
    name = _short(drill) if drill else drill_id
    return [info(f"Undone: your **{RATING_NAMES[rating]}** rating of {name}. Its review is back where it was "
                 "before you answered; rate it again with `rate again`, `rate hard`, `rate good` or `rate easy`.",
                 ephemeral=_private(req))]


# ------------------------------------------------------------------ report

def cmd_report(coach, req, args: str) -> list[Reply]:
    text = args.strip()
    if text.endswith("?") and (ask := coach.commands.get("ask")):  # "report writing for PMs?" is a question
        return ask.handler(coach, req, req.text)
    if not text:
        return [error("Say what's wrong after the word, e.g. `report choice C is also correct`. Nothing was sent.")]
    post, drill = _last_drill(coach, req)
    if post is None:
        return [error("There's no drill to report yet: `report` is about your latest drill.")]
    coach.db.execute(
        "INSERT INTO drill_reports (platform, workspace, user, drill_id, post_id, text, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)", [req.platform, req.workspace, req.user, post.drill_id, post.id,
                                        text[:MAX_REPORT], stamp(coach.clock())])
    name = _short(drill) if drill else post.drill_id
    cut = f" I kept the first {MAX_REPORT:,} characters." if len(text) > MAX_REPORT else ""
    return [info(f"Thanks — I've passed your report on {name} to the content authors.{cut}", ephemeral=_private(req))]


def reports(db) -> list[tuple]:
    """[(platform, workspace, drill_id, count, last_seen, latest text)] most reported first."""
    return db.execute(
        "SELECT platform, workspace, drill_id, COUNT(*), MAX(created_at), "
        "(SELECT text FROM drill_reports r2 WHERE r2.platform = r.platform AND r2.workspace = r.workspace "
        "AND r2.drill_id = r.drill_id ORDER BY id DESC LIMIT 1) FROM drill_reports r "
        "GROUP BY platform, workspace, drill_id ORDER BY platform, workspace, COUNT(*) DESC, MAX(created_at) DESC"
    ).fetchall()


def reports_lines(coach) -> list[str]:
    """The drill reports part of `coach content gaps`."""
    lines, scope = [], None
    for platform, workspace, drill_id, n, last, text in reports(coach.db):
        if (platform, workspace) != scope:
            scope = (platform, workspace)
            lines.append(f"\n== drill reports: {platform} / {workspace} ==")
        drill = coach.library.drills.get(drill_id)
        where = f" ({drill.article} › {drill.section})" if drill else " (no longer in the library)"
        lines.append(f"{n}× (reported; last seen {last}) drill {drill_id}{where}: {text!r}")
    return lines


# ------------------------------------------------------------------ weak areas

@dataclass(frozen=True)
class Weak:
    sections: list[tuple[str, str, int, int]]  # (article slug, section, missed, tried), weakest first
    points: list[tuple[str, int]]  # (key point, times missed), most missed first


@lru_cache(maxsize=4096)
def _missed(drill, answer: str, source: str) -> tuple[str, ...]:
    """The key points an answer missed. Grading is deterministic, and stats (and the Slack Home tab,
    refreshed after every practice click) read the same answers again and again: remembered."""
    grade = drills.grade(drill, answer, source)
    return tuple(p.point for p in (grade.missed if grade else ()))


def weak_areas(coach, platform: str, workspace: str, user: str) -> Weak:
    rows = coach.db.execute(
        "SELECT drill_id, kind, correct, answer FROM practice_attempts WHERE platform = ? AND workspace = ? "
        "AND user = ? AND kind IN ('answer', 'reveal') ORDER BY id DESC LIMIT ?",
        [platform, workspace, user, WEAK_WINDOW]).fetchall()
    missed, tried, points = Counter(), Counter(), Counter()
    for drill_id, kind, correct, answer in rows:
        drill = coach.library.drills.get(drill_id)
        if drill is None:
            continue
        key = (drill.article, drill.section)
        tried[key] += 1
        if not correct:
            missed[key] += 1
        if drill.type != "mcq":
            if kind == "reveal" or not answer:
                points.update(p.point for p in drill.key_points)
            else:
                section = coach.library.section_for(drill)
                points.update(_missed(drill, answer, section.body if section else ""))
    sections = sorted(((a, s, missed[(a, s)], tried[(a, s)]) for a, s in missed),
                      key=lambda x: (-x[2], -x[2] / x[3], x[0], x[1]))
    return Weak(sections, sorted(points.items(), key=lambda kv: (-kv[1], kv[0])))


def weak_text(coach, weak: Weak) -> str:
    if not weak.sections and not weak.points:
        return "Nothing stands out yet — answer a few drills and the sections you miss show up here."
    lines = []
    for article, section, n, of in weak.sections[:WEAK_SHOWN]:
        title = coach.library.articles[article].title if article in coach.library.articles else article
        lines.append(f"- {title} › {section}: missed {n} of {of}")
    for point, n in weak.points[:WEAK_SHOWN]:
        lines.append(f"- Key point missed {n}×: {point}")
    return "\n".join(lines) + "\n`drill weak` practises these first."


def drill_weak(coach, req) -> list[Reply]:
    """`drill weak`: the next drill from the person's weakest sections (due first, then new ones there)."""
    from .practice import store
    from .practice.commands import serve

    weak = weak_areas(coach, req.platform, req.workspace, req.user)
    if not weak.sections:
        return [info("No weak areas yet: you haven't missed anything lately. Type `drill` for the next one.",
                     ephemeral=_private(req))]
    tz = users.effective_tz(coach, req)
    suspended = review.suspended_ids(coach.db, req.platform, req.workspace, req.user)
    recent = store.recent_for_user(coach.db, coach.clock(), req.platform, req.workspace, req.user)
    due = review.due_ids(coach.db, req.platform, req.workspace, req.user,
                         progress.end_of_local_day(coach.clock(), tz))
    seen = review.seen_ids(coach.db, req.platform, req.workspace, req.user)
    for article, section, _, _ in weak.sections:  # weakest section first
        pool = [d for d in coach.library.drills.values() if d.article == article and d.section == section
                and d.id not in suspended]
        drill = drills.choose(pool, due=due, seen=seen, recent=recent, seed=f"{req.platform}:{req.user}")
        if drill is not None and (drill.id not in recent or len(pool) == 1):
            return serve(coach, req, None, drill=drill)
    return [info("You've practised every drill in your weak areas in the last 12 hours. Type `drill` for "
                 "something else.", ephemeral=_private(req))]


COMMANDS = [
    Command("suspend", cmd_suspend, "suspend", "I know this: your latest drill never comes back", order=26),
    Command("unsuspend", cmd_unsuspend, "unsuspend", "bring back the drill you suspended last", order=27),
    Command("undo", cmd_undo, "undo", "take back your last rating", order=28),
    Command("report", cmd_report, "report <what's wrong>", "tell the content authors about a problem with your "
            "latest drill", order=29),
]
ACTIONS: dict = {}
