"""Practice: serve drills, grade answers, schedule reviews (FSRS), stats and leaderboards.

Every served drill is a *post* (a row in ``practice_posts``): a personal one (``user``
set) from ``drill``/``review`` or a DM subscription, or a team one (``user`` empty) that
the scheduler posts in a channel for everyone. An answer is an *attempt*, unique per
(user, post): that constraint, written with INSERT OR IGNORE inside BEGIN IMMEDIATE, is
what makes double clicks and racing answers count once.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from . import drills, grading, progress, review, users
from .commands import Command
from .content import Drill
from .drills import LETTERS, TRACK_NAMES, Grade
from .messages import Button, Citation, Reply, error, info
from .review import RATING_NAMES, stamp
from .storage import Migrations, transaction

MIGRATIONS = Migrations("practice")
RECENT_HOURS = 12  # a drill served or answered this recently is not served again if anything else is left
TEAM_NO_REPEAT = 7  # a channel doesn't see a drill again within its last this-many team posts


@MIGRATIONS
def m001_practice(db):
    db.execute(
        "CREATE TABLE practice_posts (id INTEGER PRIMARY KEY, platform TEXT NOT NULL, workspace TEXT NOT NULL, "
        "channel TEXT NOT NULL, user TEXT NOT NULL DEFAULT '', drill_id TEXT NOT NULL, post_key TEXT, "
        "created_at TEXT NOT NULL, revealed_at TEXT, UNIQUE (platform, workspace, post_key))")
    db.execute("CREATE INDEX practice_posts_user ON practice_posts (platform, workspace, user, id)")
    db.execute("CREATE INDEX practice_posts_channel ON practice_posts (platform, workspace, channel, user, id)")
    db.execute(
        "CREATE TABLE practice_attempts (id INTEGER PRIMARY KEY, platform TEXT NOT NULL, workspace TEXT NOT NULL, "
        "channel TEXT NOT NULL, user TEXT NOT NULL, drill_id TEXT NOT NULL, post_id INTEGER NOT NULL, "
        "track TEXT NOT NULL, kind TEXT NOT NULL, choice TEXT, answer TEXT, score INTEGER NOT NULL, "
        "correct INTEGER NOT NULL, rating INTEGER NOT NULL, card_before TEXT, answered_at TEXT NOT NULL, "
        "UNIQUE (platform, workspace, user, post_id))")
    db.execute("CREATE INDEX practice_attempts_user ON practice_attempts (platform, workspace, user, drill_id)")
    db.execute("CREATE INDEX practice_attempts_channel ON practice_attempts (platform, workspace, channel, answered_at)")
    db.execute(
        "CREATE TABLE practice_cards (platform TEXT NOT NULL, workspace TEXT NOT NULL, user TEXT NOT NULL, "
        "drill_id TEXT NOT NULL, card TEXT NOT NULL, due TEXT NOT NULL, last_attempt INTEGER, "
        "updated_at TEXT NOT NULL, PRIMARY KEY (platform, workspace, user, drill_id))")
    db.execute("CREATE INDEX practice_cards_due ON practice_cards (platform, workspace, user, due)")


# ------------------------------------------------------------------ posts

_POST_COLS = "id, platform, workspace, channel, user, drill_id, post_key, created_at, revealed_at"


def _post_row(row) -> dict | None:
    return dict(zip(_POST_COLS.split(", "), row)) if row else None


def get_post(coach, post_id: int) -> dict | None:
    return _post_row(coach.db.execute(f"SELECT {_POST_COLS} FROM practice_posts WHERE id = ?", [post_id]).fetchone())


def _register(coach, platform: str, workspace: str, channel: str, user: str, drill_id: str,
              post_key: str | None = None) -> int:
    """Insert a post; with a post_key, the existing post for that key wins a race."""
    with transaction(coach.db):
        cur = coach.db.execute(
            "INSERT OR IGNORE INTO practice_posts (platform, workspace, channel, user, drill_id, post_key, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", [platform, workspace, channel, user, drill_id, post_key,
                                             stamp(coach.clock())])
        if cur.rowcount:
            return cur.lastrowid
        return coach.db.execute("SELECT id FROM practice_posts WHERE platform = ? AND workspace = ? AND post_key = ?",
                                [platform, workspace, post_key]).fetchone()[0]


def _answered(coach, post_id: int, user: str) -> str | None:
    row = coach.db.execute("SELECT kind FROM practice_attempts WHERE post_id = ? AND user = ?",
                           [post_id, user]).fetchone()
    return row[0] if row else None


def _active_post(coach, req) -> dict | None:
    """The drill a typed `answer`/`reveal` is about: in a channel, its team drill while still
    open to you, unless you asked for a drill of your own here since and haven't answered it;
    otherwise your most recent drill."""
    db = coach.db
    mine = _post_row(db.execute(
        f"SELECT {_POST_COLS} FROM practice_posts WHERE platform = ? AND workspace = ? AND user = ? "
        "ORDER BY id DESC LIMIT 1", [req.platform, req.workspace, req.user]).fetchone())
    if not req.is_dm:
        team = _post_row(db.execute(
            f"SELECT {_POST_COLS} FROM practice_posts WHERE platform = ? AND workspace = ? AND channel = ? "
            "AND user = '' ORDER BY id DESC LIMIT 1", [req.platform, req.workspace, req.channel]).fetchone())
        if team and not team["revealed_at"] and not _answered(coach, team["id"], req.user):
            newer_here = (mine and mine["id"] > team["id"] and mine["channel"] == req.channel
                          and not _answered(coach, mine["id"], req.user))
            return mine if newer_here else team
        if mine is None:
            return team
    return mine


def _tz(coach, platform: str, workspace: str, user: str) -> str:
    return users.user_tz(coach, platform, workspace, user) or users.workspace_tz(coach, platform, workspace)


# ----------------------------------------------------------------- choose

def _pool(coach, track: str | None) -> list[Drill]:
    return [d for d in coach.library.drills.values() if track is None or d.track == track]


def _recent_for_user(coach, platform: str, workspace: str, user: str) -> list[str]:
    since = stamp(coach.clock() - timedelta(hours=RECENT_HOURS))
    rows = coach.db.execute(
        "SELECT drill_id, t FROM (SELECT drill_id, created_at AS t FROM practice_posts WHERE platform = ? "
        "AND workspace = ? AND user = ? AND created_at >= ? UNION ALL SELECT drill_id, answered_at AS t "
        "FROM practice_attempts WHERE platform = ? AND workspace = ? AND user = ? AND answered_at >= ?) "
        "ORDER BY t DESC", [platform, workspace, user, since] * 2).fetchall()
    return list(dict.fromkeys(r[0] for r in rows))


def next_for_user(coach, platform: str, workspace: str, user: str, track: str | None,
                  due_only: bool = False) -> tuple[Drill | None, bool]:
    """(drill, is_review): due reviews first, then new drills, never a recent repeat if avoidable."""
    cutoff = progress.end_of_local_day(coach.clock(), _tz(coach, platform, workspace, user))
    due = review.due_ids(coach.db, platform, workspace, user, cutoff)
    seen = review.seen_ids(coach.db, platform, workspace, user)
    pool = _pool(coach, track)
    if due_only:
        pool = [d for d in pool if d.id in set(due)]
    drill = drills.choose(pool, due=due, seen=[] if due_only else seen,
                          recent=_recent_for_user(coach, platform, workspace, user), seed=f"{platform}:{workspace}:{user}")
    return drill, bool(drill and drill.id in seen)


def _next_for_channel(coach, platform: str, workspace: str, channel: str, track: str | None) -> Drill | None:
    rows = coach.db.execute(
        "SELECT drill_id FROM practice_posts WHERE platform = ? AND workspace = ? AND channel = ? AND user = '' "
        "ORDER BY id DESC", [platform, workspace, channel]).fetchall()
    posted = list(dict.fromkeys(r[0] for r in rows))
    return drills.choose(_pool(coach, track), seen=posted[::-1], recent=posted[:TEAM_NO_REPEAT],
                         seed=f"{platform}:{workspace}:{channel}")


# ----------------------------------------------------------------- render

def _citation(coach, drill: Drill) -> Citation:
    article = coach.library.articles.get(drill.article)
    return Citation(drill.article, article.title if article else drill.article, drill.section)


def _excerpt(coach, drill: Drill, limit: int = 420) -> str:
    section = coach.library.section_for(drill)
    body = " ".join((section.body if section else "").split())
    if len(body) <= limit:
        return body
    cut = body[:limit]
    end = max(cut.rfind(". "), cut.rfind("? "))
    return cut[:end + 1] if end > limit // 2 else cut.rsplit(" ", 1)[0] + "…"


def _stars(drill: Drill) -> str:
    return "●" * drill.difficulty + "○" * (3 - drill.difficulty)


def render_drill(coach, drill: Drill, post_id: int, *, heading: str = "Drill", ephemeral: bool = False,
                 note: str = "") -> Reply:
    parts = []
    if drill.situation:
        parts.append(f"_{drill.situation}_")
    parts.append(drill.prompt)
    if drill.type == "mcq":
        parts.append("\n".join(f"**{LETTERS[i]}.** {c}" for i, c in enumerate(drill.choices)))
        buttons = tuple(Button(LETTERS[i], f"drill:choose:{drill.id}:{LETTERS[i]}:{post_id}")
                        for i in range(len(drill.choices)))
        hint = "Click a letter (or type `answer B`)."
    else:
        buttons = (Button("Answer", f"drill:answer:{drill.id}:{post_id}", style="primary", input_label="Your answer"),)
        hint = "Type `answer <your answer>` (or click Answer). I grade it against the article's key points."
    buttons += (Button("Reveal", f"drill:reveal:{drill.id}:{post_id}"),)
    parts.append(f"_{note or hint}_")
    title = f"{heading} · {TRACK_NAMES.get(drill.track, drill.track)} · {_stars(drill)}"
    return Reply(title=title, text="\n\n".join(parts), buttons=buttons, ephemeral=ephemeral, kind="drill")


def _rate_buttons(drill: Drill, suggested: int) -> tuple[Button, ...]:
    return tuple(Button(name, f"drill:rate:{drill.id}:{n}", style="primary" if n == suggested else "")
                 for n, name in RATING_NAMES.items()) + (Button("Next drill", "drill:next"),)


def _choice_line(drill: Drill, letter: str) -> str:
    i = LETTERS.index(letter)
    return f"**{letter}.** {drill.choices[i]}" if i < len(drill.choices) else letter


def _answer_fields(coach, drill: Drill, grade: Grade | None) -> list[tuple[str, str]]:
    fields = []
    if drill.type == "mcq":
        if grade is not None:
            fields.append(("You chose", _choice_line(drill, grade.choice)))
        fields.append(("Answer", _choice_line(drill, drill.answer_letter)))
    else:
        if grade is not None:
            section = coach.library.section_for(drill)
            fields.extend(grading.feedback(grade, section.body if section else ""))
        else:
            fields.append(("Key points", "\n".join(f"- {p.point}" for p in drill.key_points)))
        fields.append(("Model answer", drill.model_answer))
    excerpt = _excerpt(coach, drill)
    if excerpt:
        fields.append(("From the article", excerpt))
    return fields


def render_result(coach, drill: Drill, grade: Grade | None, *, ephemeral: bool) -> Reply:
    """Feedback on one answer (grade None: the user chose to reveal)."""
    if grade is None:
        title, text, suggested = "The answer", drill.explanation, 1
    elif drill.type == "mcq":
        title = "✅ Correct" if grade.correct else f"❌ Not quite — the answer is {drill.answer_letter}"
        text, suggested = drill.explanation, grade.rating
    else:
        mark = "✅" if grade.correct else ("🟨" if grade.score >= 30 else "❌")
        title = f"{mark} {grade.score}/100 — you covered {len(grade.hit)} of {len(drill.key_points)} key points"
        if grade.partial:
            title += f" ({len(grade.partial)} more in part)"
        if grade.contradicted:
            title += f" and contradicted {len(grade.contradicted)}"
        text, suggested = "", grade.rating
    prompt = f"Rate it to set when this comes back for review (I'd say **{RATING_NAMES[suggested]}**)."
    return Reply(title=title, text="\n\n".join(t for t in (text, prompt) if t),
                 fields=tuple(_answer_fields(coach, drill, grade)), citation=_citation(coach, drill),
                 buttons=_rate_buttons(drill, suggested), ephemeral=ephemeral, kind="result",
                 score=grade.score if grade else None)


def _when(coach, due: datetime, tz: str) -> str:
    zone = ZoneInfo(tz)
    today = coach.clock().astimezone(zone).date()
    day = due.astimezone(zone).date()
    if day <= today:
        return "today"
    if day == today + timedelta(days=1):
        return "tomorrow"
    return f"in {(day - today).days} days ({day.strftime('%a %d %b')})"


# ---------------------------------------------------------------- answer

STALE = "That drill is no longer in the library (the content changed). Type `drill` for a new one."


def _submit(coach, req, post: dict, drill: Drill, *, text: str | None = None, letter: str | None = None,
            reveal: bool = False) -> list[Reply]:
    team = post["user"] == ""
    if team and post["revealed_at"]:
        return [error("The answer to this drill has already been revealed, so answers are closed. "
                      "Type `drill` for one of your own.")]
    if reveal:
        grade, kind, rating = None, "reveal", 1
    elif drill.type != "mcq" and not letter and drills.parse_choice(text or ""):
        return [error("This one is an open question: answer in your own words, e.g. `answer <your answer>`, "
                      "or click Answer.")]
    else:
        section = coach.library.section_for(drill)
        grade = (drills.grade_mcq(drill, letter) if letter
                 else drills.grade(drill, text or "", section.body if section else ""))
        if grade is None:
            return [error("This one is multiple choice: answer with a letter, e.g. `answer B`, or click a choice.")]
        if grade.needs_sentences:  # a bare list of terms: not graded, not recorded, the drill stays open
            return [error(grading.SENTENCES_PLEASE, score=grade.score)]
        kind, rating = "answer", grade.rating
    now = coach.clock()
    channel = post["channel"] if team else req.channel
    db = coach.db
    with transaction(db):
        card_json, _ = review.load(db, req.platform, req.workspace, req.user, drill.id)
        cur = db.execute(
            "INSERT OR IGNORE INTO practice_attempts (platform, workspace, channel, user, drill_id, post_id, track, "
            "kind, choice, answer, score, correct, rating, card_before, answered_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [req.platform, req.workspace, channel, req.user, drill.id, post["id"], drill.track, kind,
             (grade.choice or None) if grade else None, text if grade and not grade.choice else None,
             grade.score if grade else 0, int(bool(grade and grade.correct)), rating, card_json, stamp(now)])
        inserted = cur.rowcount == 1
        if inserted:
            card = review.review(review.card_from_json(card_json, now), rating, now)
            review.save(db, req.platform, req.workspace, req.user, drill.id, card, cur.lastrowid, now)
    if not inserted:
        seen = _answered(coach, post["id"], req.user)
        what = "already saw the answer to" if seen == "reveal" else "already answered"
        return [error(f"You {what} this one. Type `drill` for the next one.")]
    ephemeral = not req.is_dm
    replies = [render_result(coach, drill, grade, ephemeral=ephemeral)]
    if team and kind == "answer":
        name = users.display_name(coach, req.platform, req.workspace, req.user)
        replies.append(Reply(text=f"{name} answered.", kind="info"))
    return replies


def _post_for_action(coach, req, drill_id: str, post_part: str | None) -> tuple[dict | None, list[Reply]]:
    """The post a button refers to, or the error to show instead."""
    if drill_id not in coach.library.drills:
        return None, [error(STALE)]
    if post_part:
        if not post_part.isdigit():
            return None, [error("That button is broken. Type `drill` for a new drill.")]
        post = get_post(coach, int(post_part))
        if (post is None or post["platform"] != req.platform or post["workspace"] != req.workspace
                or post["drill_id"] != drill_id):
            return None, [error("I can't find that drill any more. Type `drill` for a new one.")]
        if post["user"] and post["user"] != req.user:
            return None, [error("That drill was sent to someone else. Type `drill` for one of your own.")]
        return post, []
    # A button without a post id: the latest showing of this drill to you (or in this channel).
    post = _post_row(coach.db.execute(
        f"SELECT {_POST_COLS} FROM practice_posts WHERE platform = ? AND workspace = ? AND drill_id = ? "
        "AND (user = ? OR (user = '' AND channel = ?)) ORDER BY id DESC LIMIT 1",
        [req.platform, req.workspace, drill_id, req.user, req.channel]).fetchone())
    if post is None:
        post = get_post(coach, _register(coach, req.platform, req.workspace, req.channel, req.user, drill_id))
    return post, []


# --------------------------------------------------------------- commands

def _serve(coach, req, track: str | None, *, due_only: bool = False, drill: Drill | None = None) -> list[Reply]:
    is_review = False
    if drill is None:
        drill, is_review = next_for_user(coach, req.platform, req.workspace, req.user, track, due_only)
    if drill is None:
        if due_only:
            return [_nothing_due(coach, req)]
        name = TRACK_NAMES.get(track, track)
        return [info(f"There are no drills for {name} yet. Type `drill` for any track.")]
    post_id = _register(coach, req.platform, req.workspace, req.channel, req.user, drill.id)
    return [render_drill(coach, drill, post_id, heading="Review" if is_review else "Drill", ephemeral=not req.is_dm)]


def _nothing_due(coach, req) -> Reply:
    tz = users.effective_tz(coach, req)
    nxt = review.next_due(coach.db, req.platform, req.workspace, req.user,
                          progress.end_of_local_day(coach.clock(), tz))
    later = f" Your next review is {_when(coach, nxt, tz)}." if nxt else ""
    return info(f"Nothing is due for review today.{later} Type `drill` for something new.",
                ephemeral=not req.is_dm)


def _question_instead(coach, req, args: str) -> list[Reply] | None:
    """'review cycles for an AI PM?' is a question, not a track: several words that aren't
    a track go to ``ask`` rather than earning an error."""
    ask = coach.commands.get("ask")
    if ask is None or len(args.split()) < 3:
        return None
    return ask.handler(coach, req, req.text)


def _unknown_track(args: str) -> Reply:
    shown = args[:40] + ("…" if len(args) > 40 else "")
    return error(f"I don't know the track '{shown}'. Tracks: {drills.track_list()} "
                 "(or `ai`, `ds`, `data science`, `traditional`).")


def cmd_drill(coach, req, args: str) -> list[Reply]:
    args = args.strip()
    if args and args.lower() in coach.library.drills:
        return _serve(coach, req, None, drill=coach.library.drills[args.lower()])
    track = drills.resolve_track(args) if args else None
    if args and track is None:
        return _question_instead(coach, req, args) or [_unknown_track(args)]
    return _serve(coach, req, track)


def cmd_review(coach, req, args: str) -> list[Reply]:
    track = drills.resolve_track(args) if args.strip() else None
    if args.strip() and track is None:
        return _question_instead(coach, req, args) or [_unknown_track(args)]
    return _serve(coach, req, track, due_only=True)


def _submit_to_open_drill(coach, req, **how) -> list[Reply]:
    post = _active_post(coach, req)
    if post is None:
        return [error("You have no drill open. Type `drill` to get one.")]
    drill = coach.library.drills.get(post["drill_id"])
    if drill is None:
        return [error(STALE)]
    return _submit(coach, req, post, drill, **how)


def cmd_answer(coach, req, args: str) -> list[Reply]:
    if not args.strip():
        return [error("Put your answer after the word: `answer B` for multiple choice, or "
                      "`answer <your words>` for an open drill.")]
    return _submit_to_open_drill(coach, req, text=args)


def cmd_reveal(coach, req, args: str) -> list[Reply]:
    return _submit_to_open_drill(coach, req, reveal=True)


def cmd_stats(coach, req, args: str) -> list[Reply]:
    if args.strip():
        return _question_instead(coach, req, args) or [error("`stats` takes no arguments: just type `stats`.")]
    tz = users.effective_tz(coach, req)
    now = coach.clock()
    s = progress.user_stats(coach.db, req.platform, req.workspace, req.user, now, tz)
    due = [d for d in review.due_ids(coach.db, req.platform, req.workspace, req.user,
                                     progress.end_of_local_day(now, tz)) if d in coach.library.drills]
    if s.current:
        streak = f"🔥 {s.current}-day streak (longest {s.longest})"
        if not s.today_done:
            streak += " — practise today to keep it going"
    else:
        streak = f"No streak yet (longest {s.longest}). One drill today starts one." if s.longest else \
            "No streak yet. One drill today starts one."
    accuracy = "\n".join(
        f"{progress.track_label(t)}: {passed}/{n} correct ({round(100 * passed / n)}%), average score {avg}"
        for t, (n, passed, avg) in sorted(s.by_track.items())) or "No answers yet."
    due_text = f"{len(due)} due today" + (" — type `review`" if due else "")
    return [Reply(title="Your practice", text=f"{streak}\n_Days are counted in {tz}._",
                  fields=(("Drills done", str(s.done)), ("Reviews", due_text), ("Accuracy", accuracy),
                          ("Last 4 weeks", s.calendar)),
                  ephemeral=not req.is_dm, kind="stats")]


def _board_lines(coach, platform: str, workspace: str, rows, limit: int = 10) -> str:
    medals = ["🥇", "🥈", "🥉"]
    lines = []
    for i, (user, pts, n) in enumerate(rows[:limit]):
        mark = medals[i] if i < 3 else f"{i + 1}."
        name = users.display_name(coach, platform, workspace, user)
        lines.append(f"{mark} {name} — {pts} pts ({n} drill{'s' if n != 1 else ''})")
    return "\n".join(lines) or "No answers yet."


def leaderboard(coach, platform: str, workspace: str, channel: str) -> Reply:
    tz = users.workspace_tz(coach, platform, workspace)
    since = progress.week_start(coach.clock(), tz)
    week = progress.board(coach.db, platform, workspace, channel, since=since)
    ever = progress.board(coach.db, platform, workspace, channel)
    return Reply(title="Leaderboard",
                 text=f"Answers to drills in this channel. A correct choice is 10 pts; an open answer scores "
                      f"its grade ÷ 10. The week starts Monday 00:00 ({tz}).",
                 fields=(("This week", _board_lines(coach, platform, workspace, week)),
                         ("All time", _board_lines(coach, platform, workspace, ever))),
                 kind="leaderboard")


def cmd_leaderboard(coach, req, args: str) -> list[Reply]:
    if args.strip():
        return _question_instead(coach, req, args) or [error("`leaderboard` takes no arguments.")]
    if req.is_dm:
        return [info("Leaderboards are per team channel: run `leaderboard` in a channel where the team practises.")]
    return [leaderboard(coach, req.platform, req.workspace, req.channel)]


# ----------------------------------------------------------------- actions

def on_action(coach, req, parts: list[str]) -> list[Reply]:
    verb = parts[1] if len(parts) > 1 else ""
    if verb == "next":
        track = drills.resolve_track(parts[2]) if len(parts) > 2 else None
        return _serve(coach, req, track)
    if len(parts) < 3:
        return [error("That button is broken. Type `drill` for a new drill.")]
    drill_id = parts[2]
    if verb == "choose" and len(parts) >= 4:
        letter = parts[3].upper()
        post, problem = _post_for_action(coach, req, drill_id, parts[4] if len(parts) > 4 else None)
        if problem:
            return problem
        drill = coach.library.drills[drill_id]
        if drill.type != "mcq" or letter not in LETTERS[:len(drill.choices)]:
            return [error("That choice doesn't belong to this drill. Type `drill` for a new one.")]
        return _submit(coach, req, post, drill, letter=letter)
    if verb == "answer":
        post, problem = _post_for_action(coach, req, drill_id, parts[3] if len(parts) > 3 else None)
        if problem:
            return problem
        if not req.text.strip():
            return [error("Your answer was empty. Click Answer again and type it, or use `answer <your words>`.")]
        return _submit(coach, req, post, coach.library.drills[drill_id], text=req.text)
    if verb == "reveal":
        post, problem = _post_for_action(coach, req, drill_id, parts[3] if len(parts) > 3 else None)
        if problem:
            return problem
        return _submit(coach, req, post, coach.library.drills[drill_id], reveal=True)
    if verb == "rate" and len(parts) >= 4:
        return _rate(coach, req, drill_id, parts[3])
    return [error("That button is no longer active. Type `drill` for a new drill.")]


def _rate(coach, req, drill_id: str, value: str) -> list[Reply]:
    """Override the grade for scheduling: replay the answer's review with the user's rating."""
    if drill_id not in coach.library.drills:
        return [error(STALE)]
    if value not in ("1", "2", "3", "4"):
        return [error("That rating button is broken; ratings are Again, Hard, Good or Easy.")]
    rating = int(value)
    db = coach.db
    with transaction(db):
        row = db.execute(
            "SELECT id, card_before, answered_at FROM practice_attempts WHERE platform = ? AND workspace = ? "
            "AND user = ? AND drill_id = ? ORDER BY id DESC LIMIT 1",
            [req.platform, req.workspace, req.user, drill_id]).fetchone()
        if row is None:
            return [error("Answer this drill first; then you can rate it.")]
        attempt_id, card_before, answered_at = row
        _, last = review.load(db, req.platform, req.workspace, req.user, drill_id)
        if last != attempt_id:
            return [error("That rating belongs to an earlier answer of this drill; rate your latest one instead.")]
        when = review.parse_stamp(answered_at)
        card = review.review(review.card_from_json(card_before, when), rating, when)
        review.save(db, req.platform, req.workspace, req.user, drill_id, card, attempt_id, coach.clock())
        db.execute("UPDATE practice_attempts SET rating = ? WHERE id = ?", [rating, attempt_id])
    tz = users.effective_tz(coach, req)
    return [info(f"Saved **{RATING_NAMES[rating]}**: this drill comes back {_when(coach, card.due, tz)}.",
                 ephemeral=not req.is_dm, buttons=(Button("Next drill", "drill:next"),))]


# ------------------------------------------------------ scheduler interface

def daily_drill(coach, platform: str, workspace: str, channel: str, *, user: str | None = None,
                track: str | None = None, post_key: str) -> tuple[int, list[Reply]]:
    """Choose and register the drill for a scheduled post. user given -> a DM subscription: that user's next drill
    (due reviews first). user None -> a team-channel drill, the same for everyone, registered as the channel's current
    post so members' answers (buttons, `answer ...` in that channel, or modal) count toward that channel's leaderboard.
    Idempotent on post_key: calling again with the same key returns the same post id and drill (no second registration)."""
    row = coach.db.execute(
        "SELECT id, drill_id, user FROM practice_posts WHERE platform = ? AND workspace = ? AND post_key = ?",
        [platform, workspace, post_key]).fetchone()
    if row is None:
        track = drills.resolve_track(track) if track else None
        if user:
            drill, _ = next_for_user(coach, platform, workspace, user, track)
        else:
            drill = _next_for_channel(coach, platform, workspace, channel, track)
        if drill is None and track:  # a track with no drills: any drill beats an empty post
            drill = (next_for_user(coach, platform, workspace, user, None)[0] if user
                     else _next_for_channel(coach, platform, workspace, channel, None))
        if drill is None:
            raise LookupError("the library has no drills")
        post_id = _register(coach, platform, workspace, channel, user or "", drill.id, post_key)
        row = coach.db.execute("SELECT id, drill_id, user FROM practice_posts WHERE id = ?", [post_id]).fetchone()
    post_id, drill_id, owner = row
    drill = coach.library.drills.get(drill_id)
    if drill is None:
        return post_id, [error(STALE, ephemeral=False)]
    if owner:
        return post_id, [render_drill(coach, drill, post_id, heading="Your daily drill")]
    note = ("Answer with the buttons or `answer …` in this channel. Results are private to you; "
            "the answer and the leaderboard come later.")
    return post_id, [render_drill(coach, drill, post_id, heading="Team drill", note=note)]


def reveal_post(coach, post_id: int) -> list[Reply]:
    """Team drill reveal: the model answer / correct choice, who answered (names via users.display_name), and the
    channel leaderboard. Idempotent (safe to call twice)."""
    post = get_post(coach, post_id)
    if post is None:
        return [error("That drill post no longer exists.", ephemeral=False)]
    coach.db.execute("UPDATE practice_posts SET revealed_at = ? WHERE id = ? AND revealed_at IS NULL",
                     [stamp(coach.clock()), post_id])
    drill = coach.library.drills.get(post["drill_id"])
    if drill is None:
        return [error(STALE, ephemeral=False)]
    rows = coach.db.execute(
        "SELECT user, score, correct, choice FROM practice_attempts WHERE post_id = ? AND kind = 'answer' "
        "ORDER BY answered_at, id", [post_id]).fetchall()
    who = []
    for user, score, correct, choice in rows:
        name = users.display_name(coach, post["platform"], post["workspace"], user)
        who.append(f"{'✅' if correct else '❌'} {name}" + ("" if choice else f" ({score}/100)"))
    fields = _answer_fields(coach, drill, None)
    fields.append(("Answered", ", ".join(who) if who else "Nobody this time."))
    text = f"{drill.prompt}\n\n{drill.explanation}" if drill.explanation else drill.prompt
    replies = [Reply(title=f"Answer · {TRACK_NAMES.get(drill.track, drill.track)}", text=text,
                     fields=tuple(fields), citation=_citation(coach, drill), kind="result")]
    if not post["user"]:
        replies.append(leaderboard(coach, post["platform"], post["workspace"], post["channel"]))
    return replies


def weekly_digest(coach, platform: str, workspace: str, channel: str) -> list[Reply]:
    """Monday digest for a channel: last week's drills, participation, top 3, streak highlights."""
    tz = users.workspace_tz(coach, platform, workspace)
    until = progress.week_start(coach.clock(), tz)
    since = until - timedelta(days=7)
    posts = coach.db.execute(
        "SELECT p.id, p.drill_id, p.created_at, COUNT(a.id) FROM practice_posts p LEFT JOIN practice_attempts a "
        "ON a.post_id = p.id AND a.kind = 'answer' WHERE p.platform = ? AND p.workspace = ? AND p.channel = ? "
        "AND p.user = '' AND p.created_at >= ? AND p.created_at < ? GROUP BY p.id ORDER BY p.id",
        [platform, workspace, channel, stamp(since), stamp(until)]).fetchall()
    zone = ZoneInfo(tz)
    lines = []
    for _, drill_id, created, n in posts:
        drill = coach.library.drills.get(drill_id)
        day = review.parse_stamp(created).astimezone(zone).strftime("%a")
        prompt = drill.prompt if drill else drill_id
        prompt = prompt if len(prompt) <= 70 else prompt[:69].rsplit(" ", 1)[0] + "…"
        lines.append(f"- {day}: {prompt} — {n} answered")
    top = progress.board(coach.db, platform, workspace, channel, since=since, until=until)
    people = {u for u, _, _ in top}
    streaks = sorted(((progress.current_streak(coach.db, platform, workspace, u, coach.clock(),
                                               _tz(coach, platform, workspace, u)), u) for u in people),
                     key=lambda s: (-s[0], s[1]))
    hot = [f"🔥 {users.display_name(coach, platform, workspace, u)}: {n} days" for n, u in streaks if n >= 3]
    answers = sum(n for *_, n in posts)
    # the people behind those answers, not everyone on the board (which counts own drills too)
    answerers = coach.db.execute(
        "SELECT COUNT(DISTINCT user) FROM practice_attempts WHERE kind = 'answer' AND post_id IN "
        f"({','.join('?' * len(posts))})", [p[0] for p in posts]).fetchone()[0] if posts else 0
    summary = (f"{len(posts)} team drill{'s' if len(posts) != 1 else ''}, {answers} answer{'s' if answers != 1 else ''} "
               f"from {answerers} {'person' if answerers == 1 else 'people'}.")
    return [Reply(title=f"Last week in practice ({since.strftime('%d %b')} – "
                        f"{(until - timedelta(days=1)).strftime('%d %b')})",
                  text=summary,
                  fields=(("Drills", "\n".join(lines) or "No team drills last week."),
                          ("Top 3", _board_lines(coach, platform, workspace, top, limit=3)),
                          ("Streaks", "\n".join(hot) or "No streaks of 3+ days yet — a drill a day starts one.")),
                  kind="leaderboard")]


COMMANDS = [
    Command("drill", cmd_drill, "drill [track]", "your next practice drill (due reviews first)",
            aliases=("practice", "quiz"), order=10),
    Command("answer", cmd_answer, "answer <text>", "answer your open drill", order=11),
    Command("reveal", cmd_reveal, "reveal", "show the answer to your open drill", order=12),
    Command("review", cmd_review, "review [track]", "a drill that is due for review", order=13),
    Command("stats", cmd_stats, "stats", "your streak, accuracy and review calendar", order=14),
    Command("leaderboard", cmd_leaderboard, "leaderboard", "this channel's leaderboard (week and all time)",
            aliases=("lb",), order=15),
]
ACTIONS = {"drill": on_action}
