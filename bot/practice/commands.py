"""What people type and click: drill, answer, reveal, review, stats, leaderboard, and the drill buttons."""
from __future__ import annotations

from dataclasses import replace

from .. import drills, grading, habit, progress, review, users
from ..commands import Action, Command, action_router
from ..content import Drill
from ..drills import LETTERS, TRACK_NAMES
from ..messages import Button, Reply, error, info
from ..review import RATING_NAMES, stamp
from ..storage import transaction
from . import render, store, team
from .choosing import next_for_user
from .render import STALE
from .store import Attempt, Post

HINTED_RATING = 2  # an answer given after a hint is scheduled as Hard at best: it wasn't recalled unaided


# ---------------------------------------------------------------- answer

def active_post(coach, req) -> Post | None:
    """The drill a typed `answer`/`reveal` is about: in a channel, its team drill while still
    open to you, unless you asked for a drill of your own here since and haven't answered it;
    otherwise your most recent drill. In a team drill's thread, that drill."""
    db = coach.db
    in_thread = team.thread_post(coach, req)
    if in_thread is not None:
        return in_thread
    mine = store.latest_post_of(db, req.platform, req.workspace, req.user)
    if not req.is_dm:
        team_post = store.latest_team_post(db, req.platform, req.workspace, req.channel)
        if team_post and not team_post.revealed_at and not store.attempt_kind(db, team_post.id, req.user):
            newer_here = (mine and mine.id > team_post.id and mine.channel == req.channel
                          and not store.attempt_kind(db, mine.id, req.user))
            return mine if newer_here else team_post
        if mine is None:
            return team_post
    return mine


def _closed() -> Reply:
    return error("The answer to this drill has already been revealed, so answers are closed. "
                 "Type `drill` for one of your own.")


def submit(coach, req, post: Post, drill: Drill, *, text: str | None = None, letter: str | None = None,
           reveal: bool = False, skip: bool = False) -> list[Reply]:
    """Record an answer, a reveal or a skip (once per person and post) and reply with the feedback
    (nothing for a skip: the caller serves the next drill)."""
    if post.is_team and post.revealed_at:
        return [_closed()]
    if skip:
        grade, kind, rating = None, "skip", 0
    elif reveal:
        grade, kind, rating = None, "reveal", 1
    elif drill.type != "mcq" and not letter and drills.parse_choice(text or ""):
        return [error("This one is an open question: answer in your own words, e.g. `answer <your answer>`, "
                      "or click Answer.")]
    else:
        typed = drills.parse_choice(text or "") if drill.type == "mcq" and not letter else None
        shown = letter or typed
        if shown:  # a letter means the letter shown in this post; the text of a choice needs no mapping
            grade = drills.grade_mcq(drill, post.authored_letter(drill, shown))
        else:
            section = coach.library.section_for(drill)
            grade = drills.grade(drill, text or "", section.body if section else "")
        if grade is None:
            return [error("This one is multiple choice: answer with a letter, e.g. `answer B`, or click a choice.")]
        if grade.needs_sentences:  # a bare list of terms: not graded, not recorded, the drill stays open
            return [error(grading.SENTENCES_PLEASE, score=grade.score)]
        kind, rating = "answer", min(grade.rating, HINTED_RATING) if post.hints else grade.rating
    now = coach.clock()
    db = coach.db
    with transaction(db):
        if post.is_team and store.is_revealed(db, post.id):  # revealed while this answer was on its way
            return [_closed()]
        card_json, _ = review.load(db, req.platform, req.workspace, req.user, drill.id)
        attempt_id = store.insert_attempt(db, Attempt(
            req.platform, req.workspace, post.channel if post.is_team else req.channel, req.user, drill.id,
            post.id, drill.track, kind, (grade.choice or None) if grade else None,
            text if grade and not grade.choice else None, grade.score if grade else 0,
            bool(grade and grade.correct), rating, card_json, stamp(now)))
        if attempt_id is not None and kind != "skip":
            card = review.review(review.card_from_json(card_json, now), rating, now)
            review.save(db, req.platform, req.workspace, req.user, drill.id, card, attempt_id, now)
    if attempt_id is None:
        seen = store.attempt_kind(db, post.id, req.user)
        what = {"reveal": "already saw the answer to", "skip": "skipped"}.get(seen, "already answered")
        return [error(f"You {what} this one. Type `drill` for the next one.")]
    if kind == "skip":
        return []
    reply = render.result(coach, drill, grade, post, ephemeral=not req.is_dm, rating=rating)
    if post.is_team and kind == "answer":
        # Nothing goes to the channel per answer (N answers were N messages); the reveal names everyone.
        n = store.answer_count(db, post.id)
        so_far = "1 person has answered" if n == 1 else f"{n} people have answered"
        reply = replace(reply, text=f"{reply.text}\n\n_{so_far} so far; the answer and the leaderboard "
                                    "come with the reveal._")
    return [reply]


