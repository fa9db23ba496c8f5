"""Grading and choosing drills (bot/drills.py), on the shipped drills and small hand-made ones."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import drills
from bot.content import Drill, KeyPoint
from practice_fixtures import LIBRARY

OPEN = sorted((d for d in LIBRARY.drills.values() if d.type != "mcq"), key=lambda d: d.id)
MCQ = sorted((d for d in LIBRARY.drills.values() if d.type == "mcq"), key=lambda d: d.id)
OFF_TOPIC = ("Yesterday the weather was grey, so I repainted the garden fence, walked the dog along the river "
             "and baked a loaf of sourdough bread before the football match started.")


def test_shipped_content_has_both_kinds():
    assert OPEN and MCQ


@pytest.mark.parametrize("drill", OPEN, ids=lambda d: d.id)
def test_model_answer_scores_high_and_off_topic_low(drill):
    model = drills.grade_open(drill, drill.model_answer)
    off = drills.grade_open(drill, OFF_TOPIC)
    assert model.score >= 75, [p.point for p in model.missed]
    assert off.score <= 25
    assert model.correct and not off.correct


def test_empty_answer_scores_zero():
    grade = drills.grade_open(OPEN[0], "")
    assert grade.score == 0 and not grade.hit and len(grade.missed) == len(OPEN[0].key_points)


def _phrase(point: KeyPoint) -> str:
    return point.words[0]


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(OPEN), st.data())
def test_covering_more_key_points_never_lowers_the_score(drill, data):
    n = len(drill.key_points)
    bigger = data.draw(st.sets(st.integers(0, n - 1)), label="bigger")
    smaller = data.draw(st.sets(st.sampled_from(sorted(bigger))) if bigger else st.just(set()), label="smaller")
    filler = data.draw(st.text(max_size=40), label="filler")
    answer_small = " . ".join([filler] + [_phrase(drill.key_points[i]) for i in sorted(smaller)])
    answer_big = answer_small + " . " + " . ".join(_phrase(drill.key_points[i]) for i in sorted(bigger - smaller))
    small, big = drills.grade_open(drill, answer_small), drills.grade_open(drill, answer_big)
    assert big.score >= small.score
    # each key point's own phrase is recognised
    assert {drill.key_points[i] for i in bigger} <= set(big.hit)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(OPEN), st.text(max_size=200), st.text(max_size=200))
def test_saying_more_never_lowers_the_score(drill, first, more):
    assert drills.grade_open(drill, first + " " + more).score >= drills.grade_open(drill, first).score


def test_phrase_words_must_be_close_together():
    drill = Drill("t-open", "open", "ai-pm", 1, "a", "s", "p",
                  key_points=(KeyPoint("Measures business impact", ("business impact",)),
                              KeyPoint("Owns the model lifecycle", ("model lifecycle",))),
                  model_answer="x")
    assert drills.grade_open(drill, "I measure the business impact").score == 50
    far = "business " + "word " * 10 + "impact"
    assert drills.grade_open(drill, far).score == 0
    # stemming: inflections match
    assert drills.grade_open(drill, "managing model lifecycles and business impacts").score == 100


def test_mcq_grading_and_letters():
    drill = MCQ[0]
    right = drill.answer_letter
    wrong = next(letter for letter in "ABCD" if letter != right)
    assert drills.grade_mcq(drill, right).correct and drills.grade_mcq(drill, right).score == 100
    assert not drills.grade_mcq(drill, wrong).correct and drills.grade_mcq(drill, wrong).rating == 1
    assert drills.grade(drill, f"({right.lower()})").correct
    assert drills.grade(drill, drill.answer).correct  # the choice's own text works too
    assert drills.grade(drill, "I think it is the first one") is None


def test_rating_follows_score():
    kp = (KeyPoint("a", ("alpha",)), KeyPoint("b", ("bravo",)), KeyPoint("c", ("charlie",)),
          KeyPoint("d", ("delta",)))
    drill = Drill("t-open", "open", "ai-pm", 1, "a", "s", "p", key_points=kp, model_answer="x")
    ratings = [drills.grade_open(drill, text).rating
               for text in ("", "alpha", "alpha bravo charlie", "alpha bravo charlie delta")]
    assert ratings == [1, 1, 3, 4]
    assert drills.grade_open(drill, "alpha bravo").rating == 2


@pytest.mark.parametrize("typed,track", [
    ("ai", "ai-pm"), ("AI PM", "ai-pm"), ("ai-pm", "ai-pm"), ("ds", "ds-pm"), ("Data Science", "ds-pm"),
    ("data scientist", "ds-pm"), ("traditional", "traditional-pm"), ("traditional_pm", "traditional-pm"),
    ("career", "career"), ("careers", "career"), ("cooking", None), ("", None)])
def test_track_aliases(typed, track):
    assert drills.resolve_track(typed) == track


def _d(i, difficulty=1, type_="mcq"):
    return Drill(f"d{i}", type_, "ai-pm", difficulty, "a", "s", "p")


def test_choose_order():
    pool = [_d(1), _d(2, 2), _d(3, 3), _d(4, 1, "open")]
    # a due review beats new drills; a recently served one is skipped
    assert drills.choose(pool, due=["d3", "d2"], seen=["d3", "d2"], recent=["d3"]).id == "d2"
    # new drills: easier first, multiple choice before open at the same level
    assert drills.choose(pool).id == "d1"
    assert drills.choose(pool, seen=["d1"]).id == "d4"
    # everything seen: the review coming up soonest that wasn't just served
    assert drills.choose(pool, seen=["d2", "d1", "d3", "d4"], recent=["d2"]).id == "d1"
    # everything recent: the least recently served
    assert drills.choose(pool, seen=["d1", "d2", "d3", "d4"], recent=["d1", "d2", "d3", "d4"]).id == "d4"
    assert drills.choose([]) is None
    # due ids no longer in the pool (content changed) are ignored
    assert drills.choose(pool, due=["gone"]).id == "d1"
