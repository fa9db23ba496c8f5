"""Practising in conversation: with a drill open, a plain reply is the answer; `skip`, `next`,
`hint` and `rate …` as text, the same on every platform (Slack `/coach hint`, a Discord DM or
mention, the console)."""
from __future__ import annotations

import string
from datetime import timedelta

from .. import drills
from ..commands import Command
from ..drills import LETTERS
from ..messages import Reply, error, info
from ..review import RATING_NAMES, parse_stamp
from ..text import words
from . import store
from .commands import act_rate, active_post, serve, submit
from .team import thread_post
from .store import Post

OPEN_HOURS = 24  # a personal drill older than this no longer takes plain replies as its answer
RATINGS = {name.lower(): n for n, name in RATING_NAMES.items()}


def _open_drill(coach, req, *, personal: bool = False) -> tuple[Post, object] | None:
    """(post, drill) still waiting for this person's answer, or None."""
    post = active_post(coach, req)
    if post is None or (personal and post.is_team) or post.revealed_at:
        return None
    if store.attempt_kind(coach.db, post.id, req.user):
        return None
    if not post.is_team and coach.clock() - parse_stamp(post.created_at) > timedelta(hours=OPEN_HOURS):
        return None
    drill = coach.library.drills.get(post.drill_id)
    return (post, drill) if drill else None


def take_plain_text(coach, req) -> list[Reply] | None:
    """A message that is not a command, with a drill open: the answer when it reads as one, else None
    (it is a question for `ask`). In a channel only a lone letter is taken (people talk there);
    in a team drill's thread, what is said to the coach is said about that drill, as in a DM."""
    text = req.text.strip()
    letter = drills.parse_choice(text)
    in_thread = thread_post(coach, req)
    found = _open_drill(coach, req)
    if found is None:
        drill = coach.library.drills.get(in_thread.drill_id) if in_thread is not None else None
        if drill is not None and drill.type == "mcq" and letter is not None:  # revealed, or answered: say so
            return submit(coach, req, in_thread, drill, text=text)
        if letter is not None:  # a choice with nothing to choose in: not a question for the library
            return [error("You have no drill open. Type `drill` to get one.")]
        return None
    post, drill = found
    conversational = req.is_dm or in_thread is not None
    if drill.type == "mcq":
        is_choice = letter is not None or any(c.lower() == text.lower() for c in drill.choices)
        if conversational and not is_choice and drills.parse_choice(text, letters=string.ascii_uppercase):
            # "E" to an A–D drill is a slip of the key, not a question for the library
            choices = drills.LETTERS[:len(drill.choices)]
            return [info(f"This drill's choices are {choices[0]}–{choices[-1]}: reply with one of them.",
                         ephemeral=not req.is_dm)]
        if not is_choice or (not conversational and letter is None):
            return None  # can't be the choice: a question
        return submit(coach, req, post, drill, text=text)
    if not conversational:
        return None
    if text.endswith("?"):
        return None  # a question asked while practising
    if letter is None and len(words(text)) < 3:
        more = ("" if post.is_team else "; `hint` gives a cue, `skip` moves on, `reveal` shows the answer")
        return [info(f"Is that your answer? Reply with it in a sentence or two (or `answer …`){more}.",
                     ephemeral=not req.is_dm)]
    return submit(coach, req, post, drill, text=text)


def cmd_skip(coach, req, args: str) -> list[Reply]:
    found = _open_drill(coach, req, personal=True)
    if found is None:
        if _team_drill_open(coach, req):
            return [info("Team drills stay open until the reveal, so there is nothing to skip. "
                         "Type `drill` for one of your own.", ephemeral=not req.is_dm)]
        return [error("You have no drill open. Type `drill` to get one.")]
    return _skip_and_serve(coach, req, *found)


def cmd_next(coach, req, args: str) -> list[Reply]:
    found = _open_drill(coach, req, personal=True)
    if found is None:
        return serve(coach, req, None)
    return _skip_and_serve(coach, req, *found)


def _skip_and_serve(coach, req, post: Post, drill) -> list[Reply]:
    problem = submit(coach, req, post, drill, skip=True)
    if problem:
        return problem
    replies = serve(coach, req, None)
    return [info("Skipped — it comes back another day.", ephemeral=not req.is_dm), *replies]


def _team_drill_open(coach, req) -> bool:
    found = _open_drill(coach, req)
    return bool(found and found[0].is_team)


def _cue(point) -> str:
    if point.words:
        return f"one key point is about **{point.words[0]}**."
    head = point.point.split()
    return f"one key point starts “{' '.join(head[:max(2, len(head) // 3)])} …”"


def cmd_hint(coach, req, args: str) -> list[Reply]:
    found = _open_drill(coach, req, personal=True)
    if found is None:
        if _team_drill_open(coach, req):
            return [info("Team drills are answered without hints. Type `drill` for one of your own.",
                         ephemeral=not req.is_dm)]
        return [error("You have no drill open. Type `drill` to get one, then `hint` if you're stuck.")]
    post, drill = found
    private = not req.is_dm
    if drill.type == "mcq":
        order = post.choice_order(drill)
        wrong = [i for i, j in enumerate(order) if LETTERS[j] != drill.answer_letter]
        if post.hints >= len(wrong) - 1:  # always leave two choices standing
            return [info("That's all the hints for this one: pick a letter, or `reveal`.", ephemeral=private)]
        n = store.next_hint(coach.db, post.id)
        i = wrong[n - 1]
        return [info(f"Hint {n}: It isn't **{LETTERS[i]}**: {drill.choices[order[i]]}", ephemeral=private)]
    points = drill.key_points
    if post.hints >= len(points):
        return [info("You've had a cue for every key point: answer in your own words, or `reveal`.",
                     ephemeral=private)]
    n = store.next_hint(coach.db, post.id)
    return [info(f"Hint {n} of {len(points)}: {_cue(points[n - 1])}", ephemeral=private)]


def cmd_rate(coach, req, args: str) -> list[Reply]:
    choice = RATINGS.get(args.strip().lower())
    if choice is None:
        return [error("Rate your last drill with `rate again`, `rate hard`, `rate good` or `rate easy`.")]
    drill_id = store.latest_rated(coach.db, req.platform, req.workspace, req.user)
    if drill_id is None:
        return [error("Answer a drill first; then you can rate it.")]
    return act_rate(coach, req, drill_id, str(choice))


def _or_question(handler):
    """`next steps for an AI PM` is a question, not `next`: several words after the command go to `ask`."""
    def run(coach, req, args: str) -> list[Reply]:
        ask = coach.commands.get("ask")
        if ask is not None and len(args.split()) >= 3:
            return ask.handler(coach, req, req.text)
        return handler(coach, req, args)
    return run


COMMANDS = [
    Command("skip", _or_question(cmd_skip), "skip", "skip your open drill and get the next one", order=16),
    Command("next", _or_question(cmd_next), "next", "the next drill", order=17),
    Command("hint", _or_question(cmd_hint), "hint", "a cue for your open drill", order=18),
    Command("rate", _or_question(cmd_rate), "rate again|hard|good|easy",
            "when your last drill comes back for review", order=19),
]
