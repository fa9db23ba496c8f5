"""Grading (bot/grading.py) and choosing drills (bot/drills.py), on the shipped drills and small hand-made ones."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import drills, grading
from bot.content import Drill, KeyPoint
from practice_fixtures import LIBRARY, coach  # noqa: F401  (content parsed once)

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


def _phrasing(point: KeyPoint) -> grading.Phrasing:
    return sorted(grading.phrasings(point), key=lambda ph: (ph.negated, not ph.exact))[0]


def _phrase(point: KeyPoint) -> str:
    """A phrase that states the point as it is (not one the point negates, like 'pull the numbers' in
    'pulling numbers is not enough')."""
    phrase = _phrasing(point).text  # a point made only of negations ("not a strict requirement") keeps its "not"
    return f"I would talk about {phrase} in my answer"  # a sentence: a bare list of terms is not graded


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
    # each key point's own phrase is recognised (one word shared with one point alone is not an answer)
    lone_word = len(bigger) == 1 and len(_phrasing(drill.key_points[min(bigger)]).tokens) == 1
    if not lone_word:
        assert {drill.key_points[i] for i in bigger} <= set(big.hit)


def test_one_word_in_common_is_not_an_answer():
    drill = _drill("diff-resume-bias-scenario")
    off = "I'd write the launch announcement for the recruiting team and agree the go-live date with HR."
    assert drills.grade_open(drill, off).score == 0
    # the same word alongside a stated point counts
    on = "It learned from our historical hiring data, just like the Amazon recruiting tool."
    assert drills.grade_open(drill, on).score >= 38


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(OPEN), st.text(max_size=200),
       st.text(st.characters(whitelist_categories=("Ll", "Lu", "Nd", "Zs"), whitelist_characters=".,'/"),
               max_size=200))
def test_saying_more_never_lowers_the_score(drill, first, more):
    """Another sentence that negates nothing never lowers a score (only contradicting a point does)."""
    more_words = set(grading._words(grading._expand(more)))
    if more_words & (grading.NEGATORS | {"not"}):
        return
    before, after = drills.grade_open(drill, first), drills.grade_open(drill, first + "\n" + more)
    if not after.needs_sentences:
        assert after.score >= before.score


def test_phrase_words_must_be_close_together():
    drill = Drill("t-open", "open", "ai-pm", 1, "a", "s", "p",
                  key_points=(KeyPoint("Measures business impact", ("business impact",)),
                              KeyPoint("Owns the model lifecycle", ("model lifecycle",))),
                  model_answer="x")
    assert drills.grade_open(drill, "I measure the business impact").hit == drill.key_points[:1]
    far = "business " + "word " * 10 + "impact"
    assert drills.grade_open(drill, far).score == 0 and not drills.grade_open(drill, far).hit
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
    # scores 0, 0 (one lone word in common is not an answer), 82, 100: the share of points, calibrated
    assert ratings == [1, 1, 3, 4]
    assert drills.grade_open(drill, "alpha bravo").score == 62  # half the points stated: a pass


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


# ------------------------------------------------------------------ by meaning: reversed, lists, own words

def _drill(drill_id):
    return LIBRARY.drills[drill_id]


@pytest.mark.parametrize("drill_id,text", [
    ("aids-ai-pm-role-open", "My job is not to define the user problem or scope the model's contribution. I don't "
     "manage the lifecycle, deployment or monitoring, and measuring business impact isn't part of it."),
    ("diff-rules-vs-ml-open", "Never use rules when the team knows the exact logic beforehand. Boolean outcomes "
     "don't need rules, and whether the business prefers human-created logic is irrelevant. ML isn't for "
     "unknown logic."),
    ("diff-privacy-open", "AI doesn't need massive data, so nobody has an incentive to collect or store it. GDPR "
     "and CCPA aren't the PM's concern and homomorphic encryption is pointless."),
    ("switch-readiness-open", "I haven't shipped any AI features and I can't articulate a success metric like "
     "precision or recall. I won't accept a longer interview cycle, and I'd skip the product narrative."),
])
def test_reversed_answers_score_below_40_and_name_the_contradicted_point(drill_id, text):
    drill = _drill(drill_id)
    grade = drills.grade_open(drill, text)
    assert grade.score < 40 and not grade.correct
    assert grade.contradicted and set(grade.contradicted) <= set(grade.missed)
    fields = dict(grading.feedback(grade, ""))
    assert all(p.point in fields["Contradicts"] for p in grade.contradicted)


def test_negation_scope():
    drill = Drill("t-open", "open", "ai-pm", 1, "a", "s", "p",
                  key_points=(KeyPoint("Measures business impact", ("business impact",)),
                              KeyPoint("Coding skills aren't required", ("coding skills",)),
                              KeyPoint("Owns the model lifecycle", ("model lifecycle",))),
                  model_answer="x")
    # affirmed, reversed, reversed after the term, a list under one negation, a double negation
    assert drills.grade_open(drill, "I measure business impact.").hit == drill.key_points[:1]
    assert drills.grade_open(drill, "I never measure business impact.").contradicted == drill.key_points[:1]
    assert drills.grade_open(drill, "Business impact doesn't matter.").contradicted == drill.key_points[:1]
    listed = drills.grade_open(drill, "I don't own the model lifecycle, deployment, business impact or speed.")
    assert set(listed.contradicted) == {drill.key_points[0], drill.key_points[2]} and listed.score == 0
    subject = drills.grade_open(drill, "Model lifecycle, business impact and speed can be ignored.")
    assert set(subject.contradicted) == {drill.key_points[0], drill.key_points[2]}
    contrast = drills.grade_open(drill, "Model lifecycle, business impact but not speed.")
    assert set(contrast.hit) == {drill.key_points[0], drill.key_points[2]}
    assert drills.grade_open(drill, "You can't ship without measuring business impact.").score > 0
    # "not only" affirms; a point stated negatively is covered by a negated answer, not by an affirmed one
    assert drills.grade_open(drill, "Not only business impact matters.").hit == drill.key_points[:1]
    assert drills.grade_open(drill, "You don't need coding skills.").hit == drill.key_points[1:2]
    assert drills.grade_open(drill, "You need coding skills.").hit == ()
    # dismissals negate too, and a negated dismissal affirms
    assert drills.grade_open(drill, "Who cares about business impact?").contradicted == drill.key_points[:1]
    assert drills.grade_open(drill, "Business impact is a waste of time.").contradicted == drill.key_points[:1]
    assert drills.grade_open(drill, "Don't forget business impact.").hit == drill.key_points[:1]
    # negation in another sentence or clause leaves a point alone
    assert drills.grade_open(drill, "It is not easy. I measure business impact.").hit == drill.key_points[:1]
    assert drills.grade_open(drill, "I measure business impact, not vanity numbers.").hit == drill.key_points[:1]


@pytest.mark.parametrize("drill_id,text", [
    ("aids-ai-pm-role-open", "user problem, scope, model's contribution, lifecycle, deployment, monitoring, "
     "retraining, business impact, ml-fluent, product leader"),
    ("diff-team-roles-open", "Data engineers; data scientists; ML engineers; ingest; clean data; productization; "
     "collaborate; deployment; monitoring"),
    ("diff-eval-metrics-open", "- precision\n- recall\n- F1\n- confusion matrix\n- false positives"),
    ("switch-prep-open", "Key things: lifecycle, data collection, model training, monitoring, confidence intervals, "
     "lift, mock interviews, narrative, business outcomes."),
    ("diff-eval-metrics-open", "precision recall f1 confusion matrix trade-off use case false positives"),
])
def test_a_bare_list_of_terms_is_not_graded(drill_id, text):
    grade = drills.grade_open(_drill(drill_id), text)
    assert grade.needs_sentences and grade.score == 0 and not grade.hit


def test_a_term_list_gets_asked_for_sentences_and_records_nothing(coach, say):
    drill = _drill("aids-ds-tech-skills-open")
    say(f"drill {drill.id}")
    [reply] = say("answer statistical inference, hypothesis testing, a/b testing, power analysis, sample size, "
                  "key metrics, baselines, narrative")
    assert "sentences" in reply.text and "/100" not in reply.plain() and reply.score == 0
    assert not reply.buttons and "I'd say" not in reply.plain()  # no rating, no suggested rating
    assert coach.db.execute("SELECT COUNT(*) FROM practice_attempts").fetchone()[0] == 0
    # the drill is still open: an answer in sentences is graded
    [result] = say("answer " + drill.model_answer)
    assert result.score >= 75 and result.kind == "result"


@pytest.mark.parametrize("drill_id,text", [
    ("aids-ai-pm-role-open", "The engineers build it; my job is everything around it. I work out which customer "
     "pain we're solving and what the model should handle. After launch I own it in production, watching how it "
     "performs and retraining it when it drifts, and I have to show it moved revenue. I'm not the one coding it."),
    ("diff-accuracy-cost-open", "There's no perfect model that's fast, accurate and cheap, so you choose. One extra "
     "percent of accuracy rarely justifies ten times the cost. It depends on the use case: cancer screening needs "
     "accuracy, fraud checks on millions of payments need speed. I weigh compute cost against business value."),
    ("diff-team-roles-open", "Data engineers build the pipelines that pull data in and store it. Data scientists "
     "clean the data and build the models. ML engineers put those models into production. I keep all three "
     "working as one team through deployment and monitoring."),
])
def test_good_answers_in_own_words_pass(drill_id, text):
    assert drills.grade_open(_drill(drill_id), text).score >= 60


def test_missed_points_show_the_article_sentence(coach, say):
    drill = _drill("diff-privacy-open")
    say(f"drill {drill.id}")
    [result] = say("answer Models are hungry for data, so teams want to collect and keep a lot of it.")
    fields = dict(result.fields)
    assert result.score == round(100 * (1 / 3) ** grading.SCORE_CURVE) and "GDPR" in fields["Missed"] and "homomorphic encryption" in fields["Missed"]
    section = coach.library.section_for(drill)
    quotes = [line.split("the article: “", 1)[1] for line in fields["Missed"].splitlines() if "“" in line]
    assert quotes and all(q.rstrip("”").rstrip("…") in " ".join(section.body.split()) for q in quotes)
    assert "Covered" in fields and "Contradicts" not in fields


def test_article_sentences_split_prose_lists_and_table_rows():
    body = ("Intro sentence one. Second sentence here.\n\n- a list item\n- another item\n\n"
            "| Category | AI PM | Traditional PM |\n|---|---|---|\n| Learning Curve | Steeper | Lower |")
    assert grading.article_sentences(body) == [
        "Intro sentence one.", "Second sentence here.", "a list item", "another item",
        "Category | AI PM | Traditional PM", "Learning Curve | Steeper | Lower"]
