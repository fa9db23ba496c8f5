"""Choosing and grading drills. Pure: drills and text in, decisions out (no database).

Multiple choice is graded here; open answers by meaning in bot/grading.py.
"""
from __future__ import annotations

import hashlib
from typing import Iterable, Sequence

from . import grading
from .content import TRACKS, Drill

TRACK_NAMES = {"ai-pm": "AI PM", "ds-pm": "Data Scientist PM", "traditional-pm": "Traditional PM",
               "career": "Career"}
_ALIASES = {
    "ai": "ai-pm", "aipm": "ai-pm", "ai pm": "ai-pm", "ai product manager": "ai-pm", "ml": "ai-pm",
    "ds": "ds-pm", "dspm": "ds-pm", "ds pm": "ds-pm", "data": "ds-pm", "data science": "ds-pm",
    "data scientist": "ds-pm", "data scientist pm": "ds-pm", "data science pm": "ds-pm",
    "traditional": "traditional-pm", "trad": "traditional-pm", "traditional pm": "traditional-pm",
    "classic": "traditional-pm", "pm": "traditional-pm",
    "careers": "career", "career": "career", "salary": "career", "comp": "career",
}
LETTERS = "ABCD"


def resolve_track(text: str) -> str | None:
    """The canonical track for what a user typed ('AI', 'data science', 'ds-pm'), or None."""
    key = " ".join(text.lower().replace("_", " ").replace("-", " ").split())
    if not key:
        return None
    for track in TRACKS:
        if key == track.replace("-", " "):
            return track
    return _ALIASES.get(key)


def track_list() -> str:
    return ", ".join(f"`{t}`" for t in TRACKS)


# ------------------------------------------------------------------ choose

def _spread(seed: str, drill_id: str) -> str:
    """A stable per-user shuffle, so teammates don't all get the same first drill."""
    return hashlib.sha1(f"{seed}\0{drill_id}".encode()).hexdigest()


class Pool:
    """Drills ready for ``choose``: by id, and grouped by level, easier first and a multiple choice
    before an open prompt of the same difficulty. Build one per library and track and reuse it:
    a scheduled burst chooses for thousands of people from the same few pools."""

    __slots__ = ("by_id", "levels")

    def __init__(self, drills: Iterable[Drill]):
        self.by_id = {d.id: d for d in drills}
        levels: dict[tuple, list[Drill]] = {}
        for d in self.by_id.values():
            levels.setdefault((d.difficulty, d.type != "mcq"), []).append(d)
        self.levels = [levels[k] for k in sorted(levels)]

    def __iter__(self):
        return iter(self.by_id.values())

    def __len__(self) -> int:
        return len(self.by_id)


def choose(drills: Iterable[Drill] | Pool, *, due: Sequence[str] = (), seen: Sequence[str] = (),
           recent: Sequence[str] = (), seed: str = "") -> Drill | None:
    """The next drill to serve.

    ``due``: drill ids whose review is due, most overdue first; ``seen``: every drill
    already practised, soonest next review first; ``recent``: served lately, most recent
    first. Order: due reviews, then new drills (easier first, MCQ first), then the review coming up
    soonest, then the least recently served, never one in ``recent`` if anything else is left.
    """
    ready = drills if isinstance(drills, Pool) else Pool(drills)
    pool = ready.by_id
    if not pool:
        return None
    recent_set = set(recent)
    for drill_id in due:
        if drill_id in pool and drill_id not in recent_set:
            return pool[drill_id]
    seen_set = set(seen)
    for level in ready.levels:
        # new drills, easier first; the per-user shuffle (a hash per drill) only breaks ties at
        # the first level that has any, so only ties pay for it
        tied = [d for d in level if d.id not in seen_set and d.id not in recent_set]
        if len(tied) == 1:
            return tied[0]
        if tied:  # _spread's order (a digest orders as its hexdigest does)
            prefix, sha1 = f"{seed}\0".encode(), hashlib.sha1
            return min(tied, key=lambda d: sha1(prefix + d.id.encode()).digest())
    for drill_id in seen:
        if drill_id in pool and drill_id not in recent_set:
            return pool[drill_id]
    for drill_id in reversed(recent):
        if drill_id in pool:
            return pool[drill_id]
    return min(pool.values(), key=lambda d: _spread(seed, d.id))


# ------------------------------------------------------------------- grade
# Open answers are graded in bot/grading.py; these names stay here for callers.

PASS_SCORE = grading.PASS_SCORE
Grade = grading.Grade
grade_open = grading.grade_open


def parse_choice(text: str, letters: str = LETTERS) -> str | None:
    """'b', 'B)', '(c)', 'option d' -> the letter; None if it isn't one (of ``letters``)."""
    t = text.strip().lower().strip("().:- ")
    if t.startswith("option "):
        t = t[7:].strip("().:- ")
    return t.upper() if len(t) == 1 and t.upper() in letters else None


def grade_mcq(drill: Drill, letter: str) -> Grade:
    letter = letter.upper()
    correct = letter == drill.answer_letter
    return Grade(100 if correct else 0, correct, choice=letter)


def grade(drill: Drill, text: str, source: str = "") -> Grade | None:
    """Grade typed text: a letter for an MCQ (None if it isn't one), free text otherwise (``source``: the
    cited section's text, which open grading reads for the words behind each key point)."""
    if drill.type == "mcq":
        letter = parse_choice(text)
        if letter is None:
            matches = [LETTERS[i] for i, c in enumerate(drill.choices) if c.lower() == text.strip().lower()]
            letter = matches[0] if matches else None
        return grade_mcq(drill, letter) if letter else None
    return grade_open(drill, text, source)