def _post_for_action(coach, req, drill_id: str, post_part: str | None) -> tuple[Post | None, list[Reply]]:
    """The post a button refers to, or the error to show instead."""
    if drill_id not in coach.library.drills:
        return None, [error(STALE)]
    if post_part:
        if not post_part.isdigit():
            return None, [error("That button is broken. Type `drill` for a new drill.")]
        post = store.get_post(coach.db, int(post_part))
        if (post is None or post.platform != req.platform or post.workspace != req.workspace
                or post.drill_id != drill_id):
            return None, [error("I can't find that drill any more. Type `drill` for a new one.")]
        if post.user and post.user != req.user:
            return None, [error("That drill was sent to someone else. Type `drill` for one of your own.")]
        return post, []
    # A button without a post id: the latest showing of this drill to you (or in this channel).
    post = store.latest_showing(coach.db, req.platform, req.workspace, drill_id, req.user, req.channel)
    if post is None:
        post = store.get_post(coach.db, store.register(coach.db, coach.clock(), req.platform, req.workspace,
                                                       req.channel, req.user, drill_id))
    return post, []


# --------------------------------------------------------------- commands

def serve(coach, req, track: str | None, *, due_only: bool = False, drill: Drill | None = None) -> list[Reply]:
    is_review = False
    if drill is None:
        tz = users.effective_tz(coach, req)
        allow = habit.allowance(coach, req.platform, req.workspace, req.user, tz)
        drill, is_review = next_for_user(coach, req.platform, req.workspace, req.user, track, due_only, allow)
        limited = not allow.reviews if due_only else not (allow.new and allow.reviews)
        if drill is None and limited:  # today's limits, not the library, ran out
            due = review.due_ids(coach.db, req.platform, req.workspace, req.user, progress.end_of_local_day(
                coach.clock(), tz))
            return [habit.limit_reached(coach, req, allow, tz, len(due))]
    if drill is None:
        if due_only:
            return [_nothing_due(coach, req)]
        name = TRACK_NAMES.get(track, track)
        return [info(f"There are no drills for {name} yet. Type `drill` for any track.")]
    post_id = store.register(coach.db, coach.clock(), req.platform, req.workspace, req.channel, req.user, drill.id)
    return [render.drill_card(coach, drill, store.get_post(coach.db, post_id), heading="Review" if is_review else "Drill",
                              ephemeral=not req.is_dm)]


def _serve_by_id(coach, req, drill: Drill) -> list[Reply]:
    """`drill <id>` follows the rule `drill` does: nothing practised in the last RECENT_HOURS is served
    again. A drill you were shown and haven't answered comes back as the same post (no second try)."""
    db = coach.db
    if drill.id in store.recent_for_user(db, coach.clock(), req.platform, req.workspace, req.user):
        post = store.latest_showing(db, req.platform, req.workspace, drill.id, req.user, "")
        if post and post.user == req.user and not store.attempt_kind(db, post.id, req.user):
            return [render.drill_card(coach, drill, post, ephemeral=not req.is_dm)]
        return [error(f"You practised this drill in the last {store.RECENT_HOURS} hours; it comes back when it's "
                      "due for review. Type `drill` for a new one.")]
    return serve(coach, req, None, drill=drill)


def _nothing_due(coach, req) -> Reply:
    tz = users.effective_tz(coach, req)
    nxt = review.next_due(coach.db, req.platform, req.workspace, req.user,
                          progress.end_of_local_day(coach.clock(), tz))
    later = f" Your next review is {render.when(coach.clock(), nxt, tz)}." if nxt else ""
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
    if args.lower() in ("weak", "weak areas", "weakest"):
        from ..study import drill_weak  # study builds on this module

        return drill_weak(coach, req)
    if args and args.lower() in coach.library.drills:
        return _serve_by_id(coach, req, coach.library.drills[args.lower()])
    track = drills.resolve_track(args) if args else None
    if args and track is None:
        return _question_instead(coach, req, args) or [_unknown_track(args)]
    return serve(coach, req, track)


def cmd_review(coach, req, args: str) -> list[Reply]:
    track = drills.resolve_track(args) if args.strip() else None
    if args.strip() and track is None:
        return _question_instead(coach, req, args) or [_unknown_track(args)]
    return serve(coach, req, track, due_only=True)


def _submit_to_open_drill(coach, req, **how) -> list[Reply]:
    post = active_post(coach, req)
    if post is None:
        return [error("You have no drill open. Type `drill` to get one.")]
    drill = coach.library.drills.get(post.drill_id)
    if drill is None:
        return [error(STALE)]
    return submit(coach, req, post, drill, **how)


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
    from ..stats import stats_reply  # the same card as the Slack Home tab and Discord's embed

    return [stats_reply(coach, req.platform, req.workspace, req.user, users.effective_tz(coach, req),
                        ephemeral=not req.is_dm)]


def cmd_leaderboard(coach, req, args: str) -> list[Reply]:
    if args.strip():
        return _question_instead(coach, req, args) or [error("`leaderboard` takes no arguments.")]
    if req.is_dm:
        return [info("Leaderboards are per team channel: run `leaderboard` in a channel where the team practises.")]
    return [team.leaderboard(coach, req.platform, req.workspace, req.channel)]


# ----------------------------------------------------------------- actions

def act_next(coach, req, track: str | None) -> list[Reply]:
    return serve(coach, req, drills.resolve_track(track) if track else None)


def act_choose(coach, req, drill: str, letter: str, post: str | None) -> list[Reply]:
    found, problem = _post_for_action(coach, req, drill, post)
    if problem:
        return problem
    chosen = coach.library.drills[drill]
    letter = letter.upper()
    if chosen.type != "mcq" or letter not in LETTERS[:len(chosen.choices)]:
        return [error("That choice doesn't belong to this drill. Type `drill` for a new one.")]
    if post is None:  # a button from before posts had ids names the authored letter
        letter = found.shown_letter(chosen, letter)
    return submit(coach, req, found, chosen, letter=letter)


def act_answer(coach, req, drill: str, post: str | None) -> list[Reply]:
    found, problem = _post_for_action(coach, req, drill, post)
    if problem:
        return problem
    if not req.text.strip():
        return [error("Your answer was empty. Click Answer again and type it, or use `answer <your words>`.")]
    return submit(coach, req, found, coach.library.drills[drill], text=req.text)


def act_reveal(coach, req, drill: str, post: str | None) -> list[Reply]:
    found, problem = _post_for_action(coach, req, drill, post)
    if problem:
        return problem
    return submit(coach, req, found, coach.library.drills[drill], reveal=True)


def act_rate(coach, req, drill: str, rating: str) -> list[Reply]:
    """Override the grade for scheduling: replay the answer's review with the user's rating."""
    if drill not in coach.library.drills:
        return [error(STALE)]
    if rating not in ("1", "2", "3", "4"):
        return [error("That rating button is broken; ratings are Again, Hard, Good or Easy.")]
    value = int(rating)
    db = coach.db
    with transaction(db):
        row = store.latest_attempt(db, req.platform, req.workspace, req.user, drill)
        if row is None:
            return [error("Answer this drill first; then you can rate it.")]
        attempt_id, card_before, answered_at = row
        _, last = review.load(db, req.platform, req.workspace, req.user, drill)
        if last != attempt_id:
            return [error("That rating belongs to an earlier answer of this drill; rate your latest one instead.")]
        when = review.parse_stamp(answered_at)
        card = review.review(review.card_from_json(card_before, when), value, when)
        review.save(db, req.platform, req.workspace, req.user, drill, card, attempt_id, coach.clock())
        store.set_rating(db, attempt_id, value)
    tz = users.effective_tz(coach, req)
    return [info(f"Saved **{RATING_NAMES[value]}**: this drill comes back {render.when(coach.clock(), card.due, tz)}.",
                 ephemeral=not req.is_dm, buttons=(Button("Next drill", "drill:next"),))]


def _broken(coach, req) -> list[Reply]:
    return [error("That button is broken or no longer active. Type `drill` for a new drill.")]


# Action ids already posted in messages must keep working: the post id is optional because
# buttons from before posts existed carry none.
ACTIONS = [
    Action(r"drill:next(?::(?P<track>[^:]*))?", act_next),
    Action(r"drill:choose:(?P<drill>[^:]+):(?P<letter>[A-Da-d])(?::(?P<post>[^:]*))?", act_choose),
    Action(r"drill:answer:(?P<drill>[^:]+)(?::(?P<post>[^:]*))?", act_answer),
    Action(r"drill:reveal:(?P<drill>[^:]+)(?::(?P<post>[^:]*))?", act_reveal),
    Action(r"drill:rate:(?P<drill>[^:]+):(?P<rating>[^:]*)", act_rate),
]
route = action_router(ACTIONS, _broken)

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
